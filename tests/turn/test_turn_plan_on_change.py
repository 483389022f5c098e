"""Planning on change (issue 12): an idle pass plans nothing; a thread's config or flag change
re-plans that thread alone, a skill added or removed re-plans its agent's threads; every change
still takes effect on the next slot. Re-plans are counted by `WorkspacePlanner.planned`, files
read by `WorkspaceSnapshots.reads`. A skill added while the scheduler sleeps wakes it (issue 10
item 6)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from turn_support import Bench, write_workspace

from soulbeat.agents.planner import WorkspacePlanner
from soulbeat.agents.registry import AgentRegistry
from soulbeat.agents.snapshots import WorkspaceSnapshots
from soulbeat.schedule.scheduler import Scheduler
from soulbeat.store.records import BeatRecord

SKILL = """\
---
name: garden
description: Looks after the garden.
heartbeat:
  every: "1h"
---
# garden
Water the tomatoes when the soil is dry.
"""
EMPTY = "# HEARTBEAT.md\n\n## Tasks\n"


class Fleet:
    """A real planner and scheduler over the bench's store, with the planner exposed."""

    def __init__(self, bench: Bench, *, watch: bool = False, settled: bool = True) -> None:
        self.registry: AgentRegistry = bench.registry()
        if settled:  # files count as older than the racy window, so snapshots are kept
            self.registry.snapshots = WorkspaceSnapshots(wall=lambda: 4e9)
        self.planner = WorkspacePlanner(bench.store, self.registry, watch=watch)
        self.scheduler = Scheduler(
            bench.store, self.planner, bench.runner(), bench.clock, worker_id="w1"
        )


async def add_threads(bench: Bench, *ids: str) -> None:
    for thread_id in ids:
        await bench.thread(thread_id)


async def beats(bench: Bench, thread_id: str) -> list[BeatRecord]:
    return sorted(await bench.store.list_beats(thread_id=thread_id), key=lambda b: b.id)


async def test_idle_passes_plan_nothing_and_read_no_file(bench: Bench) -> None:
    await add_threads(bench, "t1", "t2", "t3")
    fleet = Fleet(bench)
    await fleet.scheduler.run_due()
    assert fleet.planner.planned == 3
    reads = fleet.registry.snapshots.reads
    for _ in range(3):
        await bench.clock.advance(timedelta(seconds=1))
        await fleet.scheduler.run_due()
    assert fleet.planner.planned == 3
    assert fleet.registry.snapshots.reads == reads


async def test_a_config_change_replans_its_thread_only_and_takes_effect(bench: Bench) -> None:
    await add_threads(bench, "t1", "t2", "t3")
    fleet = Fleet(bench)
    await fleet.scheduler.run_due()
    before = await bench.store.get_schedule("t2", "")
    await bench.store.set_thread_config("t2", {"every": "5m"})
    await fleet.scheduler.run_due()
    assert fleet.planner.planned == 4
    after = await bench.store.get_schedule("t2", "")
    assert before is not None and after is not None and after.next_due_at is not None
    assert after.fingerprint != before.fingerprint
    assert after.next_due_at <= bench.clock.now() + timedelta(minutes=5)
    assert after.inputs != before.inputs
    untouched = await bench.store.get_schedule("t1", "")
    assert untouched is not None and untouched.inputs.startswith("1:")


async def test_a_flag_change_replans_and_stops_the_slot(bench: Bench) -> None:
    await add_threads(bench, "t1", "t2")
    fleet = Fleet(bench)
    await fleet.scheduler.run_due()
    await bench.store.set_thread_enabled("t1", False)
    await fleet.scheduler.run_due()
    assert fleet.planner.planned == 3
    schedule = await bench.store.get_schedule("t1", "")
    assert schedule is not None and schedule.next_due_at is None
    await bench.clock.advance(timedelta(minutes=31))
    await fleet.scheduler.run_due()
    assert await beats(bench, "t1") == []
    assert len(await beats(bench, "t2")) == 1


async def test_a_skill_added_or_removed_replans_the_agents_threads(bench: Bench) -> None:
    await add_threads(bench, "t1", "t2")
    fleet = Fleet(bench)
    await fleet.scheduler.run_due()
    write_workspace(bench.workspace, {".agents/skills/garden/SKILL.md": SKILL})
    await fleet.scheduler.run_due()
    assert fleet.planner.planned == 4
    assert {s.skill for s in await bench.store.list_schedules("t1")} == {"", "garden"}
    (bench.workspace / ".agents/skills/garden/SKILL.md").unlink()
    (bench.workspace / ".agents/skills/garden").rmdir()
    await fleet.scheduler.run_due()
    assert fleet.planner.planned == 6
    assert {s.skill for s in await bench.store.list_schedules("t1")} == {""}


