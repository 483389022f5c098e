"""The fleet as it is judged (issue 13): one PostgreSQL, one API process and two workers, all real
`soulbeat` processes on 127.0.0.1, with 10,000 threads; one worker is killed with SIGKILL
mid-run.

A private PostgreSQL server is started for the run (`soulbeat.testing.postgres`), and a fake
OpenAI-protocol model server that answers ``HEARTBEAT_OK`` after 50 ms (`FakeLLMServer`). Then:
``soulbeat serve --no-scheduler`` (the API), 10,000 threads created through it in one bulk
request, every thread beating every `--every` (default 1 min: more demand than two workers
serve, so both stay busy), ``soulbeat worker --worker-id w1`` and ``w2``. An SSE client reads
``/api/events`` of the API process from ``Last-Event-ID: 0`` all along. After `--before`
seconds w1 is killed with SIGKILL; the run goes on for `--after` seconds (more than the 30 s
lease), then everything stops. Printed, from the database and the stream:

- beats finished by each worker, before and after the kill;
- the beats w1 held when it died: how many w2 finished, and when the last one was, after the
  kill (one lease is 30 s);
- duplicate slots: beat rows sharing a key (must be 0), and slots finished twice;
- what the API's event stream showed: ``beat.finished`` events per worker.

Run: ``nice .venv/bin/python bench/bench_fleet.py`` (about 3 minutes; ``--threads 1000`` for a
quick look).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg
from httpx_sse import connect_sse

from soulbeat.testing import FakeLLMServer
from soulbeat.testing.postgres import PostgresServer, free_port

MODEL_SECONDS = 0.05


class Fleet:
    def __init__(self, work: Path, url: str, model_url: str, every: str) -> None:
        self.work, self.url = work, url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOULBEAT_")}
        self.env |= {
            "SOULBEAT_DATABASE_URL": url,
            "SOULBEAT_LLM_PROVIDER": "openai",
            "SOULBEAT_LLM_BASE_URL": model_url,
            "SOULBEAT_LLM_MODEL": "fake-model",
            "SOULBEAT_HEARTBEAT_EVERY": every,
            "HOME": str(work),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.work / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "soulbeat", *args, "--workspace", str(self.work / "ws")],
            env=self.env,
            cwd=self.work,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Stream(threading.Thread):
    """Reads the API's SSE stream from the start; counts `beat.finished` per worker."""

    def __init__(self, base: str, auth: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.base, self.auth = base, auth
        self.finished: Counter[str] = Counter()
        self.events = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:  # the API process stopping at the end of the run
            if not self.stopping.is_set():
                raise

    def _read(self) -> None:
        with (
            httpx.Client(base_url=self.base, headers=self.auth, timeout=None) as http,
            connect_sse(http, "GET", "/api/events", headers={"Last-Event-ID": "0"}) as source,
        ):
            for sse in source.iter_sse():
                self.events += 1
                if sse.event == "beat.finished":
                    data = json.loads(sse.data)["data"]
                    if data.get("status") == "finished":
                        self.finished[data["worker_id"]] += 1
                if self.stopping.is_set():
                    return


def wait_for(check: Any, what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def run(threads: int, every: str, before: float, after: float) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        PostgresServer() as server,
        FakeLLMServer(models=None) as model,
    ):
        model.on(delay=MODEL_SECONDS)
        work = Path(tmp)
        fleet = Fleet(work, server.url(), model.openai_url, every)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        fleet.start("api", "serve", "--no-scheduler", "--port", str(port))
        try:
            wait_for(lambda: _healthy(base), "the API process")
            token = (work / "data" / "api-token").read_text().strip()
            auth = {"Authorization": f"Bearer {token}"}
            made = time.perf_counter()
            with httpx.Client(base_url=base, headers=auth, timeout=600) as http:
                answer = http.post("/api/threads/bulk", json={"prefix": "t", "count": threads})
                answer.raise_for_status()
            print(
                f"{threads} threads created through the API in {time.perf_counter() - made:.1f} s"
            )
            stream = Stream(base, auth)
            stream.start()
            fleet.start("w1", "worker", "--worker-id", "w1")
            fleet.start("w2", "worker", "--worker-id", "w2")
            started = time.time()
            time.sleep(before)
            fleet.procs["w1"].send_signal(signal.SIGKILL)
            fleet.procs["w1"].wait()
            killed = time.time()
            held = [k for (k,) in fleet.rows(_HELD)]
            time.sleep(after)
            stream.stopping.set()
            report(fleet, stream, started, killed, held, before + after)
        finally:
            fleet.stop()


_HELD = "SELECT key FROM beats WHERE status = 'claimed' AND worker_id = 'w1'"


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def report(
    fleet: Fleet, stream: Stream, started: float, killed: float, held: list[str], seconds: float
) -> None:
    cut = int(killed * 1e6)
    per_worker = fleet.rows(
        "SELECT worker_id, count(*) FILTER (WHERE finished_at < %s), "
        "count(*) FILTER (WHERE finished_at >= %s) FROM beats WHERE status = 'finished' "
        "GROUP BY worker_id ORDER BY worker_id",
        (cut, cut),
    )
    for worker, pre, post in per_worker:
        print(f"  {worker}: {pre} beats finished before the kill, {post} after")
    total = sum(pre + post for _, pre, post in per_worker)
    print(f"  {total} beats in {seconds:.0f} s: {total / seconds:.1f} beats/s")
    taken = fleet.rows(
        "SELECT worker_id, status, finished_at FROM beats WHERE key = ANY(%s)", (held,)
    )
    done = [row for row in taken if row[0] == "w2" and row[1] == "finished"]
    last = max((row[2] / 1e6 - killed for row in done), default=0.0)
    print(
        f"  w1 held {len(held)} beats when killed; w2 finished {len(done)} of them, "
        f"the last {last:.1f} s after the kill (lease 30 s)"
    )
    (rows_twice,) = fleet.rows("SELECT count(*) - count(DISTINCT key) FROM beats")[0]
    print(f"  duplicate slots (beat rows sharing a key): {rows_twice}")
    print(
        f"  the API's event stream: {stream.events} events, beat.finished per worker "
        f"{dict(sorted(stream.finished.items()))}"
    )
    print(f"  (run started {time.strftime('%H:%M:%S', time.localtime(started))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--every", default="1m", help="each thread's interval")
    parser.add_argument("--before", type=float, default=60.0, help="seconds before the kill")
    parser.add_argument("--after", type=float, default=75.0, help="seconds after the kill")
    args = parser.parse_args()
    run(args.threads, args.every, args.before, args.after)


if __name__ == "__main__":
    main()
