"""`ScriptedLLM`, the strict double of `LLMProvider`."""

from __future__ import annotations

import pytest

from soulbeat.errors import ProviderUnavailableError
from soulbeat.llm.base import ChatMessage, ChatRequest, Completion, LLMProvider, Usage
from soulbeat.testing.llm import (
    ScriptedLLM,
    fail,
    reply,
    tool_calls_reply,
    tool_reply,
)


def ask(text: str, model: str = "llama3") -> ChatRequest:
    return ChatRequest((ChatMessage("user", text),), model=model)


async def test_answers_in_script_order_and_records_requests() -> None:
    canned = Completion("canned", (), None, Usage(1, 1), "m", "x", {}, 0.0)
    llm = ScriptedLLM("first").script(
        reply("second", reasoning="because", usage=Usage(10, 2)),
        canned,
        lambda request: reply(f"echo {request.messages[-1].content}")(request),
    )

    answers = [await llm.complete(ask(q)) for q in ("a", "b", "c", "d")]

    assert [a.text for a in answers] == ["first", "second", "canned", "echo d"]
    assert answers[0].model == "llama3" and answers[0].usage.estimated
    assert answers[1].reasoning == "because" and answers[1].usage == Usage(10, 2)
    assert answers[2] is canned
    assert [r.messages[-1].content for r in llm.requests] == ["a", "b", "c", "d"]
    assert llm.last_request.messages[-1].content == "d"
    llm.assert_script_consumed()


async def test_tool_replies() -> None:
    llm = ScriptedLLM(
        tool_reply("heartbeat_respond", {"notify": False, "summary": "ok"}),
        tool_reply("post", '{"title": '),
        tool_calls_reply(("post", {"title": "t"}), ("heartbeat_respond", None), text="done"),
    )

    one, broken, two = [await llm.complete(ask("q")) for _ in range(3)]

    assert one.tool_calls[0].arguments == {"notify": False, "summary": "ok"}
    assert broken.tool_calls[0].arguments == {}
    assert broken.tool_calls[0].problem is not None
    assert [c.name for c in two.tool_calls] == ["post", "heartbeat_respond"]
    assert [c.id for c in two.tool_calls] == ["call_0", "call_1"]
    assert two.text == "done"


async def test_fail_raises_the_scripted_error() -> None:
    error = ProviderUnavailableError("provider-unreachable: x", reason="provider-unreachable")
    llm = ScriptedLLM(fail(error))

    with pytest.raises(ProviderUnavailableError) as caught:
        await llm.complete(ask("q"))

    assert caught.value is error


async def test_an_unscripted_call_fails_the_test() -> None:
    llm = ScriptedLLM("only one")
    await llm.complete(ask("q"))

    with pytest.raises(AssertionError, match=r"unscripted call #2 to ScriptedLLM.*'again'"):
        await llm.complete(ask("again"))
    assert len(llm.requests) == 2


async def test_unused_replies_fail_the_check() -> None:
    llm = ScriptedLLM("used", "left over", "also left")
    await llm.complete(ask("q"))

    with pytest.raises(AssertionError, match="2 scripted replies never used after 1 call"):
        llm.assert_script_consumed()
    assert llm.pending == 2


async def test_calls_after_close_fail() -> None:
    llm = ScriptedLLM("x")
    await llm.aclose()

    with pytest.raises(AssertionError, match="after aclose"):
        await llm.complete(ask("q"))


def test_last_request_before_any_call_fails() -> None:
    with pytest.raises(AssertionError, match="not been called"):
        _ = ScriptedLLM().last_request


def test_it_is_a_provider() -> None:
    llm: LLMProvider = ScriptedLLM()

    assert isinstance(llm, LLMProvider)
    assert (llm.name, llm.base_url) == ("scripted", "scripted://llm")