async def test_a_heartbeat_file_edit_takes_effect_on_the_next_slot_without_a_replan(
    bench: Bench,
) -> None:
    await add_threads(bench, "t1")
    fleet = Fleet(bench)
    await fleet.scheduler.run_due()
    reads = fleet.registry.snapshots.reads
    write_workspace(bench.workspace, {"HEARTBEAT.md": EMPTY})
    await bench.clock.advance(timedelta(minutes=31))
    await fleet.scheduler.run_due()
    [beat] = await beats(bench, "t1")
    assert (beat.outcome, beat.skip_reason) == ("skipped", "empty-heartbeat-file")
    assert fleet.planner.planned == 1
    assert fleet.registry.snapshots.reads == reads + 1  # read again once, as it changed


async def test_a_restart_with_nothing_changed_writes_no_schedule(bench: Bench) -> None:
    await add_threads(bench, "t1", "t2")
    first = Fleet(bench)
    await first.scheduler.run_due()
    stored = await bench.store.list_schedules()
    second = Fleet(bench)  # a new process: plans everything once, finds it all unchanged
    await second.scheduler.run_due()
    assert second.planner.planned == 2
    assert await bench.store.list_schedules() == stored


async def test_a_skill_added_wakes_the_sleeping_scheduler(bench: Bench) -> None:
    await add_threads(bench, "t1")
    fleet = Fleet(bench, watch=True, settled=False)
    loop = asyncio.create_task(fleet.scheduler.run_forever())
    try:
        await asyncio.wait_for(_until(lambda: fleet.scheduler.sleeping), 15)
        planned = fleet.planner.planned
        write_workspace(bench.workspace, {".agents/skills/garden/SKILL.md": SKILL})

        async def skill_planned() -> bool:
            return await bench.store.get_schedule("t1", "garden") is not None

        await asyncio.wait_for(_until_async(skill_planned), 15)
        assert fleet.planner.planned > planned
    finally:
        await fleet.scheduler.shutdown()
        await loop


async def _until(condition: object) -> None:
    """Poll a condition that a file-system event (not the clock) makes true; at most ~10 s."""
    assert callable(condition)
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)


async def _until_async(condition: object) -> None:
    assert callable(condition)
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.02)


async def test_a_full_sync_is_not_planned_again_by_the_next_pass(bench: Bench) -> None:
    await add_threads(bench, "t1", "t2", "t3")
    fleet = Fleet(bench)
    await fleet.scheduler.sync_schedules()  # plans every thread (start-up, `add-many`)
    assert fleet.planner.planned == 3
    await fleet.scheduler.run_due()  # the first pass: only what changed since, i.e. nothing
    assert fleet.planner.planned == 3
    await bench.thread("t4")
    await fleet.scheduler.run_due()
    assert fleet.planner.planned == 4


async def test_a_watched_workspace_is_not_stat_checked_until_the_watch_reports(
    bench: Bench,
) -> None:
    """While the planner's watch runs, a checked snapshot is trusted for `trust` seconds (no
    stat per beat); an edit is seen once the watch reports it (`invalidate`), or once the trust
    runs out even if the watch never reports it."""
    await add_threads(bench, "t1")
    ticks = [0.0]
    fleet = Fleet(bench)
    fleet.registry.snapshots = WorkspaceSnapshots(wall=lambda: 4e9, monotonic=lambda: ticks[0])
    snapshots = fleet.registry.snapshots
    snapshots.trust = 1.0
    first = fleet.registry.workspace("default")
    write_workspace(bench.workspace, {"HEARTBEAT.md": EMPTY})
    assert fleet.registry.workspace("default") is first  # trusted: not looked at again
    snapshots.invalidate()  # the watch reported the edit
    edited = fleet.registry.workspace("default")
    assert edited is not first and snapshots.reads == 2
    write_workspace(bench.workspace, {"HEARTBEAT.md": "# Checks\n- look again\n"})
    ticks[0] = 0.5
    assert fleet.registry.workspace("default") is edited
    ticks[0] = 1.6  # no report came: the trust ran out, the stats are checked again
    assert fleet.registry.workspace("default") is not edited
    assert snapshots.reads == 3
