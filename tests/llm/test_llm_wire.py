"""Both providers against a real HTTP server on 127.0.0.1 (the fake): what goes on the wire, what
comes back, and how every kind of failure is reported. Each test runs once per protocol."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from soulbeat.errors import ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import (
    ChatMessage,
    ChatRequest,
    LLMProvider,
    ToolCall,
    ToolSpec,
    estimate_usage,
)
from soulbeat.testing.llm_server import FakeLLMServer, unused_local_url

RESPOND = ToolSpec(
    "heartbeat_respond",
    "Report the outcome of the heartbeat.",
    {
        "type": "object",
        "properties": {
            "notify": {"type": "boolean"},
            "message": {"type": "string", "maxLength": 2000},
            "summary": {"type": "string", "minLength": 1},
            "meta": {"type": "object", "properties": {"tags": {"type": "array"}}},
        },
        "required": ["notify", "summary"],
        "additionalProperties": False,
    },
)


def ask(text: str, *, model: str = "fake-model", **settings: Any) -> ChatRequest:
    """A system + user request, as the turn runner sends one."""
    settings.setdefault("timeout", 5.0)
    messages = (ChatMessage("system", "You are a heartbeat."), ChatMessage("user", text))
    return ChatRequest(messages, model=model, **settings)


async def test_plain_reply(provider: LLMProvider, kind: str) -> None:
    completion = await provider.complete(ask("anything new?"))

    assert completion.text == "HEARTBEAT_OK"
    assert completion.tool_calls == ()
    assert completion.reasoning is None
    assert completion.model == "fake-model"
    assert completion.provider == kind == provider.name
    assert completion.latency_ms > 0
    assert completion.raw  # the server's JSON, for the audit record


async def test_model_sampling_and_tools_go_on_the_wire(
    provider: LLMProvider, server: FakeLLMServer, kind: str
) -> None:
    await provider.complete(ask("hello", temperature=0.3, max_tokens=64, tools=(RESPOND,)))

    [body] = server.requests
    assert body["model"] == "fake-model"
    assert body.get("stream") is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == "hello"
    if kind == "ollama":
        assert body["options"] == {"temperature": 0.3, "num_predict": 64}
    else:
        assert (body["temperature"], body["max_tokens"]) == (0.3, 64)
    # The whole JSON schema arrives, keywords the ollama client's own model would drop included.
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "heartbeat_respond",
                "description": RESPOND.description,
                "parameters": RESPOND.parameters,
            },
        }
    ]


async def test_unset_settings_are_left_to_the_server(
    provider: LLMProvider, server: FakeLLMServer
) -> None:
    await provider.complete(ask("hello"))

    [body] = server.requests
    assert not {"temperature", "max_tokens", "options", "tools"} & body.keys()


async def test_tool_call_round_trip(
    provider: LLMProvider, server: FakeLLMServer, kind: str
) -> None:
    arguments = {"notify": True, "message": "disk almost full", "summary": "disk"}
    server.on("check the disk", tool_calls=[("heartbeat_respond", arguments)], times=1)

    first = await provider.complete(ask("check the disk", tools=(RESPOND,)))

    [call] = first.tool_calls
    assert (call.name, call.arguments, call.problem) == ("heartbeat_respond", arguments, None)
    assert first.text == ""

    answered = ChatRequest(
        (
            *ask("check the disk").messages,
            ChatMessage("assistant", "", tool_calls=first.tool_calls),
            ChatMessage("tool", "delivered", tool_call_id=call.id, name=call.name),
        ),
        model="fake-model",
        tools=(RESPOND,),
    )
    second = await provider.complete(answered)

    assert second.text == "HEARTBEAT_OK"
    sent_call, tool_result = server.requests[1]["messages"][2:]
    if kind == "ollama":
        assert sent_call["tool_calls"] == [
            {"function": {"name": "heartbeat_respond", "arguments": arguments}}
        ]
        assert tool_result == {"role": "tool", "content": "delivered", "tool_name": call.name}
    else:
        assert sent_call["tool_calls"][0]["id"] == call.id
        assert sent_call["tool_calls"][0]["function"]["name"] == "heartbeat_respond"
        assert tool_result == {"role": "tool", "content": "delivered", "tool_call_id": call.id}


async def test_several_tool_calls_keep_their_order(
    provider: LLMProvider, server: FakeLLMServer
) -> None:
    server.on(
        "busy", tool_calls=[("post", {"title": "a"}), ("heartbeat_respond", {"notify": False})]
    )

    completion = await provider.complete(ask("busy"))

    assert [c.name for c in completion.tool_calls] == ["post", "heartbeat_respond"]
    assert len({c.id for c in completion.tool_calls}) == 2


async def test_openai_tool_arguments_that_are_not_json_are_data(
    server: FakeLLMServer, connect: Callable[[str], LLMProvider], kind: str
) -> None:
    if kind != "openai":
        pytest.skip("Ollama parses arguments on the server and sends an object")
    server.on("broken", tool_calls=[("heartbeat_respond", '{"notify": tru')])

    completion = await connect(server.url).complete(ask("broken"))

    [call] = completion.tool_calls
    assert call.arguments == {}
    assert call.raw_arguments == '{"notify": tru'
    assert call.problem is not None and "not valid JSON" in call.problem


async def test_usage_reported_by_the_server(provider: LLMProvider, server: FakeLLMServer) -> None:
    completion = await provider.complete(ask("one two three"))

    assert completion.usage.estimated is False
    assert completion.usage.completion_tokens == 1  # the fake counts words: "HEARTBEAT_OK"
    assert completion.usage.prompt_tokens > 0


async def test_usage_estimated_when_the_server_reports_none(
    provider: LLMProvider, server: FakeLLMServer
) -> None:
    server.on(None, reply="All quiet here.", usage=False)
    request = ask("one two three")

    completion = await provider.complete(request)

    assert completion.usage == estimate_usage(request, "All quiet here.")
    assert completion.usage.estimated is True


async def test_reasoning_is_kept_apart_from_the_text(
    provider: LLMProvider, server: FakeLLMServer
) -> None:
    server.on("think", reply="HEARTBEAT_OK", reasoning="Nothing in HEARTBEAT.md is due.")

    completion = await provider.complete(ask("think"))

    assert completion.text == "HEARTBEAT_OK"
    assert completion.reasoning == "Nothing in HEARTBEAT.md is due."


async def test_openai_reasoning_field_variant(
    server: FakeLLMServer, connect: Callable[[str], LLMProvider], kind: str
) -> None:
    if kind != "openai":
        pytest.skip("only OpenAI-compatible servers disagree on the field name")
    server.on(None, reasoning="hmm", reasoning_field="reasoning")

    completion = await connect(server.url).complete(ask("think"))

    assert completion.reasoning == "hmm"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_is_retryable(
    provider: LLMProvider, server: FakeLLMServer, status: int
) -> None:
    server.on(None, status=status, error="model runner crashed")

    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.complete(ask("hello"))

    assert caught.value.retryable is True
    assert caught.value.reason == f"provider-http-{status}"
    assert (
        str(caught.value) == f"provider-http-{status}: {provider.base_url} (model runner crashed)"
    )


async def test_unknown_model_is_a_request_error(provider: LLMProvider) -> None:
    with pytest.raises(ProviderRequestError) as caught:
        await provider.complete(ask("hello", model="llama9:400b"))

    assert caught.value.retryable is False
    assert caught.value.reason == "provider-http-404"
    assert provider.base_url in str(caught.value)
    assert "llama9:400b" in str(caught.value)  # the server's own message


async def test_a_hanging_server_times_out(provider: LLMProvider, server: FakeLLMServer) -> None:
    server.on(None, hang=True)

    started = time.perf_counter()
    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.complete(ask("hello", timeout=0.2))

    assert time.perf_counter() - started < 2
    assert caught.value.reason == "provider-timeout"
    assert str(caught.value) == f"provider-timeout: {provider.base_url} (no answer within 0.2 s)"


async def test_a_slow_server_within_the_timeout_is_fine(
    provider: LLMProvider, server: FakeLLMServer
) -> None:
    server.on(None, delay=0.05)

    completion = await provider.complete(ask("hello", timeout=2.0))

    assert completion.text == "HEARTBEAT_OK"


async def test_garbage_body_is_a_bad_response(provider: LLMProvider, server: FakeLLMServer) -> None:
    server.on(None, garbage=True)

    with pytest.raises(ProviderRequestError) as caught:
        await provider.complete(ask("hello"))

    assert caught.value.reason == "provider-bad-response"
    assert str(caught.value).startswith(f"provider-bad-response: {provider.base_url} (")


async def test_server_down_names_the_url(connect: Callable[[str], LLMProvider]) -> None:
    provider = connect(unused_local_url())

    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.complete(ask("hello"))

    assert caught.value.reason == "provider-unreachable"
    assert str(caught.value) == f"provider-unreachable: {provider.base_url}"


async def test_requests_share_nothing(provider: LLMProvider, server: FakeLLMServer) -> None:
    server.on("first", reply="one")

    replies = [(await provider.complete(ask(q))).text for q in ("first", "second")]

    assert replies == ["one", "HEARTBEAT_OK"]
    assert len(server.requests[1]["messages"]) == 2  # no conversation state kept


def test_tool_call_from_json_keeps_the_model_mistake() -> None:
    assert (
        ToolCall.from_json("c", "t", "[1, 2]").problem == "arguments are a JSON list, not an object"
    )
    assert ToolCall.from_json("c", "t", "").arguments == {}
    assert ToolCall.from_json("c", "t", "").problem is None
    assert ToolCall.from_json("c", "t", '{"a": 1}').arguments == {"a": 1}
