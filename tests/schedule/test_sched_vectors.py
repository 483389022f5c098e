"""The scheduling rows of spec/vectors.md (F7–F12), driven through `Scheduler.run_due`.

F1–F6 are pure cadence rows: see test_sched_cadence.py.
"""

from __future__ import annotations

from datetime import timedelta

from sched_support import Rig

from soulbeat.schedule.gates import COOLDOWN, FLOOD_WINDOW


async def test_F7_no_beat_at_start_up_then_one_per_interval(rig: Rig) -> None:
    await rig.add("t1")
    assert await rig.scheduler.run_due() == 0
    due = await rig.due("t1")
    assert rig.clock.now() < due <= rig.clock.now() + timedelta(minutes=30)

    await rig.clock.advance(timedelta(minutes=30, seconds=1))
    assert await rig.scheduler.run_due() == 1

    assert rig.runner.reasons == ["interval"]
    [beat] = await rig.beats()
    assert (beat.reason, beat.status, beat.outcome, beat.due_at) == (
        "interval",
        "finished",
        "ok-token",
        due,
    )
    assert await rig.due("t1") == due + timedelta(minutes=30)


async def test_F8_a_beat_that_raises_does_not_stop_the_scheduler(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    rig.runner.script(RuntimeError("boom"))

    first_due = await rig.to_due("t1")
    assert await rig.scheduler.run_due() == 1
    await rig.clock.advance(timedelta(minutes=30))
    assert await rig.scheduler.run_due() == 1

    failed, ok = await rig.beats()
    assert failed.outcome == "failed" and failed.error is not None and "boom" in failed.error
    assert failed.audit["failure"] == "error"
    assert ok.outcome == "ok-token" and ok.due_at == first_due + timedelta(minutes=30)


async def test_F9_a_busy_thread_is_retried_after_one_second_on_the_same_slot(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    due = await rig.to_due("t1")

    async with rig.scheduler.busy("t1"):
        assert await rig.scheduler.run_due() == 1
    [deferred] = await rig.beats()
    assert (deferred.status, deferred.skip_reason) == ("deferred", "busy")
    schedule = await rig.schedule("t1")
    assert schedule.next_due_at == due
    assert schedule.not_before == rig.clock.now() + timedelta(seconds=1)
    assert rig.runner.calls == []

    await rig.clock.advance(timedelta(milliseconds=999))
    assert await rig.scheduler.run_due() == 0
    await rig.clock.advance(timedelta(milliseconds=1))
    assert await rig.scheduler.run_due() == 1

    [beat] = await rig.beats()
    assert (beat.id, beat.status, beat.outcome, beat.attempt) == (
        deferred.id,
        "finished",
        "ok-token",
        2,
    )
    assert await rig.due("t1") == due + timedelta(minutes=30)


async def test_F10_wakes_within_250ms_coalesce_into_one_beat_of_the_highest_reason(
    rig: Rig,
) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.park("t1")

    rig.scheduler.wake("t1", "interval")
    await rig.clock.advance(0.1)
    rig.scheduler.wake("t1", "event")
    await rig.clock.advance(0.1)
    rig.scheduler.wake("t1", "retry")
    assert await rig.scheduler.run_due() == 0  # still coalescing
    await rig.clock.advance(0.05)
    assert await rig.scheduler.run_due() == 1

    assert rig.runner.reasons == ["event"]
    assert [beat.status for beat in await rig.beats()] == ["finished"]
    await rig.clock.advance(1)
    assert await rig.scheduler.run_due() == 0


async def test_F11_event_wake_in_cooldown_is_deferred_and_manual_is_not(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.park("t1")
    first = await rig.scheduler.run_now("t1")
    assert first.started_at is not None
    start = first.started_at

    await rig.clock.set(start + timedelta(seconds=20))
    rig.scheduler.wake("t1", "event")
    await rig.clock.advance(0.25)
    assert await rig.scheduler.run_due() == 1
    deferred = (await rig.beats())[-1]
    assert (deferred.status, deferred.skip_reason) == ("deferred", "cooldown")
    assert deferred.audit["until"] == (start + COOLDOWN).isoformat()
    assert (await rig.schedule("t1")).not_before == start + COOLDOWN

    manual = await rig.scheduler.run_now("t1")
    assert (manual.status, manual.outcome, manual.reason) == ("finished", "ok-token", "manual")

    # The deferred event wake runs once its cooldown (from the manual beat's start) is over.
    assert manual.started_at is not None
    await rig.clock.set(manual.started_at + COOLDOWN)
    assert await rig.scheduler.run_due() == 1
    assert rig.runner.reasons == ["manual", "manual", "event"]


async def test_F12_five_starts_in_a_minute_defer_an_event_wake_for_flood(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.park("t1")
    began = rig.clock.now()
    for _ in range(5):
        await rig.scheduler.run_now("t1")
        await rig.clock.advance(5)
    await rig.clock.set(began + timedelta(seconds=55))  # 35 s after the last start: no cooldown

    rig.scheduler.wake("t1", "event")
    await rig.clock.advance(0.25)
    assert await rig.scheduler.run_due() == 1

    deferred = (await rig.beats())[-1]
    assert (deferred.status, deferred.skip_reason) == ("deferred", "flood")
    assert deferred.audit["until"] == (began + FLOOD_WINDOW).isoformat()
    await rig.clock.set(began + FLOOD_WINDOW)
    assert await rig.scheduler.run_due() == 1
    assert rig.runner.reasons[-1] == "event"
    assert (await rig.beats())[-1].status == "finished"
