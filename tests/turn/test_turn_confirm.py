"""Issue 14: in ``tools`` mode, plain prose (no ``heartbeat_respond`` call, no HEARTBEAT_OK, not an
echo) is not delivered blindly: the model is asked once, in a form it cannot answer outside of,
whether the person should get it. Over the wire to the fake server, in both protocols."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from turn_support import Bench, Connect, plan_for

from soulbeat.channels.thread import ThreadChannel
from soulbeat.llm.base import Completion, LLMProvider, ToolCall, Usage
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.testing.structured import request_schema
from soulbeat.turn.confirm import needs_confirmation, read_confirmation
from soulbeat.turn.reply import Reading
from soulbeat.turn.runner import TurnRunner

RESPOND = "heartbeat_respond"
PROSE = "This is a listening system, it's not a hearing device."
QUESTION = "Should the person get that text"


def wired(bench: Bench, provider: LLMProvider) -> TurnRunner:
    return bench.runner(
        provider=provider, thread_channel=ThreadChannel(bench.store, bench.clock, bench.events)
    )


def asking(body: dict[str, Any]) -> bool:
    return any(QUESTION in str(m.get("content")) for m in body["messages"])


def chats(server: FakeLLMServer) -> list[dict[str, Any]]:
    """The beat's own requests (the schema probe of the server left out)."""
    return [b for b in server.requests if "Is water wet" not in str(b["messages"])]


async def test_prose_the_model_does_not_stand_by_is_dropped(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    server.on(asking, tool_calls=[(RESPOND, {"notify": False})])
    server.on(reply=PROSE)
    await bench.thread(decision_mode="tools")
    result, record = await bench.run(runner=wired(bench, connect(server.url)))

    assert await bench.store.messages("t1") == []
    assert result.outcome == "ok-token" and record.alert_text is None
    reply = result.audit["reply"]
    assert reply["kind"] == "ack" and result.audit["dropped_text"] == PROSE
    assert any("did not confirm" in p for p in reply["problems"])
    _first, confirm = chats(server)
    schema = request_schema(confirm)
    assert schema is not None and schema["required"] == ["notify"]  # the server honours schemas
    assert "tools" not in confirm
    roles = [m["role"] for m in confirm["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert confirm["messages"][2]["content"] == PROSE
    assert result.audit["confirmation"]["how"] == "schema"
    assert result.completion_tokens > 0 and len(result.audit["rounds"]) == 2


async def test_prose_the_model_stands_by_is_delivered_as_written(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    said = {"notify": True, "message": "something else entirely"}
    server.on(asking, tool_calls=[(RESPOND, said)])
    server.on(reply="The payments API returns 502 since 09:10")
    await bench.thread(decision_mode="tools")
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))

    assert result.outcome == "sent"
    assert [m.text for m in await bench.store.messages("t1")] == [
        "The payments API returns 502 since 09:10"
    ]
    assert any("confirmed" in p for p in result.audit["reply"]["problems"])


@pytest.mark.parametrize("answer", ["notify-false", "prose-again"])
async def test_without_schemas_the_respond_tool_is_forced(
    bench: Bench, server: FakeLLMServer, connect: Connect, answer: str
) -> None:
    server.structured_output = "refuse"  # the probe says tools: tool_choice forces the call
    if answer == "notify-false":
        server.on(asking, tool_calls=[(RESPOND, {"notify": False, "summary": "nothing"})])
    server.on(reply=PROSE)
    await bench.thread(decision_mode="tools")
    provider = connect(server.url)
    result, _ = await bench.run(runner=wired(bench, provider))

    _first, confirm = chats(server)
    assert [t["function"]["name"] for t in confirm["tools"]] == [RESPOND]
    if isinstance(provider, OpenAICompatProvider):
        assert confirm["tool_choice"] == {"type": "function", "function": {"name": RESPOND}}
    else:
        assert "tool_choice" not in confirm  # Ollama has no such setting
    assert result.audit["confirmation"]["how"] == "tool_choice"
    assert await bench.store.messages("t1") == []
    if answer == "notify-false":
        assert result.outcome == "ok-token"
    else:  # prose again (Ollama has no tool_choice; the fake does not enforce it): not delivered
        assert (result.outcome, result.skip_reason) == ("skipped", "unreadable")
        assert "not a decision" in " ".join(result.audit["reply"]["problems"])


async def test_a_failed_confirmation_fails_the_beat(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    server.on(asking, status=500, error="model crashed")
    server.on(reply=PROSE)
    await bench.thread(decision_mode="tools")
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))
    assert result.outcome == "failed"
    assert await bench.store.messages("t1") == []
    assert "error" in result.audit["confirmation"]


@pytest.mark.parametrize(
    ("rule", "mode"),
    [
        ({"tool_calls": [(RESPOND, {"notify": True, "message": "Disk full"})]}, "tools"),
        ({"reply": "HEARTBEAT_OK"}, "tools"),
        ({"reply": "<untrusted-data>Heartbeat_OK</untrusted-data>"}, "tools"),
        ({"reply": "Disk full"}, "text"),
        ({"reply": "Disk full"}, "schema"),
    ],
)
async def test_only_plain_prose_in_tools_mode_is_asked_about(
    bench: Bench, server: FakeLLMServer, connect: Connect, rule: dict[str, Any], mode: str
) -> None:
    server.on(**rule)
    await bench.thread(decision_mode=mode)
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))
    assert len(chats(server)) == 1
    assert "confirmation" not in result.audit


