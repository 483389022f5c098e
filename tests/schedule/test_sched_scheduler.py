"""`Scheduler.run_due` and friends: schedules, guards, skills, flags, events, run-now."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sched_support import Rig, until

from soulbeat.contract.active_hours import ActiveHours
from soulbeat.errors import NotFoundError
from soulbeat.events.bus import EventBus
from soulbeat.schedule.cadence import EPOCH, plan_fingerprint
from soulbeat.schedule.plan import BeatPlan
from soulbeat.schedule.scheduler import ENABLED_FLAG, Scheduler
from soulbeat.store.records import BeatResult
from soulbeat.testing.planner import StaticPlanner

HOUR = timedelta(hours=1)


# -- schedules follow the plans ------------------------------------------------------------------
async def test_missed_slots_are_coalesced_into_one_beat(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    missed_from = await rig.due("t1")

    await rig.clock.advance(timedelta(hours=5))  # ten slots go by while nothing runs
    assert await rig.scheduler.run_due() == 1
    assert await rig.scheduler.run_due() == 0

    [beat] = await rig.beats()
    assert beat.due_at == missed_from
    next_due = await rig.due("t1")
    assert rig.clock.now() < next_due <= rig.clock.now() + timedelta(minutes=30)
    assert (next_due - missed_from) % timedelta(minutes=30) == timedelta(0)


async def test_a_changed_interval_replans_from_now_and_a_removed_plan_is_deleted(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    before = await rig.schedule("t1")

    await rig.add("t1", interval=timedelta(hours=6))
    await rig.clock.advance(60)
    await rig.scheduler.sync_schedules()
    after = await rig.schedule("t1")
    assert after.fingerprint != before.fingerprint
    assert after.next_due_at is not None
    assert rig.clock.now() < after.next_due_at <= rig.clock.now() + timedelta(hours=6)
    assert timedelta(seconds=after.phase_seconds) < timedelta(hours=6)

    rig.planner.remove("t1")
    await rig.scheduler.sync_schedules()
    assert await rig.store.get_schedule("t1", "") is None


async def test_an_unchanged_plan_keeps_its_slot(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    due = await rig.due("t1")
    await rig.clock.advance(600)
    await rig.scheduler.sync_schedules()
    assert await rig.due("t1") == due


async def test_slots_are_on_the_phase_grid(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    schedule = await rig.schedule("t1")
    assert schedule.next_due_at is not None
    offset = (schedule.next_due_at - EPOCH) % timedelta(minutes=30)
    assert offset == timedelta(seconds=schedule.phase_seconds)


async def test_slots_are_seeked_into_active_hours(rig: Rig) -> None:
    window = ActiveHours("09:00", "10:00", "UTC")
    await rig.add("t1", interval=HOUR, active_hours=window)
    await rig.scheduler.run_due()  # at 00:00 UTC: the first slot inside is 09:xx
    due = await rig.due("t1")
    assert due.hour == 9 and due.date() == rig.clock.now().date()
    await rig.clock.set(due)
    assert await rig.scheduler.run_due() == 1
    assert (await rig.due("t1")).date() > due.date()  # next day, 09:xx again
    assert (await rig.due("t1")).hour == 9


async def test_a_stale_slot_is_skipped_past(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    due = await rig.to_due("t1")
    assert await rig.scheduler.run_due() == 1
    # Something put the schedule back on the slot that already finished (same fingerprint).
    schedule = await rig.schedule("t1")
    await rig.store.put_schedule(
        "t1", "", next_due_at=due, phase_seconds=schedule.phase_seconds,
        fingerprint=schedule.fingerprint,
    )  # fmt: skip
    await rig.clock.advance(1)
    assert await rig.scheduler.run_due() == 0
    assert await rig.due("t1") == due + timedelta(minutes=30)


# -- guards ---------------------------------------------------------------------------------------
async def test_a_skip_is_recorded_and_the_slot_advances(rig: Rig) -> None:
    await rig.add("t1", heartbeat_file_empty=True)
    await rig.scheduler.run_due()
    due = await rig.to_due("t1")
    assert await rig.scheduler.run_due() == 1
    [beat] = await rig.beats()
    assert (beat.status, beat.outcome, beat.skip_reason) == (
        "finished",
        "skipped",
        "empty-heartbeat-file",
    )
    assert beat.audit["guards_passed"] == [
        "disabled", "quiet-hours", "quiet-after-message", "busy", "cooldown", "flood", "idle",
        "budget",
    ]  # fmt: skip
    assert rig.runner.calls == []
    assert await rig.due("t1") == due + timedelta(minutes=30)
    # A skip is not a beat start: a manual beat right after is not held back.
    assert (await rig.scheduler.run_now("t1")).outcome == "ok-token"


async def test_quiet_hours_skip_scheduled_beats_but_not_manual_ones(rig: Rig) -> None:
    never = ActiveHours("09:00", "09:00", "UTC")
    await rig.add("t1", active_hours=never)
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    await rig.scheduler.run_due()
    assert [(b.outcome, b.skip_reason) for b in await rig.beats()] == [("skipped", "quiet-hours")]
    manual = await rig.scheduler.run_now("t1")
    assert (manual.outcome, manual.reason) == ("ok-token", "manual")


async def test_budget_counts_todays_tokens(rig: Rig) -> None:
    await rig.add("t1", daily_token_budget=100)
    await rig.scheduler.run_due()
    await rig.park("t1")
    start = rig.clock.now()
    rig.runner.script(BeatResult("sent", start, start, prompt_tokens=80, completion_tokens=20))
    assert (await rig.scheduler.run_now("t1")).outcome == "sent"
    await rig.clock.advance(60)
    assert (await rig.scheduler.run_now("t1")).skip_reason == "budget"
    await rig.clock.advance(timedelta(days=1))
    assert (await rig.scheduler.run_now("t1")).outcome == "ok-token"


async def test_task_runs_advance_only_when_a_beat_completes(rig: Rig) -> None:
    await rig.add("t1", has_cadence_tasks=True, due_tasks=("inbox",))
    await rig.scheduler.run_due()
    await rig.park("t1")
    rig.runner.script(RuntimeError("model down"))
    assert (await rig.scheduler.run_now("t1")).outcome == "failed"
    assert (await rig.schedule("t1")).task_last_run == {}
    first = rig.clock.now()
    await rig.clock.advance(60)
    assert (await rig.scheduler.run_now("t1")).outcome == "ok-token"
    assert (await rig.schedule("t1")).task_last_run == {"inbox": rig.clock.now()}
    assert rig.clock.now() > first


async def test_no_tasks_due_skips_scheduled_beats_but_not_event_wakes(rig: Rig) -> None:
    await rig.add("t1", has_cadence_tasks=True, due_tasks=())
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    await rig.scheduler.run_due()
    rig.scheduler.wake("t1", "hook:github")
    await rig.clock.advance(0.25)
    await rig.scheduler.run_due()
    beats = await rig.beats()
    assert [(b.reason, b.outcome, b.skip_reason) for b in beats] == [
        ("interval", "skipped", "no-tasks-due"),
        ("hook:github", "ok-token", None),
    ]


async def test_a_disabled_thread_has_no_slot_and_its_wakes_are_skipped(rig: Rig) -> None:
    await rig.add("t1", enabled=False)
    await rig.scheduler.run_due()
    assert (await rig.schedule("t1")).next_due_at is None
    await rig.clock.advance(timedelta(days=2))
    assert await rig.scheduler.run_due() == 0
    record = await rig.scheduler.run_now("t1")
    assert (record.outcome, record.skip_reason) == ("skipped", "disabled")

    await rig.add("t1", enabled=True)  # re-enabled: planned again from now
    await rig.scheduler.sync_schedules()
    assert (await rig.due("t1")) > rig.clock.now()


async def test_a_stopped_scheduler_claims_and_writes_nothing_and_start_resumes(
    rig: Rig,
) -> None:
    """SPEC §9.1: while stopped no slot is claimed and no row written; after `start()` the slot
    missed meanwhile runs once (coalesced), then the grid goes on."""
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.scheduler.stop()
    assert not await rig.scheduler.is_enabled()
    due = await rig.to_due("t1")
    assert await rig.scheduler.run_due() == 0
    await rig.clock.advance(timedelta(hours=2))
    assert await rig.scheduler.run_due() == 0
    assert await rig.beats() == []
    assert await rig.due("t1") == due

    await rig.scheduler.start()
    assert await rig.scheduler.run_due() == 1
    beats = await rig.beats()
    assert [(b.outcome, b.due_at) for b in beats] == [("ok-token", due)]
    assert rig.events.names()[:1] == ["scheduler.stopped"]
    assert "scheduler.started" in rig.events.names()


async def test_a_manual_beat_runs_while_stopped_and_says_so(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.stop()
    record = await rig.scheduler.run_now("t1")
    assert record.outcome == "ok-token"
    assert record.audit["scheduler_stopped"] is True
    rig.scheduler.wake("t1", "event")
    await rig.clock.advance(timedelta(seconds=1))
    assert await rig.scheduler.run_due() == 0  # other wakes are dropped while stopped
    assert len(await rig.beats()) == 1


async def test_a_wake_taken_after_another_process_started_the_scheduler_is_kept(
    rig: Rig,
) -> None:
    """A pass that read "stopped" just before another process started the fleet must not drop
    the wakes it then takes (they may have been asked for after that start)."""
    await rig.add("t1")
    await rig.scheduler.stop()
    read = rig.store.get_flag

    async def stale(name: str, default: bool) -> bool:
        value = await read(name, default)
        await rig.store.set_flag(ENABLED_FLAG, True)  # the start lands right after this read
        return value

    rig.store.get_flag = stale  # type: ignore[method-assign]
    rig.scheduler.wake("t1", "event")
    await rig.clock.advance(1)
    assert await rig.scheduler.run_due() == 0  # this pass believed the fleet stopped
    rig.store.get_flag = read  # type: ignore[method-assign]
    assert await rig.scheduler.run_due() == 1
    assert [b.reason for b in await rig.beats()] == ["event"]


# -- skills --------------------------------------------------------------------------------------
async def test_skill_schedules_have_their_own_phase_and_reason(rig: Rig) -> None:
    await rig.add("t1", interval=HOUR)
    await rig.add("t1", "digest", interval=HOUR)
    await rig.scheduler.run_due()
    main, skill = await rig.schedule("t1"), await rig.schedule("t1", "digest")
    assert main.phase_seconds != skill.phase_seconds

    await rig.clock.advance(HOUR)
    assert await rig.scheduler.run_due() == 2  # both due: one runs, the other finds t1 busy
    await rig.clock.advance(1)
    assert await rig.scheduler.run_due() == 1
    by_skill = {call.claim.skill: call.claim.reason for call in rig.runner.calls}
    assert by_skill == {"": "interval", "digest": "skill:digest"}
    assert {(b.skill, b.reason) for b in await rig.beats()} == {
        ("", "interval"),
        ("digest", "skill:digest"),
    }
    assert (await rig.beats())[0].key != (await rig.beats())[1].key


async def test_a_beat_in_flight_makes_the_other_schedules_of_its_thread_busy(rig: Rig) -> None:
    await rig.add("t1", interval=HOUR)
    await rig.add("t1", "digest", interval=HOUR)
    await rig.scheduler.run_due()
    await rig.park("t1", "digest")
    rig.runner.hold()
    await rig.to_due("t1")

    main = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(1)
    assert rig.scheduler.is_busy("t1")
    rig.scheduler.wake("t1", "manual", "digest")
    await rig.clock.advance(0.25)
    assert await rig.scheduler.run_due() == 1
    deferred = [b for b in await rig.beats() if b.skill == "digest"]
    assert [(b.status, b.skip_reason) for b in deferred] == [("deferred", "busy")]
    rig.runner.release()
    await main
    await rig.clock.advance(1)
    assert await rig.scheduler.run_due() == 1
    assert [b.status for b in await rig.beats()] == ["finished", "finished"]


# -- run-now -------------------------------------------------------------------------------------
async def test_run_now_returns_the_finished_record(rig: Rig) -> None:
    await rig.add("t1")  # never synced: run-now plans the thread first
    record = await rig.scheduler.run_now("t1")
    assert (record.status, record.outcome, record.reason) == ("finished", "ok-token", "manual")
    assert record.key == f"t1@{rig.clock.now().isoformat()}"
    again = await rig.scheduler.run_now("t1")  # same instant: a key of its own
    assert again.key != record.key and again.outcome == "ok-token"


async def test_run_now_on_a_slot_instant_does_not_collide_with_the_slot(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    await rig.scheduler.run_due()
    record = await rig.scheduler.run_now("t1")
    assert record.outcome == "ok-token"
    assert len({b.key for b in await rig.beats()}) == 2


async def test_run_now_waits_while_the_thread_is_busy(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    async with rig.scheduler.busy("t1"):
        task = asyncio.create_task(rig.scheduler.run_now("t1"))
        await until(lambda: rig.clock.sleepers == 1)  # deferred once, waiting a second
        [deferred] = await rig.beats()
        assert (deferred.status, deferred.skip_reason) == ("deferred", "busy")
        await rig.clock.advance(1)
        await until(lambda: rig.clock.sleepers == 1)  # deferred again
    await rig.clock.advance(1)
    record = await task
    assert (record.key, record.status, record.outcome) == (deferred.key, "finished", "ok-token")
    assert record.attempt == 3
    assert rig.runner.reasons == ["manual"]


async def test_run_now_of_an_unknown_thread_raises(rig: Rig) -> None:
    with pytest.raises(NotFoundError):
        await rig.scheduler.run_now("nobody")


# -- events --------------------------------------------------------------------------------------
async def test_beats_are_published_as_events(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_now("t1")
    started, finished = rig.events.events
    assert started[0] == "beat.started" and started[1]["thread_id"] == "t1"
    assert finished[0] == "beat.finished"
    assert (finished[1]["outcome"], finished[1]["reason"]) == ("ok-token", "manual")


async def test_a_failing_event_sink_never_stops_the_scheduler(rig: Rig) -> None:
    class Broken:
        def publish(self, name: str, data: object) -> None:
            raise RuntimeError("sink down")

    scheduler = Scheduler(
        rig.store, rig.planner, rig.runner, rig.clock, worker_id="w2", events=Broken()
    )
    await rig.add("t1")
    assert (await scheduler.run_now("t1")).outcome == "ok-token"
    await scheduler.stop()
    await scheduler.start()


async def test_works_with_the_event_bus(rig: Rig) -> None:
    bus = EventBus(rig.clock)
    scheduler = Scheduler(rig.store, rig.planner, rig.runner, rig.clock, worker_id="w2", events=bus)
    await rig.add("t1")
    await scheduler.run_now("t1")
    await scheduler.stop()
    assert [event.name for event in bus.since()] == [
        "beat.started",
        "beat.finished",
        "scheduler.stopped",
    ]


async def test_the_schedule_stores_the_plans_fingerprint(rig: Rig) -> None:
    plan = await rig.add("t1")
    await rig.scheduler.run_due()
    assert (await rig.schedule("t1")).fingerprint == plan_fingerprint(plan)


# -- failures around the beat --------------------------------------------------------------------
class FlakyPlanner(StaticPlanner):
    """Fails once when asked for a beat's plan."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def plan_for_beat(self, *args: Any, **kwargs: Any) -> BeatPlan | None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("workspace unreadable")
        return await super().plan_for_beat(*args, **kwargs)


