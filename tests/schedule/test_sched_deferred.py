"""A slot held back by the flood limit must not stay `deferred` forever when its schedule is
re-planned (a new interval) or removed (the skill was deleted): it is finished as skipped
`superseded`, with why in its audit record (issue 10, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sched_support import Rig

from soulbeat.store.records import BeatRecord


async def _flood_deferred_skill_slot(rig: Rig) -> BeatRecord:
    await rig.add("t1")
    await rig.add("t1", "digest")
    await rig.scheduler.run_due()
    await rig.park("t1")
    skill = await rig.schedule("t1", "digest")
    due = rig.clock.now() + timedelta(minutes=10)  # a slot far enough ahead, whatever the phase
    await rig.store.put_schedule(
        "t1",
        "digest",
        next_due_at=due,
        phase_seconds=skill.phase_seconds,
        fingerprint=skill.fingerprint,
    )
    await rig.clock.set(due - timedelta(seconds=50))
    for _ in range(5):  # five manual starts in under a minute fill the flood window
        await rig.scheduler.run_now("t1")
        await rig.clock.advance(8)
    await rig.clock.set(due)
    assert await rig.scheduler.run_due() == 1
    deferred = (await rig.beats())[-1]
    assert (deferred.skill, deferred.status, deferred.skip_reason) == (
        "digest",
        "deferred",
        "flood",
    )
    return deferred


@pytest.mark.parametrize("change", ["interval", "removed", "disabled"])
async def test_a_flood_deferred_slot_is_superseded_when_its_schedule_changes(
    rig: Rig, change: str
) -> None:
    deferred = await _flood_deferred_skill_slot(rig)
    if change == "interval":
        await rig.add("t1", "digest", interval=timedelta(hours=2))
    elif change == "removed":
        rig.planner.remove("t1", "digest")
    else:
        await rig.add("t1", "digest", interval=None)
    rig.scheduler.replan()
    await rig.scheduler.run_due()
    closed = await rig.store.get_beat(deferred.id)
    assert (closed.status, closed.outcome, closed.skip_reason) == (
        "finished",
        "skipped",
        "superseded",
    )
    assert closed.audit["superseded"] in (
        "the schedule was re-planned",
        "the schedule was removed",
    )
    assert [b.status for b in await rig.beats()].count("deferred") == 0
    if change == "interval":  # the new plan beats on its own slot, once
        await rig.to_due("t1", "digest")
        assert await rig.scheduler.run_due() == 1
        assert (await rig.beats())[-1].outcome == "ok-token"


async def test_an_unchanged_schedule_runs_its_deferred_slot_later(rig: Rig) -> None:
    deferred = await _flood_deferred_skill_slot(rig)
    await rig.clock.advance(timedelta(seconds=60))
    await rig.scheduler.run_due()
    ran = await rig.store.get_beat(deferred.id)
    assert (ran.status, ran.outcome) == ("finished", "ok-token")