async def test_a_resumed_beat_replays_the_confirmation(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    server.on(asking, tool_calls=[(RESPOND, {"notify": False})])
    server.on(reply=PROSE)
    await bench.thread(decision_mode="tools")
    provider = connect(server.url)
    await bench.clock.advance(1)
    lease = timedelta(minutes=15)
    claim = await bench.store.claim_wake("t1", "", "manual", bench.clock.now(), "w1", lease)
    assert claim is not None
    await wired(bench, provider).run(claim, plan_for("t1"), started_at=bench.clock.now())
    await bench.store.release_worker("w1")
    again = await bench.store.claim_wake("t1", "", "manual", bench.clock.now(), "w1", lease)
    assert again is not None and again.key == claim.key
    result = await wired(bench, provider).run(again, plan_for("t1"), started_at=bench.clock.now())
    assert result.audit["resumed"]["decisions_replayed"] == 2
    assert len(chats(server)) == 2 and result.outcome == "ok-token"


async def test_a_provider_that_cannot_be_constrained_keeps_the_plain_text_contract(
    bench: Bench,
) -> None:
    # The scripted double declares no structured output: nothing can force its answer, so
    # SPEC §6's tier 3 decides (the G rows of spec/vectors.md).
    await bench.thread(decision_mode="tools")
    bench.llm.script(PROSE)
    result, _ = await bench.run()
    assert result.outcome == "sent" and len(bench.llm.requests) == 1
    bench.llm.assert_script_consumed()


def done(text: str, *calls: ToolCall) -> Completion:
    return Completion(text, calls, None, Usage(1, 1), "m", "fake", {}, 1.0)


def test_reading_the_answer() -> None:
    alert = Reading("alert", 3, PROSE)
    assert needs_confirmation(alert, "tools")
    assert not needs_confirmation(alert, "text") and not needs_confirmation(alert, "schema")
    assert not needs_confirmation(Reading("alert", 1, PROSE), "tools")
    assert not needs_confirmation(Reading("ack", 3, "HEARTBEAT_OK"), "tools")

    assert read_confirmation(alert, done('{"notify": true}')).kind == "alert"
    assert read_confirmation(alert, done('{"notify": "false"}')).kind == "ack"
    call = ToolCall.from_mapping("c", RESPOND, {"notify": False})
    dropped = read_confirmation(alert, done("", call))
    assert (dropped.kind, dropped.dropped_text, dropped.text) == ("ack", PROSE, PROSE)
    assert dropped.decision is not None and dropped.decision.notify is False
    written = f'```json\n{{"name": "{RESPOND}", "arguments": {{"notify": true}}}}\n```'
    assert read_confirmation(alert, done(written)).kind == "alert"
    for nothing in ("Yes, definitely.", '{"ok": true}', ""):
        unread = read_confirmation(alert, done(nothing))
        assert unread.kind == "unreadable" and unread.text == PROSE
