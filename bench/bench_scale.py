"""The scheduling core at fleet size, side by side with APScheduler 3.11 (issue 12).

Both sides run one process, one SQLite file and the same do-nothing beat on the same slot grid:
every thread beats every ``N / 50`` seconds on a phase taken from the same seed, so 50 beats a
second are due whatever N is. soulbeat runs its real `Scheduler`, `WorkspacePlanner` (watching
the workspace, as ``soulbeat serve`` does), `AgentRegistry` and `SQLiteStore` (WAL,
``synchronous=NORMAL``: every commit durable across a killed process, as `tests/crash/` checks);
APScheduler runs its `AsyncIOScheduler` with the `SQLAlchemyJobStore` on SQLite.

Each measurement runs in a fresh child process, soulbeat and APScheduler alternating
(interleaved repetitions), and the parent prints the median and range of every figure and the
ratio soulbeat / APScheduler of the medians:

* ``add+plan``  — seconds to add N threads (jobs) and give each its first slot;
* ``cpu/beat``  — process CPU time over the measuring window divided by the beats run in it;
* ``p99 late``  — 99th percentile of (start of the beat - its due time) over the window;
* ``on time``   — beats due in the window that started within 1 s (APScheduler's misfire grace);
* ``rss``       — resident memory at the end of the window (MiB);
* ``idle pass`` — CPU of one `Scheduler.run_due()` with nothing due (soulbeat only).

Run: ``make bench`` (installs the ``bench`` extra), or for a quick look
``.venv/bin/python bench/bench_scale.py --sizes 1000 --reps 1 --window 3``. The full run:
``nice .venv/bin/python bench/bench_scale.py --sizes 1000,10000,100000 --reps 3 --window 6``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = "bench-scale-seed"
RATE = 50.0
"""Beats due per second, whatever the number of threads."""
ON_TIME = 1.0
"""A beat that started within this many seconds of its due time ran on time."""
WARMUP = 2.0
"""Seconds after planning before the measuring window opens."""


def interval_for(threads: int) -> timedelta:
    return timedelta(seconds=threads / RATE)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Lateness:
    """Start times of beats against their due times, kept only for beats due in the window."""

    opens: datetime
    closes: datetime
    late: list[float] = field(default_factory=list)

    def record(self, due: datetime, started: datetime) -> None:
        if self.opens <= due < self.closes:
            self.late.append((started - due).total_seconds())

    def summary(self, due_count: int) -> dict[str, float]:
        ordered = sorted(self.late) or [float("nan")]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        on_time = sum(1 for x in self.late if x <= ON_TIME)
        return {"p99_late_ms": p99 * 1e3, "on_time": on_time, "due": due_count}


def due_in(start: datetime, end: datetime, threads: int) -> int:
    """How many slots of the grid fall in [start, end): counted from the phases, not guessed."""
    from soulbeat.schedule.cadence import next_slot

    interval = interval_for(threads)
    count = 0
    for i in range(threads):
        slot = next_slot(start - timedelta(microseconds=1), interval, phase(i, interval))
        while slot < end:
            count += 1
            slot += interval
    return count


def phase(i: int, interval: timedelta) -> timedelta:
    from soulbeat.schedule.cadence import phase_offset

    return phase_offset(SEED, thread_id(i), interval)


def thread_id(i: int) -> str:
    return f"t{i:06d}"


# -- soulbeat ---------------------------------------------------------------------------------
async def run_soulbeat(threads: int, window: float, folder: Path) -> dict[str, Any]:
    from soulbeat.agents.planner import WorkspacePlanner
    from soulbeat.agents.registry import AgentRegistry
    from soulbeat.clock import SystemClock
    from soulbeat.config.settings import Settings
    from soulbeat.schedule.plan import BeatPlan
    from soulbeat.schedule.scheduler import CLAIM_AHEAD, Scheduler
    from soulbeat.store.records import BeatResult, Claim, Thread
    from soulbeat.store.sqlite import SQLiteStore
    from soulbeat.store.sqlite.connection import GROUP_LINGER
    from soulbeat.testing.clock import FakeClock

    workspace = folder / "workspace"
    workspace.mkdir()
    (workspace / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
    every = f"{interval_for(threads).total_seconds():g}s"
    settings = Settings(
        data_dir=folder / "data",
        workspace=workspace,
        user_timezone="UTC",
        heartbeat={"every": every},
    )
    # finishes linger to share commits, as a serving store's do (`soulbeat.wiring`)
    store = SQLiteStore(folder / "data" / "soulbeat.db", group_linger=GROUP_LINGER)
    await store.open()  # the schema; then the shared seed, so both sides get the same phases
    await store.close()
    with sqlite3.connect(folder / "data" / "soulbeat.db") as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('install_seed', ?)", (SEED,))
    await store.open()
    registry = AgentRegistry(settings, store)
    await registry.sync()
    clock = SystemClock()
    lateness: Lateness | None = None

    class Beat:
        """The do-nothing beat: notes when it started against its slot."""

        async def run(self, claim: Claim, plan: BeatPlan, *, started_at: datetime) -> BeatResult:
            if lateness is not None:
                lateness.record(claim.due_at, clock.now())
            return BeatResult("ok-token", started_at, clock.now())

    planner = WorkspacePlanner(store, registry, watch=True)  # watching, as `soulbeat serve`
    # claims ahead as `soulbeat serve` does on the real clock (`wiring.claim_ahead_for`)
    scheduler = Scheduler(store, planner, Beat(), clock, worker_id="b", claim_ahead=CLAIM_AHEAD)

    began = time.perf_counter()
    now = clock.now()
    await store.add_threads(
        Thread(id=thread_id(i), agent_id="default", created_at=now) for i in range(threads)
    )
    await scheduler.sync_schedules()
    add_plan = time.perf_counter() - began

    # One idle pass: the same store and planner, on a clock stopped just before the earliest slot.
    earliest = await store.earliest_due()
    frozen = FakeClock((earliest or clock.now()) - timedelta(microseconds=1))
    idle = Scheduler(store, planner, Beat(), frozen, worker_id="i")
    passes: list[float] = []
    if earliest is not None:
        await idle.run_due()  # first pass: caches warm, as in a running process
        for _ in range(5):
            cpu = time.process_time()
            await idle.run_due()
            passes.append(time.process_time() - cpu)
    del idle

    opens = clock.now() + timedelta(seconds=WARMUP)
    closes = opens + timedelta(seconds=window)
    lateness = Lateness(opens, closes)
    loop = asyncio.create_task(scheduler.run_forever())
    await asyncio.sleep(WARMUP)
    cpu = time.process_time()
    await asyncio.sleep(window)
    cpu = time.process_time() - cpu
    await asyncio.sleep(ON_TIME + 0.2)  # late beats of the window still count
    rss = rss_mib()
    await scheduler.shutdown(timedelta(seconds=1))
    await loop
    await store.close()
    ran = len(lateness.late)
    return {
        "add_plan_s": add_plan,
        "cpu_per_beat_ms": cpu / max(ran, 1) * 1e3,
        "rss_mib": rss,
        "idle_pass_ms": statistics.median(passes) * 1e3 if passes else float("nan"),
        **lateness.summary(due_in(opens, closes, threads)),
    }


# -- APScheduler ------------------------------------------------------------------------------
async def run_apscheduler(threads: int, window: float, folder: Path) -> dict[str, Any]:
    from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from soulbeat.schedule.cadence import EPOCH

    interval = interval_for(threads)
    store = SQLAlchemyJobStore(url=f"sqlite:///{folder / 'aps.db'}")
    scheduler = AsyncIOScheduler(jobstores={"default": store}, timezone=UTC)
    lateness: Lateness | None = None

    def submitted(event: JobSubmissionEvent) -> None:
        if lateness is not None:
            now = datetime.now(UTC)
            for due in event.scheduled_run_times:
                lateness.record(due, now)

    scheduler.add_listener(submitted, EVENT_JOB_SUBMITTED)
    began = time.perf_counter()
    scheduler.start(paused=True)
    bulk_add(scheduler, store, threads, interval, EPOCH)
    add_plan = time.perf_counter() - began
    scheduler.resume()
    opens = datetime.now(UTC) + timedelta(seconds=WARMUP)
    closes = opens + timedelta(seconds=window)
    lateness = Lateness(opens, closes)
    await asyncio.sleep(WARMUP)
    cpu = time.process_time()
    await asyncio.sleep(window)
    cpu = time.process_time() - cpu
    await asyncio.sleep(ON_TIME + 0.2)
    rss = rss_mib()
    scheduler.shutdown(wait=False)
    ran = len(lateness.late)
    return {
        "add_plan_s": add_plan,
        "cpu_per_beat_ms": cpu / max(ran, 1) * 1e3,
        "rss_mib": rss,
        "idle_pass_ms": float("nan"),
        **lateness.summary(due_in(opens, closes, threads)),
    }


async def do_nothing() -> None:
    """APScheduler's beat: the same nothing soulbeat's beat does."""


def bulk_add(
    scheduler: Any, store: Any, threads: int, interval: timedelta, epoch: datetime
) -> None:
    """Write N jobs into APScheduler's SQLite job store in one transaction.

    `add_job` on the SQLAlchemy store commits once per job (about 20 ms each on this machine,
    so 100,000 jobs would take over half an hour); the rows written here are exactly what
    `add_job` writes (the pickled job state keyed by id and next run time), only batched, so
    the comparison of adding a fleet is fair to APScheduler.
    """
    import pickle

    from apscheduler.job import Job
    from apscheduler.triggers.interval import IntervalTrigger
    from apscheduler.util import datetime_to_utc_timestamp

    now = datetime.now(UTC)
    rows = []
    for i in range(threads):
        trigger = IntervalTrigger(
            seconds=interval.total_seconds(), start_date=epoch + phase(i, interval), timezone=UTC
        )
        job = Job(
            scheduler,
            id=thread_id(i),
            func=do_nothing,
            trigger=trigger,
            executor="default",
            args=(),
            kwargs={},
            name="do_nothing",
            misfire_grace_time=int(ON_TIME),
            coalesce=True,
            max_instances=1,
            next_run_time=trigger.get_next_fire_time(None, now),
        )
        rows.append(
            {
                "id": job.id,
                "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
                "job_state": pickle.dumps(job.__getstate__(), store.pickle_protocol),
            }
        )
    with store.engine.begin() as connection:
        connection.execute(store.jobs_t.insert(), rows)


# -- the parent: interleaved children, medians, ranges, ratios --------------------------------
FIGURES = (
    ("add_plan_s", "add+plan s"),
    ("cpu_per_beat_ms", "cpu/beat ms"),
    ("p99_late_ms", "p99 late ms"),
    ("on_time", "on time"),
    ("rss_mib", "rss MiB"),
    ("idle_pass_ms", "idle pass ms"),
)


def child(side: str, threads: int, window: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", side, "--threads", str(threads)]
    command += ["--window", str(window)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} with {threads} threads failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def spread(values: Sequence[float]) -> str:
    clean = [v for v in values if v == v]
    if not clean:
        return "—"
    median = statistics.median(clean)
    return f"{median:9.3f} [{min(clean):.3f}–{max(clean):.3f}]"


def report(threads: int, runs: dict[str, list[dict[str, Any]]]) -> None:
    due = statistics.median(r["due"] for r in runs["soulbeat"])
    print(f"\n{threads:,} threads, {RATE:g} beats/s due, ~{due:g} due per window")
    print(f"  {'figure':<13} {'soulbeat':>30} {'APScheduler 3.11 (SQLite)':>30}  ratio")
    for key, label in FIGURES:
        ours = [float(r[key]) for r in runs["soulbeat"]]
        base = [float(r[key]) for r in runs["apscheduler"]]
        ratio = "—"
        clean = [v for v in base if v == v]
        if clean and statistics.median(clean) > 0:
            ratio = f"{statistics.median(ours) / statistics.median(clean):.2f}×"
        print(f"  {label:<13} {spread(ours):>30} {spread(base):>30}  {ratio}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="thread counts, comma-separated")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions per size")
    parser.add_argument("--window", type=float, default=6.0, help="measuring window, seconds")
    parser.add_argument("--child", choices=("soulbeat", "apscheduler"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = run_soulbeat if args.child == "soulbeat" else run_apscheduler
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(asyncio.run(run(args.threads, args.window, Path(tmp)))))
        return
    for threads in (int(s) for s in args.sizes.split(",")):
        runs: dict[str, list[dict[str, Any]]] = {"soulbeat": [], "apscheduler": []}
        for rep in range(args.reps):
            order = ("soulbeat", "apscheduler") if rep % 2 == 0 else ("apscheduler", "soulbeat")
            for side in order:
                runs[side].append(child(side, threads, args.window))
        report(threads, runs)


if __name__ == "__main__":
    main()
