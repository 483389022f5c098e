"""Many workers on one PostgreSQL: throughput, duplicates, takeover after kill -9, CPU per beat.

Every number is a ratio or a count from runs made side by side in this one invocation, on a
private PostgreSQL server started for it (`soulbeat.testing.postgres`; fsync off unless
`--durable`: these are counts and CPU, not a measure of the disk).

1. **Scaling.** 1, 2 and 4 worker processes, each a real `Scheduler` on a `PostgresStore` with a
   fake model that answers in 50 ms (`--in-flight` beats at a time, default 1), against
   `--threads` threads (default 1,500) beating every 15 s: more demand than 4 workers serve.
   Beats finished per second in a 10 s window after a warm-up; runs interleaved (1, 2, 4, 1, 2,
   4 ...), medians and ranges, ratio to 1 worker.
2. **Duplicates.** 2 and 4 processes claim and finish due slots as fast as the store lets them
   (`claim_due` + `finish_beat`, no model) until 100,000 beats are finished in all; every slot
   key each process finished is compared: a key finished twice is a duplicate (must be 0).
3. **kill -9.** Two scheduler workers (lease 4 s); one is killed with SIGKILL mid-run. Its beats
   in flight must be finished by the other within one lease of the kill, and no slot may finish
   twice (the model call of a killed beat may have run; that is counted too).
4. **CPU per beat of the store.** The same claim + finish loop in one process on SQLite and on
   PostgreSQL; CPU seconds per beat of the process, and of the process plus the PostgreSQL
   server, as ratios to SQLite's.

Run: `nice .venv/bin/python bench/bench_postgres.py` (10-20 minutes on 2 busy cores);
`--quick` for a smaller run while developing, `--only PART` for one part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from soulbeat.clock import SystemClock
from soulbeat.schedule.plan import BeatPlan, PlanChanges
from soulbeat.schedule.scheduler import Scheduler
from soulbeat.store.base import Store
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.records import Agent, BeatResult, Claim, Schedule, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import StaticPlanner
from soulbeat.testing.postgres import PostgresServer

MODEL_SECONDS = 0.05
EVERY = timedelta(seconds=15)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


# -- worker processes ---------------------------------------------------------------------------


class FiftyMillisecondModel:
    """A `BeatRunner` whose model answers in 50 ms; each completed call is logged (flushed at
    once, so a kill -9 loses none that completed)."""

    def __init__(self, log: Path) -> None:
        self._log = log.open("a", buffering=1)

    async def run(self, claim: Claim, plan: BeatPlan, *, started_at: datetime) -> BeatResult:
        await asyncio.sleep(MODEL_SECONDS)
        self._log.write(claim.key + "\n")
        return BeatResult("ok-token", started_at, datetime.now(UTC), ran_model=True)


class SteadyPlanner(StaticPlanner):
    """Fixed plans that report what changed as the real planner does (plan-on-change): every
    plan on the first pass, then nothing. (`StaticPlanner.changes()` hands every plan to every
    pass, so each pass re-read and compared all schedules: in the first measurement of this
    bench that, not the store, was the per-beat cost that kept 2 workers at 1.15x one.)"""

    def __init__(self, *plans: BeatPlan) -> None:
        super().__init__(*plans)
        self._told = False

    async def changes(self) -> PlanChanges:
        if self._told:
            return PlanChanges((), frozenset())
        self._told = True
        return PlanChanges(await self.plans())


def plans(threads: int) -> StaticPlanner:
    base = BeatPlan(thread_id="", skill="", enabled=True, interval=EVERY)
    return SteadyPlanner(*(replace(base, thread_id=f"t{i:05}") for i in range(threads)))


async def scheduler_worker(
    url: str, name: str, threads: int, lease: float, log: Path, in_flight: int
) -> None:
    store = PostgresStore(url, max_size=4)
    await store.open()
    scheduler = Scheduler(
        store,
        plans(threads),
        FiftyMillisecondModel(log),
        SystemClock(),
        worker_id=name,
        lease=timedelta(seconds=lease),
        max_concurrent_beats=in_flight,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    loop = asyncio.create_task(scheduler.run_forever())
    print("ready", flush=True)
    await stop.wait()
    await scheduler.shutdown(timedelta(seconds=2))
    await asyncio.gather(loop, return_exceptions=True)
    await store.close()


async def hammer(store: Store, name: str, target: int, log: Path | None) -> tuple[int, float]:
    """Claim and finish due slots until the database holds `target` finished beats (checked
    every 200 of ours); returns how many this process finished and its CPU seconds."""
    now = T0 + timedelta(days=3650)
    done, cpu0 = 0, time.process_time()
    out = log.open("a", buffering=1) if log else None
    while True:
        claims = await store.claim_due(now, name, timedelta(minutes=5), limit=8)
        for claim in claims:
            result = BeatResult("ok-token", T0, T0)
            await store.finish_beat(claim, result, next_due_at=claim.due_at + timedelta(seconds=1))
            done += 1
            if out:
                out.write(claim.key + "\n")
        if done % 200 < 8 and await finished(store) >= target:
            break
    return done, time.process_time() - cpu0


async def finished(store: Store) -> int:
    if isinstance(store, PostgresStore):

        async def job(conn: Any) -> int:
            cursor = await conn.execute("SELECT count(*) AS n FROM beats WHERE status='finished'")
            return int((await cursor.fetchone())["n"])

        return await store.run(job)
    assert isinstance(store, SQLiteStore)  # a second, read-only connection on its file
    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM beats WHERE status='finished'").fetchone()[0])
    finally:
        conn.close()


async def hammer_worker(url: str, name: str, target: int, log: Path) -> None:
    store = PostgresStore(url, max_size=2)
    await store.open()
    print("ready", flush=True)
    sys.stdin.readline()
    done, cpu = await hammer(store, name, target, log)
    await store.close()
    print(json.dumps({"done": done, "cpu": cpu}), flush=True)


# -- the driver ---------------------------------------------------------------------------------


async def seed(store: Store, threads: int, *, due: datetime | None) -> None:
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    add_threads = store.add_threads
    put_schedules = store.put_schedules
    await add_threads(Thread(id=f"t{i:05}", agent_id="a1", created_at=T0) for i in range(threads))
    if due is not None:
        await put_schedules(
            Schedule(thread_id=f"t{i:05}", skill="", next_due_at=due) for i in range(threads)
        )
    else:  # planned once here, as a running fleet would have them: workers start with slots
        scheduler = Scheduler(
            store,
            plans(threads),
            FiftyMillisecondModel(Path(os.devnull)),
            SystemClock(),
            worker_id="seed",
        )
        await scheduler.sync_schedules()
    await store.close()


def spawn(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"worker did not start: {line!r}")
    return proc


def fresh_db(server: PostgresServer, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.url(name)


def query(url: str, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]


def micros(moment: float) -> int:
    return int(moment * 1_000_000)


def stop_all(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_scaling(
    server: PostgresServer, work: Path, threads: int, in_flight: int, window: float, rounds: int
) -> None:
    url = fresh_db(server, "scaling")
    asyncio.run(seed(PostgresStore(url), threads, due=None))
    warm = 4.0
    rates: dict[int, list[float]] = {1: [], 2: [], 4: []}
    for r in range(rounds):
        for count in (1, 2, 4):
            procs = [
                spawn(
                    "--scheduler-worker",
                    url,
                    f"s{r}-{count}-{i}",
                    str(threads),
                    "15",
                    str(work / "s.log"),
                    str(in_flight),
                )
                for i in range(count)
            ]
            time.sleep(warm)
            start = time.time()
            time.sleep(window)
            end = time.time()
            stop_all(procs)
            (n,) = query(
                url,
                "SELECT count(*) FROM beats WHERE status='finished' "
                "AND finished_at >= %s AND finished_at < %s",
                (micros(start), micros(end)),
            )[0]
            rates[count].append(n / (end - start))
            print(
                f"  round {r + 1}: {count} worker(s) {n / (end - start):7.1f} beats/s", flush=True
            )
    base = statistics.median(rates[1])
    print(
        f"scaling ({threads} threads every 15 s, fake model 50 ms, {in_flight} beat(s) in "
        "flight per worker):"
    )
    for count, values in rates.items():
        med = statistics.median(values)
        print(
            f"  {count} worker(s): median {med:7.1f} beats/s "
            f"(range {min(values):.1f}-{max(values):.1f})  ratio to 1 worker {med / base:4.2f}x"
        )


def bench_duplicates(
    server: PostgresServer, work: Path, target: int, counts: tuple[int, ...] = (2, 4)
) -> None:
    print(f"duplicates (claim + finish as fast as the store allows, {target} beats per run):")
    for count in counts:
        url = fresh_db(server, f"dup{count}")
        asyncio.run(seed(PostgresStore(url), 2000, due=T0))
        logs = [work / f"dup{count}-{i}.log" for i in range(count)]
        procs = [
            spawn("--hammer-worker", url, f"h{i}", str(target), str(log))
            for i, log in enumerate(logs)
        ]
        started = time.perf_counter()
        for proc in procs:  # all of them go at once
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate()[0] for proc in procs]
        seconds = time.perf_counter() - started
        keys = [line for log in logs for line in log.read_text().splitlines()]
        dup = len(keys) - len(set(keys))
        (rows, attempts) = query(
            url, "SELECT count(*), coalesce(max(attempt), 0) FROM beats WHERE status='finished'"
        )[0]
        shares = [json.loads(out.strip().splitlines()[-1])["done"] for out in outputs]
        print(
            f"  {count} processes: {len(keys)} beats finished ({rows} rows, max attempt "
            f"{attempts}), shares {shares}, {len(keys) / seconds:.0f} beats/s, "
            f"duplicate slots: {dup}"
        )


def bench_kill(server: PostgresServer, work: Path, threads: int) -> None:
    lease = 4.0
    url = fresh_db(server, "kill")
    asyncio.run(seed(PostgresStore(url), threads, due=None))
    logs = [work / "k0.log", work / "k1.log"]
    victim, survivor = (
        spawn("--scheduler-worker", url, f"k{i}", str(threads), str(lease), str(log), "4")
        for i, log in enumerate(logs)
    )
    time.sleep(8)
    victim.kill()  # SIGKILL: no shutdown, its leases stay until they expire
    killed_at = time.time()
    victim.wait()
    orphans = query(url, "SELECT key FROM beats WHERE status='claimed' AND worker_id='k0'")
    time.sleep(lease * 2.5)
    stop_all([survivor])
    keys = [k for (k,) in orphans]
    taken = query(
        url,
        "SELECT key, status, attempt, worker_id, finished_at FROM beats WHERE key = ANY(%s)",
        (keys,),
    )
    late = [row for row in taken if row[1] != "finished" or row[3] != "k1"]
    takeover = max(((row[4] / 1e6) - killed_at for row in taken if row[4]), default=0.0)
    (dup_rows,) = query(url, "SELECT count(*) - count(DISTINCT key) FROM beats")[0]
    calls = [line for log in logs for line in log.read_text().splitlines()]
    twice = len(calls) - len(set(calls))
    total = query(url, "SELECT count(*) FROM beats WHERE status='finished'")[0][0]
    print("kill -9 of one of two workers (lease 4 s):")
    print(
        f"  {len(keys)} beats in flight at the kill; taken over and finished by the other: "
        f"{len(keys) - len(late)}; last one {takeover:.1f} s after the kill (lease {lease:.0f} s)"
    )
    print(
        f"  {total} beats finished in the run; slots finished twice: {dup_rows}; "
        f"slots whose 50 ms model call completed twice: {twice}"
    )


def pg_server_cpu() -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm.startswith("postgres"):
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def bench_cpu(server: PostgresServer, work: Path, beats: int, rounds: int) -> None:
    sqlite_cpu: list[float] = []
    pg_cpu: list[float] = []
    pg_total: list[float] = []
    for r in range(rounds):
        path = work / f"cpu{r}.db"
        store: Store = SQLiteStore(path)
        asyncio.run(seed(store, 500, due=T0))
        done, cpu = asyncio.run(_hammer_open(SQLiteStore(path), beats))
        sqlite_cpu.append(cpu / done)
        url = fresh_db(server, f"cpu{r}")
        asyncio.run(seed(PostgresStore(url), 500, due=T0))
        before = pg_server_cpu()
        done, cpu = asyncio.run(_hammer_open(PostgresStore(url, max_size=1), beats))
        server_cpu = pg_server_cpu() - before
        pg_cpu.append(cpu / done)
        pg_total.append((cpu + server_cpu) / done)
    lite = statistics.median(sqlite_cpu)
    print(f"store CPU per beat (claim + finish, one process, {beats} beats, {rounds} rounds):")
    print(f"  SQLite:                      {lite * 1e3:6.2f} ms (process)")
    for label, values in (
        ("PostgreSQL, client process", pg_cpu),
        ("PostgreSQL, client + server", pg_total),
    ):
        med = statistics.median(values)
        print(f"  {label}: {med * 1e3:6.2f} ms  ratio to SQLite {med / lite:4.2f}x")


async def _hammer_open(store: Store, beats: int) -> tuple[int, float]:
    await store.open()
    try:
        return await hammer(store, "cpu", beats, None)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for development")
    parser.add_argument(
        "--durable", action="store_true", help="fsync on (default off: counts, not the disk)"
    )
    parser.add_argument("--dup-beats", type=int, help="beats per duplicates run (100,000)")
    parser.add_argument(
        "--dup-workers", type=int, action="append", help="processes of a duplicates run (2, 4)"
    )
    parser.add_argument("--threads", type=int, default=1500, help="threads in the scaling run")
    parser.add_argument("--in-flight", type=int, default=1, help="beats in flight per worker")
    parser.add_argument(
        "--only", action="append", choices=["scaling", "duplicates", "kill", "cpu"], help="a part"
    )
    parser.add_argument("--scheduler-worker", nargs=6, metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--hammer-worker", nargs=4, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scheduler_worker:
        url, name, threads, lease, log, in_flight = args.scheduler_worker
        asyncio.run(
            scheduler_worker(url, name, int(threads), float(lease), Path(log), int(in_flight))
        )
        return
    if args.hammer_worker:
        url, name, target, log = args.hammer_worker
        asyncio.run(hammer_worker(url, name, int(target), Path(log)))
        return
    quick = args.quick
    # stopped with SIGTERM, still stop the server and remove its directory (the `with` below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    durable = args.durable
    with tempfile.TemporaryDirectory() as tmp, PostgresServer(durable=durable) as server:
        work = Path(tmp)
        which = set(args.only or ["scaling", "duplicates", "kill", "cpu"])
        if "scaling" in which:
            rounds = 1 if quick else 3
            window = 5.0 if quick else 10.0
            bench_scaling(server, work, args.threads, args.in_flight, window, rounds)
        if "duplicates" in which:
            target = args.dup_beats or (10_000 if quick else 100_000)
            bench_duplicates(server, work, target, tuple(args.dup_workers or (2, 4)))
        if "kill" in which:
            bench_kill(server, work, args.threads)
        if "cpu" in which:
            bench_cpu(server, work, 1000 if quick else 4000, 1 if quick else 3)


if __name__ == "__main__":
    main()
