"""The turn over the wire: TurnRunner → real provider → FakeLLMServer on 127.0.0.1, once per
protocol (Ollama's native API and the OpenAI-compatible one), and with no server at all."""

from __future__ import annotations

from turn_support import Bench, Connect

from soulbeat.channels.thread import ThreadChannel
from soulbeat.llm.base import LLMProvider
from soulbeat.testing.llm_server import FakeLLMServer, unused_local_url
from soulbeat.turn.runner import TurnRunner


def wired(bench: Bench, provider: LLMProvider) -> TurnRunner:
    return bench.runner(
        provider=provider, thread_channel=ThreadChannel(bench.store, bench.clock, bench.events)
    )


async def test_a_plain_alert_reaches_the_thread(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    server.on(reply="Disk almost full")
    await bench.thread(decision_mode="tools")
    result, record = await bench.run(runner=wired(bench, connect(server.url)))
    assert result.outcome == "sent"
    assert [(m.role, m.text, m.beat_id) for m in await bench.store.messages("t1")] == [
        ("assistant", "Disk almost full", record.id)
    ]
    # Issue 14: plain prose in tools mode is asked about once (after the server's schema probe)
    # before it is delivered; the fake server, honouring the schema, stands by its alert.
    body, _probe, confirm = server.requests
    assert body["model"] == "fake-model"
    assert "heartbeat_respond" in str(body["tools"])
    assert "Should the person get that text" in confirm["messages"][-1]["content"]
    assert result.audit["confirmation"]["how"] == "schema"
    assert result.audit["tokens"]["estimated"] is False


async def test_a_tool_call_ack_is_dropped(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    arguments = {"notify": False, "summary": "disk at 40%, nothing to do"}
    server.on(reply="Disk almost full!", tool_calls=[("heartbeat_respond", arguments)])
    await bench.thread(decision_mode="tools")
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))
    assert (result.outcome, result.audit["reply"]["tier"]) == ("ok-token", 1)
    assert result.audit["reply"]["summary"] == "disk at 40%, nothing to do"
    assert await bench.store.messages("t1") == []


async def test_a_server_error_fails_the_beat_with_a_reason(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    server.on(status=500, error="model crashed")
    await bench.thread()
    provider = connect(server.url)
    result, record = await bench.run(runner=wired(bench, provider))
    assert (result.outcome, result.audit["failure"]) == ("failed", "provider-http-500")
    assert record.error is not None and record.error.startswith(
        f"provider-http-500: {provider.base_url}"
    )
    assert result.audit["indicator"] == "error"
    assert await bench.store.messages("t1") == []


async def test_no_server_at_all_is_provider_unreachable(bench: Bench, connect: Connect) -> None:
    root = unused_local_url()
    provider = connect(root)
    await bench.thread()
    result, record = await bench.run(runner=wired(bench, provider))
    assert result.outcome == "failed"
    assert record.error is not None
    assert record.error.startswith(f"provider-unreachable: {provider.base_url}")
    assert provider.base_url.startswith(root)
    assert result.audit["failure"] == "provider-unreachable"
    assert result.ran_model


async def test_an_action_tool_round_then_the_final_alert(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    vote = {"target": "post", "id": "42", "direction": "up"}
    server.on(tool_calls=[("ledger_vote", vote)], times=1)
    server.on(reply="Voted; one thing needs you: the disk")
    await bench.thread(actions={"allowed": ["message", "none", "vote"]}, decision_mode="tools")
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))
    assert result.outcome == "sent"
    assert [a["type"] for a in result.audit["actions"]] == ["vote", "message"]
    _first, second, _probe, confirm = server.requests
    assert [m["role"] for m in confirm["messages"]][-3:] == ["tool", "assistant", "user"]
    roles = [message["role"] for message in second["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert "unsupported-until-ledger" in second["messages"][-1]["content"]
    assert [m.text for m in await bench.store.messages("t1")] == [
        "Voted; one thing needs you: the disk"
    ]
