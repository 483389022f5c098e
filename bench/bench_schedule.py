"""Benchmarks of the scheduler's hot paths, each printed as a ratio against a baseline run side by
side in the same process (never as an absolute target in a unit test).

1. Slot seeking into active hours: `seek_active_slot` against the obvious slot-by-slot walk, for
   short intervals across a closed night (SPEC §4.1, vectors F6).
2. Finding due schedules among 10,000 threads: the indexed `claim_due` against a full scan of the
   schedules table done the naive way, on the same SQLite file.

Run: `make bench` (or `.venv/bin/python bench/bench_schedule.py`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from soulbeat.contract.active_hours import ActiveHours, is_within_active_hours
from soulbeat.schedule.cadence import seek_active_slot, seek_step
from soulbeat.store.records import Agent, Schedule, Thread
from soulbeat.store.sqlite import SQLiteStore

WINDOW = ActiveHours("09:00", "17:00", "Europe/Berlin")
RAW = datetime(2026, 3, 28, 16, 0, tzinfo=UTC)  # evening before the spring-forward night


def naive_seek(raw: datetime, interval: timedelta) -> datetime:
    """The baseline: try every slot for up to 7 days."""
    step = seek_step(interval)
    slot = raw
    while slot < raw + timedelta(days=7):
        if is_within_active_hours(WINDOW, slot, "UTC"):
            return slot
        slot += step
    return raw


def timed(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def bench_seek() -> None:
    for label, interval in (
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("30m", timedelta(minutes=30)),
    ):
        fast = seek_active_slot(RAW, interval, WINDOW, "UTC")
        assert fast == naive_seek(RAW, interval), "the two must agree before being compared"
        ours = timed(lambda i=interval: seek_active_slot(RAW, i, WINDOW, "UTC"), 200)
        base = timed(lambda i=interval: naive_seek(RAW, i), 5)
        print(
            f"seek {label:>4}: soulbeat {ours * 1e3:8.3f} ms, slot walk {base * 1e3:9.3f} ms, "
            f"ratio {base / ours:8.1f}x"
        )


async def bench_due(threads: int = 10_000, due: int = 10) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        store = SQLiteStore(path)
        await store.open()
        now = datetime(2026, 1, 1, 12, tzinfo=UTC)
        await store.upsert_agent(Agent(id="default", workspace=folder))
        await store.add_threads(
            Thread(id=f"t{n}", agent_id="default", created_at=now) for n in range(threads)
        )
        await store.put_schedules(
            Schedule(
                thread_id=f"t{n}",
                skill="",
                next_due_at=now
                + (timedelta(seconds=-1) if n < due else timedelta(minutes=1 + n % 600)),
            )
            for n in range(threads)
        )
        conn = sqlite3.connect(path)

        def scan() -> int:  # the baseline: read every schedule and filter in Python
            rows = conn.execute("SELECT thread_id, next_due_at FROM schedules").fetchall()
            cutoff = int(now.timestamp() * 1_000_000)
            return sum(1 for _, at in rows if at is not None and at <= cutoff)

        assert scan() == due
        base = timed(scan, 20)
        start = time.perf_counter()
        earliest = await store.earliest_due()
        ours = time.perf_counter() - start
        assert earliest is not None and earliest <= now
        print(
            f"due among {threads}: indexed earliest_due {ours * 1e3:7.3f} ms, "
            f"full scan {base * 1e3:7.3f} ms, ratio {base / ours:6.1f}x"
        )
        conn.close()
        await store.close()


if __name__ == "__main__":
    bench_seek()
    asyncio.run(bench_due())