async def test_a_planner_error_is_recorded_and_the_slot_replanned(rig: Rig) -> None:
    planner = FlakyPlanner()
    scheduler = Scheduler(rig.store, planner, rig.runner, rig.clock, worker_id="w2")
    await rig.add("t1")
    planner.set(rig.planner.get("t1"))  # type: ignore[arg-type]
    await scheduler.run_due()
    due = await rig.to_due("t1")
    assert await scheduler.run_due() == 1
    [failed] = await rig.beats()
    assert (failed.outcome, failed.audit["failure"]) == ("failed", "error")
    assert failed.error is not None and "workspace unreadable" in failed.error
    await rig.clock.advance(1)
    assert await scheduler.run_due() == 0  # the finished slot is stale: re-planned from now
    assert await rig.due("t1") == due + timedelta(minutes=30)


async def test_a_beat_whose_schedule_was_deleted_mid_beat_is_dropped(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    rig.runner.hold()
    task = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(1)
    await rig.store.delete_schedule("t1", "")  # e.g. the thread's heartbeat was removed
    rig.runner.release()
    assert await task == 1
    [beat] = await rig.beats()
    assert beat.status == "interrupted"  # not finished by a worker that lost its lease


async def test_a_beat_places_its_next_slot_from_the_stored_phase_without_hashing(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import soulbeat.schedule.slots as slots

    hashed: list[str] = []
    real = slots.phase_offset

    def counted(seed: str, thread_id: str, interval: timedelta, skill: str = "") -> timedelta:
        hashed.append(thread_id)
        return real(seed, thread_id, interval, skill)

    monkeypatch.setattr(slots, "phase_offset", counted)
    await rig.add("t1")
    await rig.scheduler.run_due()  # planning hashes the phase once
    assert hashed == ["t1"]
    for _ in range(3):  # each beat moves the slot one interval on, from the stored phase
        due = await rig.to_due("t1")
        await rig.scheduler.run_due()
        assert await rig.due("t1") == due + timedelta(minutes=30)
    assert hashed == ["t1"]
    assert len(await rig.beats("t1")) == 3
