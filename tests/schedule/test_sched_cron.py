"""Cron plans through the scheduler (issue 16): weekday 09:00 in Berlin across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sched_support import Rig

from soulbeat.schedule.cadence import plan_fingerprint
from soulbeat.schedule.plan import BeatPlan


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_weekday_nine_in_berlin_beats_at_nine_local_across_spring_forward(rig: Rig) -> None:
    await rig.clock.set(utc("2026-03-26T12:00"))  # Thursday, CET (UTC+1)
    await rig.add("ops", interval=None, cron="0 9 * * MON-FRI", cron_timezone="Europe/Berlin")
    await rig.scheduler.run_due()
    fired: list[datetime] = []
    for _ in range(3):
        due = await rig.to_due("ops")
        await rig.scheduler.run_due()
        fired.append(due)
    # Friday 09:00 CET, then (weekend skipped, DST on Sunday) Monday and Tuesday 09:00 CEST
    assert fired == [utc("2026-03-27T08:00"), utc("2026-03-30T07:00"), utc("2026-03-31T07:00")]
    assert rig.runner.reasons == ["interval"] * 3
    assert all(b.outcome == "ok-token" for b in await rig.beats("ops"))


async def test_a_cron_time_skipped_by_spring_forward_fires_once_after_the_gap(rig: Rig) -> None:
    await rig.clock.set(utc("2026-03-28T12:00"))
    await rig.add("night", interval=None, cron="30 2 * * *", cron_timezone="Europe/Berlin")
    await rig.scheduler.run_due()
    assert await rig.due("night") == utc("2026-03-29T01:00")  # 03:00 CEST, the first minute after
    await rig.to_due("night")
    await rig.scheduler.run_due()
    assert await rig.due("night") == utc("2026-03-30T00:30")  # 02:30 CEST the next day
    assert len(rig.runner.calls) == 1


async def test_a_repeated_time_fires_once_at_fall_back(rig: Rig) -> None:
    await rig.clock.set(utc("2026-10-24T12:00"))
    await rig.add("night", interval=None, cron="30 2 * * *", cron_timezone="Europe/Berlin")
    await rig.scheduler.run_due()
    await rig.to_due("night")  # 02:30 CEST
    await rig.scheduler.run_due()
    await rig.clock.advance(timedelta(hours=1, minutes=1))  # past 02:30 CET, the repeat
    await rig.scheduler.run_due()
    assert len(rig.runner.calls) == 1
    assert await rig.due("night") == utc("2026-10-26T01:30")


async def test_changing_the_expression_re_plans_and_every_plans_stay_put(rig: Rig) -> None:
    await rig.clock.set(utc("2026-06-01T06:00"))  # Monday
    await rig.add("ops", interval=None, cron="0 9 * * *", cron_timezone="Europe/Berlin")
    await rig.scheduler.run_due()
    assert await rig.due("ops") == utc("2026-06-01T07:00")
    await rig.add("ops", interval=None, cron="0 10 * * *", cron_timezone="Europe/Berlin")
    await rig.scheduler.sync_schedules("ops")
    assert await rig.due("ops") == utc("2026-06-01T08:00")
    interval_plan = BeatPlan("t", "", True, timedelta(minutes=30))
    assert plan_fingerprint(interval_plan) != plan_fingerprint(
        BeatPlan("t", "", True, None, cron="0 9 * * *")
    )


async def test_a_disabled_cron_thread_has_no_slot_and_an_unreadable_zone_falls_back(
    rig: Rig,
) -> None:
    await rig.clock.set(utc("2026-06-01T06:00"))
    await rig.add("off", interval=None, cron="0 9 * * *", enabled=False)
    await rig.add("utc", interval=None, cron="0 9 * * *", cron_timezone="Not/AZone")
    await rig.scheduler.run_due()
    assert (await rig.schedule("off")).next_due_at is None
    assert await rig.due("utc") == utc("2026-06-01T09:00")
