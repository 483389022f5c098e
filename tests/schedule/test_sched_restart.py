"""Restarts and crashes: slots survive the process, and no slot runs twice."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sched_support import MakeRig, make_plan, open_store

from soulbeat.schedule.scheduler import Scheduler
from soulbeat.testing import FakeClock
from soulbeat.testing.planner import StaticPlanner
from soulbeat.testing.runner import RecordingRunner


async def test_a_restart_keeps_the_slots_and_runs_none_twice(make_rig: MakeRig) -> None:
    first = await make_rig()
    await first.add("t1")
    await first.scheduler.run_due()
    await first.to_due("t1")
    assert await first.scheduler.run_due() == 1
    kept = await first.due("t1")
    await first.scheduler.shutdown(timedelta(seconds=5))
    await first.store.close()

    second = await make_rig(worker_id="w2")  # a new store and scheduler on the same file
    second.planner.set(make_plan("t1"))
    assert await second.scheduler.run_due() == 0  # nothing at start-up
    assert await second.due("t1") == kept
    await second.to_due("t1")
    assert await second.scheduler.run_due() == 1
    assert await second.scheduler.run_due() == 0

    beats = await second.beats()
    assert len(beats) == 2 and len({beat.key for beat in beats}) == 2
    assert [beat.outcome for beat in beats] == ["ok-token", "ok-token"]
    assert beats[1].due_at == kept


async def test_slots_missed_while_down_run_once_after_the_restart(make_rig: MakeRig) -> None:
    first = await make_rig()
    await first.add("t1")
    await first.scheduler.run_due()
    missed = await first.due("t1")
    await first.store.close()

    await first.clock.advance(timedelta(hours=8))  # down for 16 slots
    second = await make_rig(worker_id="w2")
    second.planner.set(make_plan("t1"))
    assert await second.scheduler.run_due() == 1
    assert await second.scheduler.run_due() == 0
    [beat] = await second.beats()
    assert beat.due_at == missed
    assert await second.due("t1") > second.clock.now()


CRASHING_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import timedelta
    from soulbeat.clock import SystemClock
    from soulbeat.schedule.cadence import plan_fingerprint
    from soulbeat.schedule.plan import BeatPlan
    from soulbeat.schedule.scheduler import Scheduler
    from soulbeat.store.records import Agent, Thread
    from soulbeat.store.sqlite import SQLiteStore
    from soulbeat.testing.planner import StaticPlanner

    class Stuck:
        async def run(self, claim, plan, *, started_at):
            print("READY", claim.key, flush=True)
            await asyncio.Event().wait()  # until the process is killed

    async def main(path):
        clock = SystemClock()
        store = SQLiteStore(path)
        await store.open()
        await store.upsert_agent(Agent("agent", "."))
        await store.add_thread(Thread("t1", "agent", clock.now()))
        plan = BeatPlan("t1", "", True, timedelta(minutes=30))
        scheduler = Scheduler(store, StaticPlanner(plan), Stuck(), clock, worker_id="doomed")
        await scheduler.sync_schedules()
        await store.put_schedule("t1", "", next_due_at=clock.now() - timedelta(seconds=1),
                                 phase_seconds=0.0, fingerprint=plan_fingerprint(plan))
        await scheduler.run_due()

    asyncio.run(main(sys.argv[1]))
    """
)


def read_line(process: subprocess.Popen[str], seconds: float) -> str:
    """One line of the child's output, waiting at most `seconds` (no sleeping)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    if not ready:
        raise AssertionError(f"the worker said nothing in {seconds} s")
    return process.stdout.readline()


def kill_a_worker_mid_beat(path: Path) -> str:
    """Run the crashing worker until its beat is in flight, SIGKILL it; returns the beat key."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = read_line(worker, 30)
        assert line.startswith("READY "), (line, worker.stderr.read() if worker.stderr else "")
        return line.split()[1]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
        for pipe in (worker.stdout, worker.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.slow
async def test_a_worker_killed_mid_beat_is_finished_exactly_once_after_its_lease(
    tmp_path: Path,
) -> None:
    path = tmp_path / "soulbeat.db"
    key = kill_a_worker_mid_beat(path)

    store = await open_store(path)
    try:
        held = await store.get_schedule("t1", "")
        assert held is not None and held.lease_owner == "doomed"
        assert held.lease_expires_at is not None
        clock = FakeClock(held.lease_expires_at + timedelta(seconds=1))
        runner = RecordingRunner(clock)
        scheduler = Scheduler(
            store, StaticPlanner(make_plan("t1")), runner, clock, worker_id="survivor"
        )
        assert await scheduler.run_due() == 1
        assert await scheduler.run_due() == 0
        assert runner.keys == [key]
        beat = await store.get_beat_by_key(key)
        assert beat is not None
        assert (beat.status, beat.outcome, beat.attempt) == ("finished", "ok-token", 2)
    finally:
        await store.close()

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT key, status FROM beats ORDER BY id").fetchall()
    assert rows == [(key, "finished")]
