"""A fleet's full planning goes a page of threads at a time (issue 12): every thread is planned
once, each page against its own schedules only, schedules a page no longer plans are removed,
and a thread changed while the pages were read is planned again on the next pass."""

from __future__ import annotations

import pytest
from turn_support import Bench

from soulbeat.agents.planner import WorkspacePlanner
from soulbeat.schedule import slots
from soulbeat.schedule.scheduler import Scheduler

IDS = [f"t{i}" for i in range(7)]


def scheduler_of(bench: Bench, planner: WorkspacePlanner) -> Scheduler:
    return Scheduler(bench.store, planner, bench.runner(), bench.clock, worker_id="w1")


async def test_pages_cover_every_thread_once_in_pages_of_the_size_asked(bench: Bench) -> None:
    for thread_id in IDS:
        await bench.thread(thread_id)
    planner = WorkspacePlanner(bench.store, bench.registry())
    pages = [page async for page in planner.pages(3)]
    assert [len(page.threads or ()) for page in pages] == [3, 3, 1]
    assert sorted(p.thread_id for page in pages for p in page.plans) == IDS
    assert planner.planned == len(IDS)
    assert (await planner.changes()).plans == []  # nothing changed since the pages were read


async def test_a_paged_first_pass_plans_every_thread_and_keeps_what_is_planned(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slots, "SYNC_PAGE", 2)
    for thread_id in IDS:
        await bench.thread(thread_id)
    await bench.store.put_schedule(
        "t4", "gone", next_due_at=bench.clock.now(), phase_seconds=0, fingerprint=""
    )
    planner = WorkspacePlanner(bench.store, bench.registry())
    scheduler = scheduler_of(bench, planner)
    await scheduler.run_due()  # the first pass: a full sync, in pages of 2
    planned = {(s.thread_id, s.skill) for s in await bench.store.list_schedules()}
    assert planned == {(t, "") for t in IDS}  # the unplanned skill schedule was removed
    assert planner.planned == len(IDS)
    before = {s.thread_id: s for s in await bench.store.list_schedules()}
    await scheduler.run_due()
    assert planner.planned == len(IDS)  # later passes plan only what changed
    assert {s.thread_id: s for s in await bench.store.list_schedules()} == before


async def test_a_thread_changed_while_pages_are_read_is_planned_again(bench: Bench) -> None:
    for thread_id in IDS:
        await bench.thread(thread_id)
    planner = WorkspacePlanner(bench.store, bench.registry())
    pages = planner.pages(3)
    first = await anext(pages)
    assert "t0" in (first.threads or ())
    await bench.store.set_thread_config("t0", {"every": "5m"})  # its page is already planned
    async for _ in pages:
        pass
    again = await planner.changes()
    assert [p.thread_id for p in again.plans] == ["t0"]
