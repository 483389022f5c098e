"""Wakes: reasons, priorities, and the 250 ms coalescing of `WakeQueue`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from soulbeat.schedule.wakes import (
    Wake,
    WakeQueue,
    check_reason,
    hook_reason,
    priority,
    skill_reason,
)
from soulbeat.testing import FakeClock


def test_priorities() -> None:
    order = ["retry", "interval", "event", "manual"]
    assert [priority(reason) for reason in order] == sorted(priority(r) for r in order)
    assert priority("hook:github") == priority("event")
    assert priority("skill:digest") == priority("interval")


@pytest.mark.parametrize("reason", ["", "hook:", "skill:", "Manual", "cron", "wake"])
def test_unknown_reasons_are_refused(reason: str) -> None:
    with pytest.raises(ValueError, match="wake reason"):
        check_reason(reason)


def test_reason_builders() -> None:
    assert hook_reason("github") == "hook:github"
    assert skill_reason("digest") == "skill:digest"


async def test_F10_wakes_within_250ms_become_one_with_the_highest_reason(clock: FakeClock) -> None:
    queue = WakeQueue(clock)
    first_at = clock.now()
    queue.push("t1", "interval")
    await clock.advance(0.1)
    queue.push("t1", "event")
    await clock.advance(0.1)
    queue.push("t1", "retry")
    assert queue.pop_ready() == []
    assert queue.next_ready_at() == first_at + timedelta(milliseconds=250)
    await clock.advance(0.05)
    assert queue.pop_ready() == [Wake("t1", "", "event", first_at)]
    assert len(queue) == 0 and queue.next_ready_at() is None


async def test_schedules_coalesce_separately(clock: FakeClock) -> None:
    queue = WakeQueue(clock)
    queue.push("t1", "event")
    queue.push("t1", "skill:digest", skill="digest")
    queue.push("t2", "manual")
    await clock.advance(0.25)
    ready = queue.pop_ready()
    assert [(w.thread_id, w.skill, w.reason) for w in ready] == [
        ("t2", "", "manual"),
        ("t1", "", "event"),
        ("t1", "digest", "skill:digest"),
    ]


async def test_pop_ready_takes_at_most_the_limit_highest_first(clock: FakeClock) -> None:
    queue = WakeQueue(clock)
    queue.push("t1", "retry")
    queue.push("t2", "manual")
    await clock.advance(0.25)
    assert [w.thread_id for w in queue.pop_ready(limit=1)] == ["t2"]
    assert [w.thread_id for w in queue.pending()] == ["t1"]


async def test_a_deferred_wake_keeps_its_instant_and_absorbs_new_ones(clock: FakeClock) -> None:
    queue = WakeQueue(clock)
    wake = queue.push("t1", "event")
    await clock.advance(0.25)
    [taken] = queue.pop_ready()
    queue.retry_at(taken, clock.now() + timedelta(seconds=30))  # deferred: cooldown
    await clock.advance(1)
    queue.push("t1", "manual")  # a manual wake is not held back by the deferral
    await clock.advance(0.25)
    assert queue.pop_ready() == [Wake("t1", "", "manual", wake.at)]


async def test_a_lower_wake_does_not_bring_a_deferred_one_forward_in_reason(
    clock: FakeClock,
) -> None:
    queue = WakeQueue(clock)
    wake = queue.push("t1", "event")
    await clock.advance(0.25)
    [taken] = queue.pop_ready()
    queue.retry_at(taken, clock.now() + timedelta(seconds=1))
    queue.push("t1", "retry")
    await clock.advance(1)
    assert queue.pop_ready() == [Wake("t1", "", "event", wake.at)]
