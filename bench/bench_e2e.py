"""End to end: `soulbeat serve` with a model server that answers at once (issue 12).

1. **beats/s** — ``soulbeat serve`` (its own process, default settings, light context) with
   N threads that all beat every 2 s, against `FakeLLMServer` (OpenAI protocol, replying
   ``HEARTBEAT_OK`` at once): finished beats per second over the measuring window, counted in
   the database. Demand is N / 2 beats a second, above what one process can do, so the figure is
   the sustained throughput.
2. **status p99** — the same server with 10,000 threads (beating every hour): 50 clients call
   ``GET /api/heartbeat/status`` back to back for the window; p50 and p99 latency.

There is no APScheduler figure to set beside these (it has no HTTP edge nor model turn); the
ratio printed is against the issue's target. Run: ``.venv/bin/python bench/bench_e2e.py``
(``--threads 3000 --status-threads 10000 --window 10``; smaller numbers for a quick look).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from soulbeat.store.records import Agent, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing.llm_server import FakeLLMServer

TOKEN = "bench-token"
TARGET_BEATS = 300.0
TARGET_STATUS_P99_MS = 50.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def seed(data: Path, workspace: Path, threads: int) -> None:
    """The agent and N threads, written before the server starts (one transaction)."""
    store = SQLiteStore(data / "soulbeat.db")
    await store.open()
    await store.upsert_agent(Agent(id="default", workspace=str(workspace), user_timezone="UTC"))
    now = datetime.now(UTC)
    await store.add_threads(Thread(f"t{i:06d}", "default", now) for i in range(threads))
    await store.close()


class Served:
    """``soulbeat serve`` in a child process on a free port, stopped on exit."""

    def __init__(self, folder: Path, model_url: str, every: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SOULBEAT_LLM_PROVIDER": "openai",
            "SOULBEAT_LLM_BASE_URL": model_url,
            "SOULBEAT_LLM_MODEL": "fake-model",
            "SOULBEAT_DATA_DIR": str(folder / "data"),
            "SOULBEAT_WORKSPACE": str(folder / "workspace"),
            "SOULBEAT_PORT": str(self.port),
            "SOULBEAT_API_TOKEN": TOKEN,
            "SOULBEAT_USER_TIMEZONE": "UTC",
            "SOULBEAT_HEARTBEAT_EVERY": every,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        soulbeat = Path(sys.executable).with_name("soulbeat")
        self.process = subprocess.Popen(
            [str(soulbeat), "serve"], env=self.env, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("soulbeat serve did not answer within 60 s")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def finished(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT count(*) FROM beats WHERE status = 'finished'").fetchone()
    return int(row[0])


def beats_per_second(threads: int, window: float) -> tuple[float, float]:
    """Finished beats per second over the window, and the serving process's CPU ms per beat."""
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as model:
        folder = Path(tmp)
        (folder / "workspace").mkdir()
        (folder / "workspace" / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
        asyncio.run(seed(folder / "data", folder / "workspace", threads))
        with Served(folder, model.openai_url, "2s") as served:
            db = folder / "data" / "soulbeat.db"
            time.sleep(4)  # the first slots are up to 2 s away; let it reach its pace
            assert served.process is not None
            cpu_before = cpu_seconds(served.process.pid)
            before, began = finished(db), time.perf_counter()
            time.sleep(window)
            after, took = finished(db), time.perf_counter() - began
            cpu = cpu_seconds(served.process.pid) - cpu_before
        return (after - before) / took, cpu / max(after - before, 1) * 1e3


async def raw_status_latencies(url: str, clients: int, window: float) -> list[float]:
    """The same load from a minimal HTTP/1.1 client (one keep-alive connection per client, a
    prepared request, the answer read by its Content-Length): on a 2-core machine httpx's own
    CPU per request is several times the server's, so with httpx the figure is mostly the
    client's queue. Every answer must be a 200 with a JSON body of the announced length."""
    host, port = url.removeprefix("http://").split(":")
    ask = (
        f"GET /api/heartbeat/status HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    stop = time.perf_counter() + window

    async def one_client() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                writer.write(ask)
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200 "):
                    raise SystemExit(f"status answered {head.splitlines()[0]!r}")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                if not body.startswith(b"{"):
                    raise SystemExit(f"status answered {body[:60]!r}")
                latencies.append(time.perf_counter() - began)
        finally:
            writer.close()

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies


async def status_latencies(url: str, clients: int, window: float) -> list[float]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
        stop = time.perf_counter() + window

        async def one_client() -> None:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                answer = await client.get("/api/heartbeat/status", timeout=30)
                answer.raise_for_status()
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_p99(
    threads: int, clients: int, window: float, client: str
) -> tuple[float, float, int, float, float]:
    """p50 and p99 in ms, requests, the server's CPU ms per request and the benchmark
    process's own CPU share of one core over the window."""
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as model:
        folder = Path(tmp)
        (folder / "workspace").mkdir()
        (folder / "workspace" / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
        asyncio.run(seed(folder / "data", folder / "workspace", threads))
        with Served(folder, model.openai_url, "1h") as served:
            time.sleep(2)  # first planning
            assert served.process is not None
            load = raw_status_latencies if client == "raw" else status_latencies
            server_before, own_before = cpu_seconds(served.process.pid), time.process_time()
            began = time.perf_counter()
            found = sorted(asyncio.run(load(served.url, clients, window)))
            took = time.perf_counter() - began
            server_cpu = cpu_seconds(served.process.pid) - server_before
            own_share = (time.process_time() - own_before) / took
    p50 = statistics.median(found)
    p99 = found[min(len(found) - 1, int(len(found) * 0.99))]
    return p50 * 1e3, p99 * 1e3, len(found), server_cpu / len(found) * 1e3, own_share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=3000, help="threads for the beats/s run")
    parser.add_argument("--status-threads", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--status-client",
        choices=["raw", "httpx", "both"],
        default="both",
        help="the status load generator: a minimal HTTP/1.1 client, httpx, or one run of each",
    )
    parser.add_argument("--skip-status", action="store_true", help="the beats/s run only")
    args = parser.parse_args()
    beats = [beats_per_second(args.threads, args.window) for _ in range(args.reps)]
    rates, cpus = [b[0] for b in beats], [b[1] for b in beats]
    median = statistics.median(rates)
    print(
        f"beats/s, {args.threads:,} threads every 2 s, instant model: median {median:.0f} "
        f"[{min(rates):.0f}–{max(rates):.0f}] over {args.reps} runs; "
        f"{median / TARGET_BEATS:.2f}× the target of {TARGET_BEATS:g}; serving process CPU "
        f"{statistics.median(cpus):.2f} ms per beat [{min(cpus):.2f}–{max(cpus):.2f}]"
    )
    if args.skip_status:
        return
    kinds = ["raw", "httpx"] if args.status_client == "both" else [args.status_client]
    for kind in kinds:
        runs = [
            status_p99(args.status_threads, args.clients, args.window, kind)
            for _ in range(args.reps)
        ]
        p50s, p99s = [r[0] for r in runs], [r[1] for r in runs]
        p99 = statistics.median(p99s)
        print(
            f"GET /api/heartbeat/status ({kind} client), {args.status_threads:,} threads, "
            f"{args.clients} clients: p50 {statistics.median(p50s):.1f} ms, p99 {p99:.1f} ms "
            f"[{min(p99s):.1f}–{max(p99s):.1f}] over {args.reps} runs "
            f"({sum(r[2] for r in runs):,} requests); {p99 / TARGET_STATUS_P99_MS:.2f}× the "
            f"target of {TARGET_STATUS_P99_MS:g} ms; server CPU "
            f"{statistics.median(r[3] for r in runs):.2f} ms per request; the benchmark "
            f"client used {statistics.median(r[4] for r in runs):.0%} of a core"
        )


if __name__ == "__main__":
    main()
