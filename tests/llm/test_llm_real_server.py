"""The wire against a real llama.cpp server (llama-cpp-python's, serving SmolLM2-135M-Instruct).

The model is far too small to follow the heartbeat contract, so no decision is asserted: only
what the wire must carry. A reply comes back with the server's own usage; a stream reads with the
official client the same way the fake server's does; a tool call forced with ``tool_choice``
arrives as a real tool call of ``heartbeat_respond`` (full and minimal schemas); structured output
keeps the answer inside the decision schema; a prompt beyond the context window and a model the
server does not have are clear errors. The server is started by `tests/llama_support.py`.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from llama_support import LlamaServer
from soulbeat.errors import ProviderRequestError
from soulbeat.eval.run import run_scenario, scenario_request
from soulbeat.eval.scenarios import SCENARIOS
from soulbeat.llm.base import ChatMessage, ChatRequest
from soulbeat.llm.context_window import discover_context_window
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.llm.probe import probe_model_server
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.turn.decision import decision_schema, parse_decision
from soulbeat.turn.modes import probe_mode
from soulbeat.turn.profile import minimal_tools
from soulbeat.turn.tools import RESPOND_TOOL, read_respond, tools_for

pytestmark = [pytest.mark.slow, pytest.mark.llama]

HELLO = [{"role": "user", "content": "Say hello in one word."}]


@pytest.fixture
async def provider(llama_server: LlamaServer) -> Any:
    made = OpenAICompatProvider(llama_server.url)
    yield made
    await made.aclose()


async def test_a_reply_comes_back_with_the_servers_usage(
    llama_server: LlamaServer, provider: OpenAICompatProvider
) -> None:
    request = ChatRequest(
        (ChatMessage("user", "Say hello in one word."),),
        model=llama_server.model,
        temperature=0.0,
        max_tokens=16,
        timeout=120,
    )
    completion = await provider.complete(request)
    assert completion.text.strip() or completion.tool_calls
    assert not completion.usage.estimated and completion.usage.prompt_tokens > 0
    assert completion.model == llama_server.model  # as the server says it answered
    assert completion.provider == "openai"


async def _stream(base_url: str, model: str, **extra: Any) -> list[dict[str, Any]]:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    try:
        stream = await client.chat.completions.create(
            model=model, messages=HELLO, stream=True, max_tokens=48, temperature=0.0, **extra
        )
        return [chunk.model_dump() async for chunk in stream]
    finally:
        await client.close()


def _shape(chunks: list[dict[str, Any]]) -> tuple[set[str], str | None]:
    """The delta keys a stream used and how it finished."""
    keys = {key for c in chunks for key, value in c["choices"][0]["delta"].items() if value}
    return keys, chunks[-1]["choices"][0]["finish_reason"]


async def test_a_stream_reads_like_the_fake_servers_stream(llama_server: LlamaServer) -> None:
    real = await _stream(llama_server.url, llama_server.model)
    assert len(real) > 2 and all(c["object"] == "chat.completion.chunk" for c in real)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in real)
    assert text.strip()
    with FakeLLMServer(models=None, default_reply="Hello there") as fake:
        faked = await _stream(fake.openai_url, llama_server.model)
    assert _shape(real)[0] == _shape(faked)[0] == {"role", "content"}
    assert _shape(real)[1] in ("stop", "length") and _shape(faked)[1] == "stop"


async def test_a_streamed_forced_tool_call_arrives_whole(llama_server: LlamaServer) -> None:
    """Only ``notify`` (a free-text summary could run past ``max_tokens`` in a stream)."""
    parameters = {
        "type": "object",
        "properties": {"notify": {"type": "boolean"}},
        "required": ["notify"],
        "additionalProperties": False,
    }
    tool = {
        "type": "function",
        "function": {"name": RESPOND_TOOL, "description": "Answer.", "parameters": parameters},
    }
    choice = {"type": "function", "function": {"name": RESPOND_TOOL}}
    chunks = await _stream(llama_server.url, llama_server.model, tools=[tool], tool_choice=choice)
    calls = [c for ch in chunks for c in (ch["choices"][0]["delta"].get("tool_calls") or [])]
    assert calls, "no tool call arrived in the stream"
    names = {c["function"]["name"] for c in calls if c["function"].get("name")}
    arguments = "".join(c["function"].get("arguments") or "" for c in calls)
    assert names == {RESPOND_TOOL}
    assert isinstance(json.loads(arguments).get("notify"), bool)


@pytest.mark.parametrize("schemas", ["full", "minimal"])
async def test_a_forced_tool_call_of_heartbeat_respond_arrives(
    llama_server: LlamaServer, provider: OpenAICompatProvider, schemas: str
) -> None:
    tools = tools_for(("message", "none", "vote"))
    if schemas == "minimal":
        tools = minimal_tools(tools)
    request = ChatRequest(
        (ChatMessage("user", "Nothing happened since the last check. Answer the heartbeat."),),
        model=llama_server.model,
        tools=tools,
        temperature=0.0,
        max_tokens=160,
        timeout=120,
        tool_choice=RESPOND_TOOL,
    )
    completion = await provider.complete(request)
    assert [call.name for call in completion.tool_calls] == [RESPOND_TOOL]
    call = completion.tool_calls[0]
    assert call.problem is None, call.raw_arguments
    assert read_respond(call).notify is not None  # the grammar made notify a boolean
    assert not completion.usage.estimated


async def test_structured_output_keeps_the_answer_inside_the_decision_schema(
    llama_server: LlamaServer, provider: OpenAICompatProvider
) -> None:
    """llama-cpp-python refuses ``json_schema`` (500): the provider switches to ``json_object``
    with the schema, which its grammar honours."""
    assert await probe_mode(provider, llama_server.model) == "schema"
    request = ChatRequest(
        (
            ChatMessage(
                "system", "Answer with one JSON object: notify, message, summary, actions."
            ),
            ChatMessage("user", "Event: the database is down since 09:10. Decide."),
        ),
        model=llama_server.model,
        temperature=0.0,
        max_tokens=300,
        timeout=180,
        response_schema=decision_schema(("message", "none")),
    )
    completion = await provider.complete(request)
    decision, problems = parse_decision(json.loads(completion.text))
    assert decision is not None, problems
    assert decision.actions == ()


@pytest.mark.parametrize("mode", ["schema", "tools"])
async def test_a_scenario_beat_over_the_wire_is_read_never_delivered_raw(
    llama_server: LlamaServer, provider: OpenAICompatProvider, mode: str
) -> None:
    """An eval beat, built as the turn builds it (compact profile): whatever the model says,
    schema mode is never unreadable, and the server counts the prompt (tool schemas included)."""
    scenario = next(s for s in SCENARIOS if s.name.startswith("outage"))
    result = await run_scenario(provider, scenario, llama_server.model, mode, "compact")  # type: ignore[arg-type]
    assert not result.tokens_estimated and result.prompt_tokens > 0
    if mode == "schema":
        assert result.decided != "unreadable", result.why


async def test_the_server_counts_fewer_prompt_tokens_for_the_compact_profile(
    llama_server: LlamaServer, provider: OpenAICompatProvider
) -> None:
    scenario = next(s for s in SCENARIOS if s.name.startswith("outage"))
    counted: dict[str, int] = {}
    for profile in ("full", "compact"):
        request = scenario_request(scenario, llama_server.model, "tools", profile)  # type: ignore[arg-type]
        request = ChatRequest(request.messages, request.model, request.tools, 0.0, 1, 120.0, "test")
        completion = await provider.complete(request)
        counted[profile] = completion.usage.prompt_tokens
    assert counted["compact"] < 0.75 * counted["full"], counted


async def test_a_prompt_beyond_the_context_window_is_a_clear_request_error(
    llama_server: LlamaServer, provider: OpenAICompatProvider
) -> None:
    request = ChatRequest(
        (ChatMessage("user", "word " * 9000),),
        model=llama_server.model,
        max_tokens=4,
        timeout=120,
    )
    with pytest.raises(ProviderRequestError) as raised:
        await provider.complete(request)
    assert raised.value.reason == "provider-http-400"
    assert "context length" in str(raised.value) and llama_server.url in str(raised.value)


def test_a_model_the_server_does_not_have_is_named_with_what_it_has(
    llama_server: LlamaServer,
) -> None:
    found = probe_model_server("openai", llama_server.url, "qwen2.5-coder:1.5b", check_tools=True)
    assert found.reachable and found.model_present is False
    assert found.problem is not None and "qwen2.5-coder:1.5b" in found.problem
    assert llama_server.model in found.problem
    present = probe_model_server("openai", llama_server.url, llama_server.model, check_tools=True)
    assert present.problem is None and present.model_present is True


async def test_llama_cpp_python_does_not_report_its_context_window(
    llama_server: LlamaServer,
) -> None:
    """It has neither ``/props`` nor model meta, so ``auto`` falls back to ``context_tokens``."""
    assert await discover_context_window("openai", llama_server.url, llama_server.model) is None
