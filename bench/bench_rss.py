"""Resident memory of `soulbeat serve` and `soulbeat worker` with a fleet planned (issue 12).

Seeds N threads (one transaction), starts the command in its own process (SQLite in a temporary
folder, a model server address nobody answers on, every thread beating hourly), waits until every
thread has its schedule, waits 3 s more and prints ``VmRSS`` (now) and ``VmHWM`` (the peak, during
the first planning) from ``/proc/<pid>/status``, with how many beats were recorded by then: with
many threads some slots fall due in those seconds (100,000 hourly threads: slots at about 28 a
second), and such a beat loads the turn stack and the model client, as it would in production.
There is no baseline to set beside it: the issue's target is 60 MiB at 100,000 threads.

Run: ``.venv/bin/python bench/bench_rss.py --threads 10,100000 --command worker`` (or ``serve``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_e2e import free_port, seed


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of the process, in MiB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def planned(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM schedules").fetchone()[0])
    except sqlite3.Error:  # not made yet
        return 0


def beats(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM beats").fetchone()[0])


def measure(command: str, threads: int) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "workspace").mkdir()
        (folder / "workspace" / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
        asyncio.run(seed(folder / "data", folder / "workspace", threads))
        env = {
            **os.environ,
            "SOULBEAT_LLM_PROVIDER": "openai",
            "SOULBEAT_LLM_BASE_URL": "http://127.0.0.1:9/v1",
            "SOULBEAT_LLM_MODEL": "none",
            "SOULBEAT_DATA_DIR": str(folder / "data"),
            "SOULBEAT_WORKSPACE": str(folder / "workspace"),
            "SOULBEAT_PORT": str(free_port()),
            "SOULBEAT_USER_TIMEZONE": "UTC",
            "SOULBEAT_HEARTBEAT_EVERY": "1h",
        }
        soulbeat = Path(sys.executable).with_name("soulbeat")
        process = subprocess.Popen(
            [str(soulbeat), command], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            began = time.perf_counter()
            db = folder / "data" / "soulbeat.db"
            while planned(db) < threads:
                if process.poll() is not None or time.perf_counter() - began > 300:
                    raise SystemExit(f"soulbeat {command} did not plan {threads} threads")
                time.sleep(0.5)
            took = time.perf_counter() - began
            time.sleep(3)
            found = memory(process.pid)
            found["beats"] = beats(db)
            return took, found
        finally:
            process.terminate()
            process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="10,100000", help="thread counts, comma-separated")
    parser.add_argument("--command", choices=("serve", "worker"), default="worker")
    args = parser.parse_args()
    for threads in (int(n) for n in args.threads.split(",")):
        took, found = measure(args.command, threads)
        print(
            f"soulbeat {args.command}, {threads:,} threads: planned {took:.1f} s after start, "
            f"RSS {found['VmRSS']:.0f} MiB, peak {found['VmHWM']:.0f} MiB (target 60 MiB); "
            f"{found['beats']:.0f} beats recorded"
        )


if __name__ == "__main__":
    main()
