"""Resident memory of `soulbeat serve` and `soulbeat worker` with a fleet planned (issue 12).

Seeds N threads (one transaction), starts the command in its own process (SQLite in a temporary
folder, a model server address nobody answers on, every thread beating hourly), waits until every
thread has its schedule, waits 3 s more and prints ``VmRSS`` (now) and ``VmHWM`` (the peak, during
the first planning) from ``/proc/<pid>/status``, with how many beats were recorded by then: with
many threads some slots fall due in those seconds (100,000 hourly threads: slots at about 28 a
second), and such a beat loads the turn stack and the model client, as it would in production.
By default nobody answers on the model server's address, so those beats end as
``provider-unreachable``; ``--model fake`` runs `FakeLLMServer` (the OpenAI protocol, answering
``HEARTBEAT_OK`` at once) in this process instead, so they finish as a beat with a model does.

The issue's target is 60 MiB at 100,000 threads. ``--baseline SRC`` also measures another
checkout of soulbeat (its ``src`` folder, put first on ``PYTHONPATH`` of that child, which runs
the same ``soulbeat`` script of this environment) side by side: baseline and current children
alternate, each seeded by its own code, and the ratio current / baseline is printed with the
median and range of ``--reps`` runs.

Run: ``.venv/bin/python bench/bench_rss.py --threads 10,100000 --command worker`` (or ``serve``;
``--baseline /tmp/before/src --reps 3`` to compare with an older checkout).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_e2e import free_port

BENCH = Path(__file__).resolve().parent
TARGET_MIB = 60.0

SEED = """
import asyncio, sys
from pathlib import Path
from bench_e2e import seed

folder = Path(sys.argv[1])
asyncio.run(seed(folder / "data", folder / "workspace", int(sys.argv[2])))
"""


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


def code_env(source: Path | None) -> dict[str, str]:
    """The environment of a child running this checkout's code, or the one under ``source``."""
    env = dict(os.environ)
    paths = [str(BENCH)]
    if source is not None:
        paths.insert(0, str(source))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def measure(
    command: str, threads: int, source: Path | None = None, model_url: str | None = None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "workspace").mkdir()
        (folder / "workspace" / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
        base = code_env(source)
        subprocess.run(
            [sys.executable, "-c", SEED, str(folder), str(threads)], env=base, check=True
        )
        env = {
            **base,
            "SOULBEAT_LLM_PROVIDER": "openai",
            "SOULBEAT_LLM_BASE_URL": model_url or "http://127.0.0.1:9/v1",
            "SOULBEAT_LLM_MODEL": "fake-model" if model_url else "none",
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
            found["planned_s"] = took
            return found
        finally:
            process.terminate()
            process.wait(timeout=60)


def summary(runs: list[dict[str, float]], key: str, unit: str = " MiB", digits: int = 1) -> str:
    values = [run[key] for run in runs]
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}{unit}"
    return f"{middle:.{digits}f}{unit} [{min(values):.{digits}f}–{max(values):.{digits}f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="10,100000", help="thread counts, comma-separated")
    parser.add_argument("--command", choices=("serve", "worker"), default="worker")
    parser.add_argument("--reps", type=int, default=1, help="runs of each code per size")
    parser.add_argument(
        "--baseline", type=Path, help="the src folder of another checkout, measured alongside"
    )
    parser.add_argument(
        "--model",
        choices=("none", "fake"),
        default="none",
        help="none: nobody answers (the beats fail to connect); fake: FakeLLMServer answers",
    )
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "soulbeat").is_dir():
        raise SystemExit(f"--baseline {args.baseline}: expected a src folder holding soulbeat/")
    with contextlib.ExitStack() as stack:
        model_url = None
        if args.model == "fake":
            from soulbeat.testing.llm_server import FakeLLMServer

            model_url = stack.enter_context(FakeLLMServer()).openai_url
        for threads in (int(n) for n in args.threads.split(",")):
            compare(args, threads, model_url)


def compare(args: argparse.Namespace, threads: int, model_url: str | None) -> None:
    now: list[dict[str, float]] = []
    before: list[dict[str, float]] = []
    for _ in range(args.reps):
        if args.baseline is not None:
            before.append(measure(args.command, threads, args.baseline, model_url))
        now.append(measure(args.command, threads, None, model_url))
    label = f"soulbeat {args.command}, {threads:,} threads"
    if model_url:
        label += ", answering model"
    print(
        f"{label}: RSS {summary(now, 'VmRSS')}, peak {summary(now, 'VmHWM')} "
        f"(target {TARGET_MIB:.0f} MiB); planned {summary(now, 'planned_s', ' s')} after "
        f"start; beats recorded {summary(now, 'beats', '', 0)}"
    )
    if before:
        ratio = statistics.median(r["VmRSS"] for r in now) / statistics.median(
            r["VmRSS"] for r in before
        )
        print(
            f"{label}, baseline {args.baseline}: RSS {summary(before, 'VmRSS')}, peak "
            f"{summary(before, 'VmHWM')}; beats recorded {summary(before, 'beats', '', 0)}; "
            f"RSS ratio current/baseline {ratio:.2f}x"
        )


if __name__ == "__main__":
    main()
