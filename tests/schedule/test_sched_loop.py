"""Beats in flight: concurrency, timeouts, lease renewal, shutdown, and the `run_forever` loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sched_support import MakeRig, Rig, until

from soulbeat.schedule.scheduler import Scheduler
from soulbeat.store.sqlite import SQLiteStore


async def test_max_concurrent_beats_is_respected(make_rig: MakeRig) -> None:
    rig = await make_rig(max_concurrent_beats=2)
    for name in ("t1", "t2", "t3", "t4", "t5"):
        await rig.add(name)
    await rig.scheduler.run_due()
    await rig.clock.advance(timedelta(minutes=30, seconds=1))  # all five are due
    rig.runner.hold()

    first = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(2)
    for _ in range(50):
        await asyncio.sleep(0)
    assert (rig.runner.running, len(rig.scheduler.in_flight)) == (2, 2)
    assert not first.done()
    rig.runner.release()
    assert await first == 2

    assert await rig.scheduler.run_due() == 2
    assert await rig.scheduler.run_due() == 1
    assert rig.runner.max_running == 2
    assert sorted(call.claim.thread_id for call in rig.runner.calls) == [
        "t1",
        "t2",
        "t3",
        "t4",
        "t5",
    ]


async def test_a_beat_over_its_timeout_fails_with_reason_timeout(rig: Rig) -> None:
    await rig.add("t1", timeout=timedelta(seconds=60))
    await rig.scheduler.run_due()
    due = await rig.to_due("t1")
    rig.runner.hold()

    task = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(1)
    await rig.clock.advance(59)
    assert not task.done()
    await rig.clock.advance(1)
    assert await task == 1

    [beat] = await rig.beats()
    assert (beat.status, beat.outcome, beat.audit["failure"]) == ("finished", "failed", "timeout")
    assert beat.error is not None and beat.error.startswith("timeout")
    assert rig.runner.cancelled == 1
    assert await rig.due("t1") == due + timedelta(minutes=30)


async def test_long_beats_renew_their_lease_every_third_of_it(make_rig: MakeRig) -> None:
    rig = await make_rig(lease=timedelta(seconds=30))
    await rig.add("t1", timeout=timedelta(hours=1))
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    rig.runner.hold()

    task = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(1)
    claimed = (await rig.schedule("t1")).lease_expires_at
    assert claimed == rig.clock.now() + timedelta(seconds=30)
    for _ in range(5):  # 50 s in all: well past the first lease, renewed every 10 s
        await rig.clock.advance(timedelta(seconds=10))
        await until(lambda: rig.clock.sleepers == 1)  # renewed, asleep until the next renewal
        renewed = (await rig.schedule("t1")).lease_expires_at
        assert renewed == rig.clock.now() + timedelta(seconds=30)
        assert await rig.store.reap_expired(rig.clock.now()) == 0
    rig.runner.release()
    await task
    assert [b.outcome for b in await rig.beats()] == ["ok-token"]


async def test_shutdown_waits_for_beats_within_the_grace(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    rig.runner.hold()
    beats = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(1)

    stopping = asyncio.create_task(rig.scheduler.shutdown(timedelta(seconds=10)))
    await rig.clock.advance(5)
    rig.runner.release()
    await stopping
    await beats
    assert [b.outcome for b in await rig.beats()] == ["ok-token"]
    assert await rig.scheduler.run_due() == 0  # no more work after shutdown


async def test_shutdown_releases_slot_beats_still_running_after_the_grace(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    due = await rig.to_due("t1")
    rig.runner.hold()
    beats = asyncio.create_task(rig.scheduler.run_due())
    await rig.runner.wait_for_calls(1)

    stopping = asyncio.create_task(rig.scheduler.shutdown(timedelta(seconds=10)))
    await rig.clock.advance(9)
    assert not stopping.done()
    await rig.clock.advance(1)
    await stopping
    await beats

    [beat] = await rig.beats()
    assert (beat.status, beat.outcome) == ("interrupted", None)  # unfinished, not claimed
    assert rig.runner.cancelled == 1
    schedule = await rig.schedule("t1")
    assert schedule.lease_owner is None
    assert schedule.next_due_at == due  # the slot is kept: the next life resumes this beat

    rig.runner.release()
    after = Scheduler(rig.store, rig.planner, rig.runner, rig.clock, worker_id="w1")
    assert await after.run_due() == 1
    [resumed] = await rig.beats()
    assert (resumed.key, resumed.status, resumed.attempt) == (beat.key, "finished", 2)


class CountingStore:
    """Wraps a store and counts the calls made to it."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return target(*args, **kwargs)

        return counted


