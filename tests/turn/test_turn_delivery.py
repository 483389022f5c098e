"""Delivery targets (SPEC §7.2) and dry-run (§7.3) through the runner."""

from __future__ import annotations

from turn_support import Bench

from soulbeat.channels.thread import ThreadChannel
from soulbeat.store.records import Thread
from soulbeat.testing import RecordingChannel
from soulbeat.testing.llm import tool_reply


async def test_target_thread_writes_only_the_alert_into_the_transcript(bench: Bench) -> None:
    await bench.thread()
    await bench.store.add_message("t1", "user", "hi", bench.clock.now())
    bench.llm.script("HEARTBEAT_OK", "Disk almost full")
    runner = bench.runner(thread_channel=ThreadChannel(bench.store, bench.clock, bench.events))
    await bench.run(runner=runner)
    _, record = await bench.run(runner=runner)
    messages = await bench.store.messages("t1")
    assert [(m.role, m.text) for m in messages] == [
        ("user", "hi"),
        ("assistant", "Disk almost full"),
    ]
    assert messages[-1].beat_id == record.id
    created = bench.events.of("message.created")
    assert [(e["text"], e["kind"], e["indicator"]) for e in created] == [
        ("Disk almost full", "alert", "alert")
    ]


async def test_a_webhook_target_gets_the_alert_with_to(bench: Bench) -> None:
    hook = RecordingChannel("ops")
    bench.channels["ops"] = hook
    await bench.thread(target="ops", to="+15551234567")
    bench.llm.script("Disk almost full")
    result, _ = await bench.run()
    [delivery] = hook.deliveries
    assert (delivery.text, delivery.to, delivery.kind) == (
        "Disk almost full",
        "+15551234567",
        "alert",
    )
    assert (delivery.thread_id, delivery.agent_id) == ("t1", "default")
    assert bench.thread_channel.deliveries == []
    assert result.audit["deliveries"][0]["channel"] == "ops"
    assert [e["channel"] for e in bench.events.of("delivery.sent")] == ["ops"]


async def test_target_last_uses_the_last_channel_when_it_is_configured(bench: Bench) -> None:
    hook = RecordingChannel("slack")
    bench.channels["slack"] = hook
    await bench.registry().sync()
    await bench.store.add_thread(
        Thread("t1", "default", bench.clock.now(), config={"target": "last"}, last_channel="slack")
    )
    await bench.store.add_thread(
        Thread("t2", "default", bench.clock.now(), config={"target": "last"}, last_channel="web")
    )
    bench.llm.script("Alert one", "Alert two")
    await bench.run("t1")
    await bench.run("t2")
    assert hook.texts == ["Alert one"]
    assert bench.thread_channel.texts == ["Alert two"]


async def test_target_none_delivers_nothing(bench: Bench) -> None:
    await bench.thread(target="none", visibility={"show_ok": True})
    bench.llm.script("Disk almost full", "HEARTBEAT_OK")
    first, _ = await bench.run()
    second, _ = await bench.run()
    assert bench.thread_channel.deliveries == []
    assert (first.outcome, first.skip_reason) == ("skipped", "no-target")
    assert second.outcome == "ok-token"


async def test_an_unknown_channel_name_fails_the_beat_with_a_reason(bench: Bench) -> None:
    await bench.thread(target="pager")
    bench.llm.script("Disk almost full")
    result, record = await bench.run()
    assert (result.outcome, result.audit["failure"]) == ("failed", "delivery-failed")
    assert record.error is not None and "'pager' names no configured channel" in record.error
    assert record.alert_text is None


async def test_a_failing_channel_fails_the_beat_and_keeps_the_events(bench: Bench) -> None:
    bench.thread_channel.fail = True
    await bench.thread()
    await bench.store.queue_event("t1", "deploy done", bench.clock.now())
    bench.llm.script("Disk almost full")
    result, record = await bench.run()
    assert result.outcome == "failed"
    assert record.error == "delivery-failed: thread: set to fail (test double)"
    assert result.audit["indicator"] == "error"
    assert len(await bench.store.pending_events("t1")) == 1
    assert bench.events.names()[-2:] == ["delivery.failed", "action.failed"]


async def test_dry_run_delivers_nothing_and_records_would_do(bench: Bench) -> None:
    hook = RecordingChannel("ops")
    bench.channels["ops"] = hook
    await bench.thread(dry_run=True, target="ops", include_reasoning=True)
    bench.llm.script("Reasoning: full disk\n\nDisk almost full")
    result, record = await bench.run()
    assert hook.deliveries == [] and bench.thread_channel.deliveries == []
    assert result.outcome == "would-send"  # SPEC §9.3: a dry run never claims it sent
    assert record.alert_text is None  # nothing was delivered: dedupe must not see it
    assert [(d["kind"], d["status"], d["channel"]) for d in result.audit["deliveries"]] == [
        ("reasoning", "would-do", "ops"),
        ("alert", "would-do", "ops"),
    ]
    assert [(a["type"], a["status"]) for a in result.audit["actions"]] == [("message", "would-do")]
    assert "delivery.sent" not in bench.events.names()


async def test_dry_run_show_ok_is_would_do_too(bench: Bench) -> None:
    await bench.thread(dry_run=True, visibility={"show_ok": True})
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run()
    assert bench.thread_channel.deliveries == []
    assert [(d["kind"], d["status"]) for d in result.audit["deliveries"]] == [("ok", "would-do")]


async def test_dry_run_tool_actions_are_would_do(bench: Bench) -> None:
    await bench.thread(dry_run=True, actions={"allowed": ["message", "none", "vote"]})
    vote = {"target": "comment", "id": "c9", "direction": "down"}
    bench.llm.script(tool_reply("ledger_vote", vote), "HEARTBEAT_OK")
    result, _ = await bench.run()
    assert [(a["type"], a["status"]) for a in result.audit["actions"]] == [("vote", "would-do")]
    assert result.outcome == "would-send"


async def test_a_message_that_is_not_allowed_is_rejected_without_reasoning(bench: Bench) -> None:
    await bench.thread(include_reasoning=True, actions={"allowed": ["none", "vote"]})
    bench.llm.script("Reasoning: x\n\nDisk almost full")
    result, _ = await bench.run()
    assert bench.thread_channel.deliveries == []
    assert (result.outcome, result.skip_reason) == ("skipped", "rejected")
    [action] = result.audit["actions"]
    assert "not allowed" in action["problems"][0]["message"]


async def test_a_message_that_needs_approval_waits(bench: Bench) -> None:
    await bench.thread(actions={"requires_approval": ["message"]})
    bench.llm.script("Disk almost full")
    result, _ = await bench.run()
    assert bench.thread_channel.deliveries == []
    assert (result.outcome, result.skip_reason) == ("skipped", "pending-approval")
    assert result.audit["actions"][0]["action"] == {"action": "message", "text": "Disk almost full"}
    assert "action.pending_approval" in bench.events.names()


async def test_dry_run_shows_an_unknown_channel_as_a_failed_would_be_delivery(
    bench: Bench,
) -> None:
    await bench.thread(dry_run=True, target="pager")
    bench.llm.script("Disk almost full")
    result, _ = await bench.run()
    [delivery] = result.audit["deliveries"]
    assert (delivery["status"], delivery["channel"]) == ("failed", "pager")
    assert "names no configured channel" in delivery["detail"]
