"""Issue 16 in the scheduler, on a fake clock: reminders, quiet after a message, backoff,
health and the dead-man alert (exactly one per episode, also across a restart)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sched_support import MakeRig, Rig

from soulbeat.store.records_time import NewReminder

T0 = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass
class Alerts:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    async def send_alert(self, target: str, thread_id: str, text: str) -> None:
        self.sent.append((target, thread_id, text))


async def _remind(rig: Rig, minutes: float, text: str = "stretch", **kw: object) -> int:
    new = NewReminder(
        "ops", text, rig.clock.now() + timedelta(minutes=minutes), rig.clock.now(), **kw
    )  # type: ignore[arg-type]
    stored = await rig.store.add_reminder(new, max_pending=10)
    assert stored is not None
    return stored.id


async def test_a_reminder_beats_once_with_its_text_as_an_event(rig: Rig) -> None:
    await rig.clock.set(T0)
    await rig.add("ops")
    await rig.scheduler.run_due()
    await rig.park("ops")
    rid = await _remind(rig, 2)
    await rig.clock.advance(timedelta(minutes=1))
    assert await rig.scheduler.run_due() == 0  # not yet
    await rig.clock.advance(timedelta(minutes=1))
    assert await rig.scheduler.run_due() == 1
    assert rig.runner.reasons == [f"reminder:{rid}"]
    assert [e.text for e in await rig.store.pending_events("ops")] == ["Reminder: stretch"]
    done = await rig.store.get_reminder(rid)
    assert done.status == "done" and done.beat_key == rig.runner.keys[0]
    await rig.clock.advance(HOUR)
    assert await rig.scheduler.run_due() == 0  # one-shot


async def test_a_reminder_outside_active_hours_waits_for_them_unless_urgent(rig: Rig) -> None:
    from soulbeat.contract.active_hours import ActiveHours

    await rig.clock.set(T0)  # 10:00 UTC
    window = ActiveHours("12:00", "18:00", "UTC")
    await rig.add("ops", active_hours=window)
    await rig.scheduler.run_due()
    await rig.park("ops")
    calm = await _remind(rig, 1, "calm")
    await rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_due()
    assert rig.runner.calls == []
    assert (await rig.store.get_reminder(calm)).due_at == datetime(2026, 3, 27, 12, tzinfo=UTC)
    urgent = await _remind(rig, 1, "fire", urgent=True)
    await rig.clock.advance(timedelta(minutes=1))
    await rig.scheduler.run_due()
    assert rig.runner.reasons == [f"reminder:{urgent}"]
    await rig.clock.set(datetime(2026, 3, 27, 12, tzinfo=UTC))
    await rig.scheduler.run_due()
    assert rig.runner.reasons[-1] == f"reminder:{calm}"


async def test_a_reminder_arrives_after_a_restart(make_rig: MakeRig) -> None:
    first = await make_rig()
    await first.clock.set(T0)
    await first.add("ops")
    await first.scheduler.run_due()
    await first.park("ops")
    rid = await _remind(first, 2, "after restart")
    await first.scheduler.shutdown()
    second = await make_rig(worker_id="w2")  # a new process on the same file
    second.planner.set(first.planner.get("ops"))  # type: ignore[arg-type]
    await second.clock.advance(timedelta(minutes=2))
    assert await second.scheduler.run_due() == 1
    assert second.runner.reasons == [f"reminder:{rid}"]
    assert (await second.store.get_reminder(rid)).status == "done"


async def test_quiet_after_message_re_times_the_beat_to_the_end_of_the_quiet(rig: Rig) -> None:
    await rig.clock.set(T0)
    await rig.add("ops", quiet_after_message=timedelta(minutes=10))
    await rig.scheduler.run_due()
    due = await rig.due("ops")
    wrote = due - timedelta(minutes=4)
    await rig.add("ops", quiet_after_message=timedelta(minutes=10), last_activity_at=wrote)
    await rig.clock.set(due)
    await rig.scheduler.run_due()
    [beat] = await rig.beats("ops")
    assert (beat.status, beat.skip_reason) == ("deferred", "quiet-after-message")
    assert rig.runner.calls == []
    await rig.clock.set(wrote + timedelta(minutes=10))
    await rig.scheduler.run_due()
    assert len(rig.runner.calls) == 1  # the same slot, run once the quiet period ended
    assert (await rig.beats("ops"))[0].outcome == "ok-token"


async def test_backoff_grows_then_resets_and_one_alert_per_episode(make_rig: MakeRig) -> None:
    alerts = Alerts()
    rig = await make_rig(alerts=alerts)
    await rig.clock.set(T0)
    await rig.add("ops", health_target="pager", dead_after=10 * HOUR)
    await rig.scheduler.run_due()
    gaps: list[timedelta] = []
    rig.runner.script(*["failed"] * 6)
    for _ in range(6):
        due = await rig.to_due("ops")
        await rig.scheduler.run_due()
        gaps.append(await rig.due("ops") - due)
    # 30m, 30m; from the third failure: +30m, +1h, +2h, +4h on top of the next slot
    assert gaps == [timedelta(minutes=m) for m in (30, 30, 60, 90, 150, 270)]
    health = await rig.store.get_health("ops")
    assert health is not None and health.unhealthy and health.failed_streak == 6
    assert [name for name in rig.events.names() if name.startswith("thread.")] == [
        "thread.unhealthy"
    ]
    assert len(alerts.sent) == 1 and alerts.sent[0][:2] == ("pager", "ops")
    assert "last 3 beats failed" in alerts.sent[0][2]
    due = await rig.to_due("ops")  # a success: recovered, the streak and backoff reset
    await rig.scheduler.run_due()
    assert await rig.due("ops") - due == timedelta(minutes=30)
    health = await rig.store.get_health("ops")
    assert health is not None and not health.unhealthy and health.failed_streak == 0
    assert rig.events.names()[-1] == "thread.recovered"


async def test_the_cap_is_six_hours() -> None:
    from soulbeat.schedule.health import backoff_delay

    assert backoff_delay(2, HOUR) is None
    assert backoff_delay(3, HOUR) == HOUR
    assert backoff_delay(6, HOUR) == 6 * HOUR
    assert backoff_delay(60, timedelta(minutes=30)) == 6 * HOUR


def test_any_beat_that_is_not_failed_resets_the_streak() -> None:
    from soulbeat.schedule.health import after_beat
    from soulbeat.store.records import BeatResult
    from soulbeat.store.records_time import ThreadHealth

    failing = ThreadHealth("ops", T0, failed_streak=4)
    for outcome, streak in (("skipped", 0), ("ok-token", 0), ("failed", 5), ("interrupted", 4)):
        result = BeatResult(outcome, T0, T0)
        health, _ = after_beat(failing, "ops", result, T0, HOUR)
        assert health.failed_streak == streak, outcome


async def test_the_dead_man_alerts_once_across_a_restart_then_recovers(make_rig: MakeRig) -> None:
    alerts = Alerts()
    rig = await make_rig(alerts=alerts)
    await rig.clock.set(T0)
    await rig.add("ops", health_target="pager", dead_after=2 * HOUR)
    await rig.scheduler.run_due()
    await rig.to_due("ops")
    await rig.scheduler.run_due()  # a good beat: the dead-man deadline is 2 h after it
    good_at = rig.clock.now()
    await rig.park("ops")  # nothing beats from now on
    await rig.clock.set(good_at + 2 * HOUR - timedelta(seconds=1))
    await rig.scheduler.run_due()
    assert alerts.sent == []
    await rig.clock.set(good_at + 2 * HOUR)
    await rig.scheduler.run_due()
    assert len(alerts.sent) == 1 and "no beat has finished since" in alerts.sent[0][2]
    await rig.scheduler.run_due()
    restarted = await make_rig(alerts=alerts, worker_id="w2")
    restarted.planner.set(rig.planner.get("ops"))  # type: ignore[arg-type]
    await restarted.clock.advance(HOUR)
    await restarted.scheduler.run_due()
    assert len(alerts.sent) == 1  # one alert per episode, a restart included
    assert await restarted.scheduler.run_now("ops")  # a beat finishes: recovered
    health = await restarted.store.get_health("ops")
    assert health is not None and not health.unhealthy and health.episode == 1
    assert "thread.recovered" in restarted.events.names()


async def test_a_scheduler_that_was_down_gives_threads_a_whole_dead_after(
    make_rig: MakeRig,
) -> None:
    alerts = Alerts()
    rig = await make_rig(alerts=alerts)
    await rig.clock.set(T0)
    await rig.add("ops", health_target="pager", dead_after=2 * HOUR)
    await rig.scheduler.run_due()
    await rig.to_due("ops")
    await rig.scheduler.run_due()  # a good beat; then the process is down for five hours
    await rig.park("ops")
    restarted = await make_rig(alerts=alerts, worker_id="w2")
    restarted.planner.set(rig.planner.get("ops"))  # type: ignore[arg-type]
    await restarted.clock.advance(5 * HOUR)
    back = restarted.clock.now()
    await restarted.scheduler.run_due()
    assert alerts.sent == []  # the silence was the scheduler's, not the thread's
    await restarted.clock.set(back + 2 * HOUR - timedelta(seconds=1))
    await restarted.scheduler.run_due()
    assert alerts.sent == []
    await restarted.clock.set(back + 2 * HOUR)
    await restarted.scheduler.run_due()
    assert len(alerts.sent) == 1  # watched for a whole dead_after, and still nothing finished


async def test_the_scheduler_sleeps_until_the_next_reminder(rig: Rig) -> None:
    await rig.clock.set(T0)
    await rig.add("ops")
    await rig.scheduler.run_due()
    await rig.park("ops")
    await _remind(rig, 7)
    assert await rig.scheduler._next_pass_at(0) == T0 + timedelta(minutes=7)


async def test_a_healthy_thread_writes_its_health_rarely_and_is_not_declared_dead_early(
    make_rig: MakeRig,
) -> None:
    alerts = Alerts()
    rig = await make_rig(alerts=alerts)
    await rig.clock.set(T0)
    await rig.add("ops", health_target="pager", dead_after=2 * HOUR)  # beats every 30m
    await rig.scheduler.run_due()
    written: list[datetime] = []
    for _ in range(6):
        await rig.to_due("ops")
        await rig.scheduler.run_due()
        health = await rig.store.get_health("ops")
        assert health is not None
        written.append(health.updated_at)
    assert len(set(written)) < 6  # not one write per beat
    last = (await rig.beats("ops"))[-1]
    assert last.finished_at is not None
    await rig.park("ops")
    stored = await rig.store.get_health("ops")
    assert stored is not None and stored.dead_at is not None
    assert stored.dead_at < last.finished_at + 2 * HOUR  # the lazy deadline is early ...
    await rig.clock.set(stored.dead_at)
    await rig.scheduler.run_due()
    assert alerts.sent == []  # ... so it is checked against the beats first, and moved
    moved = await rig.store.get_health("ops")
    assert moved is not None and moved.dead_at == last.finished_at + 2 * HOUR
    await rig.clock.set(last.finished_at + 2 * HOUR)
    await rig.scheduler.run_due()
    assert len(alerts.sent) == 1


async def test_the_loop_sleeps_until_a_reminder_added_while_it_slept(rig: Rig) -> None:
    import asyncio

    from sched_support import until

    await rig.clock.set(T0)
    await rig.add("ops")
    await rig.scheduler.run_due()
    await rig.park("ops")
    loop = asyncio.create_task(rig.scheduler.run_forever())
    try:
        await until(lambda: rig.scheduler.sleeping)
        assert rig.scheduler.sleeping_until == T0 + timedelta(days=10)  # the parked slot
        rid = await _remind(rig, 3)
        rig.scheduler.replan()  # what the API does after storing a reminder
        await until(lambda: rig.scheduler.sleeping_until == T0 + timedelta(minutes=3))
        await rig.clock.set(T0 + timedelta(minutes=3))
        await rig.runner.wait_for_calls(1)
        assert rig.runner.reasons == [f"reminder:{rid}"]
        await until(lambda: rig.scheduler.sleeping and not rig.scheduler.in_flight)
    finally:
        await rig.scheduler.shutdown()
        await loop


async def test_a_disabled_thread_is_not_declared_dead(make_rig: MakeRig) -> None:
    alerts = Alerts()
    rig = await make_rig(alerts=alerts)
    await rig.clock.set(T0)
    await rig.add("ops", health_target="pager", dead_after=HOUR)
    await rig.scheduler.run_due()
    await rig.to_due("ops")
    await rig.scheduler.run_due()
    await rig.add("ops", health_target="pager", dead_after=HOUR, enabled=False)
    await rig.clock.advance(5 * HOUR)
    await rig.scheduler.run_due()
    assert alerts.sent == []
    health = await rig.store.get_health("ops")
    assert health is not None and not health.unhealthy and health.dead_at is None


class NamedCounts:
    """Wraps a store and counts calls by method name."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.names: list[str] = []

    def __getattr__(self, name: str) -> object:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def counted(*args: object, **kwargs: object) -> object:
            self.names.append(name)
            return target(*args, **kwargs)

        return counted


async def test_an_idle_pass_reads_nothing_for_reminders_or_health(rig: Rig) -> None:
    from soulbeat.schedule.scheduler import Scheduler

    timed = {"due_reminders", "earliest_reminder", "dead_threads", "earliest_dead"}
    counting = NamedCounts(rig.store)
    scheduler = Scheduler(counting, rig.planner, rig.runner, rig.clock, worker_id="w1")  # type: ignore[arg-type]
    await rig.clock.set(T0)
    await rig.add("ops")
    await scheduler.run_due()
    await scheduler._next_pass_at(0)  # what the loop asks before it sleeps: now known
    counting.names.clear()
    await scheduler.run_due()  # an idle pass
    await scheduler._next_pass_at(0)
    assert timed.isdisjoint(counting.names), counting.names
    scheduler.replan()  # e.g. a reminder was added: read again once
    await scheduler.run_due()
    assert "due_reminders" in counting.names