async def test_run_forever_sleeps_until_the_earliest_due_slot_or_a_wake(rig: Rig) -> None:
    counting = CountingStore(rig.store)
    scheduler = Scheduler(
        counting,  # type: ignore[arg-type]
        rig.planner,
        rig.runner,
        rig.clock,
        worker_id="w1",
    )
    await rig.add("t1")
    loop = asyncio.create_task(scheduler.run_forever())
    await until(lambda: scheduler.sleeping and rig.clock.sleepers > 0)  # its timer is set
    due = await rig.due("t1")
    assert scheduler.sleeping_until == due
    assert rig.clock.sleepers == 1

    calls = counting.calls
    await rig.clock.set(due - timedelta(seconds=1))
    assert (counting.calls, scheduler.sleeping, rig.runner.calls) == (calls, True, [])

    await rig.clock.set(due)  # time wakes the loop
    await rig.runner.wait_for_calls(1)
    await until(lambda: scheduler.sleeping and not scheduler.in_flight)
    assert await rig.due("t1") == due + timedelta(minutes=30)
    assert scheduler.sleeping_until == due + timedelta(minutes=30)

    calls = counting.calls
    await rig.clock.advance(timedelta(minutes=10))
    assert counting.calls == calls  # asleep: nothing is asked of the store

    scheduler.wake("t1", "manual")  # a wake wakes the loop, which waits out the 250 ms
    await until(lambda: scheduler.sleeping)
    assert scheduler.sleeping_until == rig.clock.now() + timedelta(milliseconds=250)
    assert len(rig.runner.calls) == 1
    await rig.clock.advance(0.25)
    await rig.runner.wait_for_calls(2)
    assert rig.runner.reasons == ["interval", "manual"]

    await until(lambda: scheduler.sleeping and not scheduler.in_flight)
    await scheduler.shutdown(timedelta(seconds=1))
    await asyncio.wait_for(loop, 5)


async def test_run_forever_keeps_going_when_a_beat_raises(rig: Rig) -> None:
    await rig.add("t1")
    rig.runner.script(RuntimeError("boom"))
    loop = asyncio.create_task(rig.scheduler.run_forever())
    idle = lambda: rig.scheduler.sleeping and not rig.scheduler.in_flight  # noqa: E731
    await until(idle)
    await rig.to_due("t1")
    await rig.runner.wait_for_calls(1)
    await until(idle)
    await rig.to_due("t1")
    await rig.runner.wait_for_calls(2)
    await until(idle)
    assert [b.outcome for b in await rig.beats()] == ["failed", "ok-token"]
    await rig.scheduler.shutdown(timedelta(seconds=1))
    await asyncio.wait_for(loop, 5)


async def test_run_forever_uses_free_capacity_while_a_beat_runs(make_rig: MakeRig) -> None:
    rig = await make_rig(max_concurrent_beats=1)
    # The clock crosses both slots in one advance: a held beat with the default 10-minute
    # timeout would time out on the way whenever its claim is quick, freeing the capacity early.
    await rig.add("t1", timeout=timedelta(hours=2))
    await rig.add("t2", timeout=timedelta(hours=2))
    loop = asyncio.create_task(rig.scheduler.run_forever())
    await until(lambda: rig.scheduler.sleeping)
    rig.runner.hold()
    await rig.clock.advance(timedelta(minutes=30, seconds=1))  # both due, room for one
    await rig.runner.wait_for_calls(1)
    await until(lambda: rig.scheduler.sleeping)
    assert rig.scheduler.sleeping_until is None  # full: sleeps until a beat ends
    assert len(rig.runner.calls) == 1
    rig.runner.release()  # the beat ends, capacity frees, the loop claims the other
    await rig.runner.wait_for_calls(2)
    assert {call.claim.thread_id for call in rig.runner.calls} == {"t1", "t2"}
    await until(lambda: rig.scheduler.sleeping and not rig.scheduler.in_flight)
    await rig.scheduler.shutdown(timedelta(seconds=1))
    await asyncio.wait_for(loop, 5)


async def test_shutdown_ends_run_forever(rig: Rig) -> None:
    loop = asyncio.create_task(rig.scheduler.run_forever())
    await until(lambda: rig.scheduler.sleeping)
    assert rig.scheduler.sleeping_until is None  # nothing planned: sleeps until woken
    await rig.scheduler.shutdown()
    await asyncio.wait_for(loop, 5)


class SlowClaimStore(CountingStore):
    """A store whose `claim_due` takes a while: the clock moves on while it runs."""

    def __init__(self, store: SQLiteStore, clock: Any, delay: timedelta) -> None:
        super().__init__(store)
        self._clock, self._delay = clock, delay

    async def claim_due(self, *args: Any, **kwargs: Any) -> Any:
        claims = await self._store.claim_due(*args, **kwargs)
        await self._clock.advance(self._delay)
        return claims


async def test_a_slot_falling_due_while_a_pass_claims_is_run_at_once(rig: Rig) -> None:
    """A pass that claimed nothing and finds a slot due only since it claimed must not back
    off for a second (that was a whole second of lateness for beats due just after a pass)."""
    await rig.add("t1")
    store = SlowClaimStore(rig.store, rig.clock, timedelta(milliseconds=5))
    scheduler = Scheduler(
        store,  # type: ignore[arg-type]
        rig.planner,
        rig.runner,
        rig.clock,
        worker_id="w1",
    )
    await scheduler.sync_schedules()
    due = await rig.due("t1")
    await rig.clock.set(due - timedelta(milliseconds=2))  # the pass claims 2 ms before due
    loop = asyncio.create_task(scheduler.run_forever())
    await rig.runner.wait_for_calls(1)  # ... and the next pass runs it, without a 1 s wait
    [call] = rig.runner.calls
    assert call.started_at - due < timedelta(milliseconds=20)
    await until(lambda: scheduler.sleeping and not scheduler.in_flight)
    await scheduler.shutdown(timedelta(seconds=1))
    await asyncio.wait_for(loop, 5)
