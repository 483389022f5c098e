"""The panel's views on a 10,000-thread install, each timed over HTTP (the real app on an ASGI
transport, JSON included) and printed as a ratio against a baseline measured in the same run.

The baseline is `GET /api/threads`: the thread list the panel's first view was built on before
the fleet overview (every thread, no paging). Against it, interleaved round by round:

* `GET /api/fleet` — the first view: a page of 50 with states, latest beat, tokens today
  (sorted by next beat; sorted by title at offset 5,000; filtered by text);
* `GET /api/beats` — history: a page of 50 with the total over a week, and a text search over the
  panel's default day and over a week;
* `GET /api/beats/stats` — the charts: seven days per day, one day per hour.

Data: 10,000 threads (one agent), a main schedule each, and 20 finished beats per thread spread
over the last five days (200,000 beats), written straight into the SQLite file for speed.

Run: `.venv/bin/python bench/bench_panel.py [threads]` (default 10000).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from soulbeat.api import create_app, ensure_api_token
from soulbeat.config.settings import Settings
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ROUNDS = 7


def fill(db: Path, threads: int) -> None:
    """Threads, schedules and beats, inserted in bulk (the store's own writes are one
    transaction each: too slow to set up 200,000 beats)."""
    micros = lambda moment: int(moment.timestamp() * 1_000_000)  # noqa: E731
    rng = random.Random(7)
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            """INSERT INTO threads (id, agent_id, title, enabled, config, created_at)
               VALUES (?, 'default', ?, 1, '{}', ?)""",
            [(f"t{n:05d}", f"Thread {n}", micros(NOW - timedelta(days=6))) for n in range(threads)],
        )
        columns = [row[1] for row in conn.execute("PRAGMA table_info(schedules)")]
        conn.executemany(
            "INSERT INTO schedules (thread_id, skill, next_due_at, phase_seconds, fingerprint)"
            " VALUES (?, '', ?, 0, '30m')"
            if "fingerprint" in columns
            else "INSERT INTO schedules (thread_id, skill, next_due_at, phase_seconds)"
            " VALUES (?, '', ?, 0)",
            [
                (f"t{n:05d}", micros(NOW + timedelta(seconds=rng.randrange(1800))))
                for n in range(threads)
            ],
        )
        outcomes = ["ok-token"] * 12 + ["sent"] * 4 + ["skipped"] * 3 + ["failed"]
        rows = []
        for n in range(threads):
            for k in range(20):
                due = NOW - timedelta(minutes=k * 360 + rng.randrange(300))
                outcome = outcomes[k]
                rows.append(
                    (
                        f"t{n:05d}@{due.isoformat()}",
                        f"t{n:05d}",
                        micros(due),
                        micros(due),
                        micros(due + timedelta(milliseconds=rng.randrange(200, 4000))),
                        outcome,
                        "quiet-hours" if outcome == "skipped" else None,
                        "provider-unreachable: x" if outcome == "failed" else None,
                        0 if outcome == "skipped" else 600,
                        0 if outcome == "skipped" else 20,
                        f"Alert {n} {k}" if outcome == "sent" else None,
                    )
                )
        conn.executemany(
            """INSERT INTO beats (key, thread_id, skill, reason, due_at, status, started_at,
               finished_at, outcome, skip_reason, error, prompt_tokens, completion_tokens,
               alert_text) VALUES (?, ?, '', 'interval', ?, 'finished', ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
    conn.close()


async def main(threads: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="soulbeat-bench-panel-"))
    init_workspace(root / "ws")
    settings = Settings(data_dir=root / "data", workspace=root / "ws")
    clock = FakeClock(NOW)
    service = build(settings, clock=clock, provider=ScriptedLLM())
    await service.open()
    print(f"filling {threads:,} threads and {threads * 20:,} beats …", flush=True)
    fill(settings.data_dir / "soulbeat.db", threads)
    app = create_app(service)
    token = ensure_api_token(settings)[0]
    week = (NOW - timedelta(days=7)).isoformat()
    day = (NOW - timedelta(days=1)).isoformat()
    cases = {
        "baseline GET /api/threads (all)": ("/api/threads", {}),
        "fleet page 1 (next beat)": ("/api/fleet", {"limit": 50}),
        "fleet by title, offset 5000": ("/api/fleet", {"sort": "title", "offset": threads // 2}),
        "fleet text filter": ("/api/fleet", {"q": "Thread 99"}),
        "history page 1 + total": ("/api/beats", {"limit": 50, "since": week}),
        "history text search, 1 day": ("/api/beats", {"q": "Alert 4242", "since": day}),
        "history text search, 7 days": ("/api/beats", {"q": "Alert 4242", "since": week}),
        "charts 7 days per day": ("/api/beats/stats", {"bucket": "day", "since": week}),
        "charts 1 day per hour": ("/api/beats/stats", {"bucket": "hour", "since": day}),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    transport = httpx.ASGITransport(app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://b", headers=headers) as c:
        for _ in range(ROUNDS):  # interleaved: every case once per round
            for name, (path, params) in cases.items():
                start = time.perf_counter()
                response = await c.get(path, params=params)
                times[name].append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
    await service.close()
    base = statistics.median(times["baseline GET /api/threads (all)"])
    print(f"\n{'view':34} {'median':>9} {'min':>8} {'max':>8} {'÷ baseline':>11}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"{name:34} {median * 1000:7.0f}ms {min(samples) * 1000:6.0f}ms "
            f"{max(samples) * 1000:6.0f}ms {median / base:10.2f}×"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
