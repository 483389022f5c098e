"""Effects happen once per slot (SPEC §9.4): a beat re-run after its worker died replays the
recorded decision instead of asking the model again and makes only the effects not recorded.

"Died" is staged without a process: the first attempt runs (or raises out of a channel, as a
kill would stop it there) and is never finished; its lease is released as a restarted worker
would (`release_worker`), and the same beat key is claimed again (attempt 2) and run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from turn_support import Bench, plan_for

from soulbeat.actions.bare import BareExecutor
from soulbeat.actions.executor import ActionContext, ActionResult
from soulbeat.actions.models import Action, Problem
from soulbeat.channels.base import Channel, Delivery, Receipt
from soulbeat.channels.thread import ThreadChannel
from soulbeat.store.records import BeatResult, Claim
from soulbeat.testing import RecordingChannel
from soulbeat.testing.llm import tool_reply
from soulbeat.turn.runner import TurnRunner

LEASE = timedelta(seconds=30)


class Killed(Exception):
    """Stands for the process dying at this instruction."""


class DiesAfterDelivering:
    """A channel that delivers through `inner`, then "dies" before the beat learns it did."""

    def __init__(self, inner: Channel) -> None:
        self.inner, self.name = inner, inner.name

    async def deliver(self, delivery: Delivery) -> Receipt:
        await self.inner.deliver(delivery)
        raise Killed


class CountingExecutor:
    """The bare executor, counting what it is asked to carry out."""

    def __init__(self) -> None:
        self.inner = BareExecutor()
        self.calls: list[tuple[str, Any]] = []

    async def execute(
        self, action: Action, ctx: ActionContext, problems: Sequence[Problem] = ()
    ) -> ActionResult:
        self.calls.append((type(action).__name__, ctx.effect))
        return await self.inner.execute(action, ctx, problems)


async def attempt(bench: Bench, runner: TurnRunner, first: Claim | None = None) -> BeatResult:
    """Run one attempt of the beat `first` (or of a new manual beat a second from now)."""
    if first is None:
        await bench.clock.advance(1)
        at = bench.clock.now()
    else:
        assert await bench.store.release_worker("w1") == 1  # the restarted worker takes it back
        at = first.due_at
    claim = await bench.store.claim_wake("t1", "", "manual", at, "w1", LEASE)
    assert claim is not None
    bench.claim = claim  # type: ignore[attr-defined]
    return await runner.run(claim, plan_for("t1"), started_at=bench.clock.now())


async def test_a_rerun_replays_the_decision_and_delivers_nothing_again(bench: Bench) -> None:
    await bench.thread()
    channel = ThreadChannel(bench.store, bench.clock, bench.events)
    runner = bench.runner(thread_channel=channel)
    bench.llm.script("Disk almost full")
    first = await attempt(bench, runner)  # delivered, then killed before the beat was finished
    claim: Claim = bench.claim  # type: ignore[attr-defined]
    assert first.outcome == "sent"

    again = await attempt(bench, runner, claim)  # the model is not scripted again: not asked
    bench.llm.assert_script_consumed()
    assert len(bench.llm.requests) == 1
    assert again.outcome == "sent" and again.alert_text == "Disk almost full"
    assert [m.text for m in await bench.store.messages("t1")] == ["Disk almost full"]
    resumed = again.audit["resumed"]
    assert resumed["decisions_replayed"] == 1
    assert resumed["effects"] == {"count": 1, "reused": [0], "retried_unknown": []}
    assert again.audit["actions"][0]["status"] == "executed"
    record = await bench.store.finish_beat(bench.claim, again, next_due_at=None, advance=False)  # type: ignore[attr-defined]
    assert (record.attempt, record.outcome) == (2, "sent")


async def test_killed_between_the_message_and_its_record_the_message_exists_once(
    bench: Bench,
) -> None:
    await bench.thread()
    channel = ThreadChannel(bench.store, bench.clock, bench.events)
    bench.llm.script("Disk almost full")
    with pytest.raises(Killed):
        await attempt(bench, bench.runner(thread_channel=DiesAfterDelivering(channel)))
    claim: Claim = bench.claim  # type: ignore[attr-defined]
    assert [m.text for m in await bench.store.messages("t1")] == ["Disk almost full"]

    again = await attempt(bench, bench.runner(thread_channel=channel), claim)
    assert len(bench.llm.requests) == 1  # replayed, not asked again
    messages = await bench.store.messages("t1")
    assert [m.text for m in messages] == ["Disk almost full"]  # the thread channel's own record
    assert again.audit["actions"][0]["receipt"]["message_id"] == messages[0].id


async def test_a_webhook_whose_outcome_is_unknown_is_sent_again_with_the_same_key(
    bench: Bench,
) -> None:
    hook = RecordingChannel("ops")
    await bench.thread(target="ops")
    bench.llm.script("Disk almost full")
    bench.channels["ops"] = DiesAfterDelivering(hook)  # type: ignore[assignment]
    with pytest.raises(Killed):
        await attempt(bench, bench.runner())
    claim: Claim = bench.claim  # type: ignore[attr-defined]

    bench.channels["ops"] = hook
    again = await attempt(bench, bench.runner(), claim)
    first, second = hook.deliveries
    assert first.effect is not None and second.effect == first.effect
    assert first.effect.idempotency_key == f"{claim.key}:0"
    [delivery] = again.audit["deliveries"]
    assert delivery["retried_unknown"] is True
    assert again.audit["resumed"]["effects"]["retried_unknown"] == [0]

    third = await attempt(bench, bench.runner(), claim)  # done now: not sent a third time
    assert len(hook.deliveries) == 2
    assert third.audit["deliveries"][0]["reused"] is True


async def test_actions_of_tool_rounds_are_carried_out_once(bench: Bench) -> None:
    await bench.thread(actions={"allowed": ["message", "vote", "none"]})
    vote = {"target": "post", "id": "7", "direction": "up"}
    bench.llm.script(tool_reply("ledger_vote", vote), "Voted; disk almost full")
    executor = CountingExecutor()
    channel = ThreadChannel(bench.store, bench.clock, bench.events)
    runner = bench.runner(executor=executor, thread_channel=channel)
    await attempt(bench, runner)
    claim: Claim = bench.claim  # type: ignore[attr-defined]
    assert [(kind, ref.index) for kind, ref in executor.calls] == [
        ("VoteAction", 0),
        ("MessageAction", 1),
    ]

    again = await attempt(bench, runner, claim)
    assert len(executor.calls) == 2  # nothing carried out a second time
    assert len(bench.llm.requests) == 2
    assert again.audit["resumed"]["decisions_replayed"] == 2
    assert [a["type"] for a in again.audit["actions"]] == ["vote", "message"]
    assert [m.text for m in await bench.store.messages("t1")] == ["Voted; disk almost full"]
