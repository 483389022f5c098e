"""Two `soulbeat worker`s and one `soulbeat serve --no-scheduler` on one PostgreSQL database, as
real processes: the API's event stream shows the beats of both workers, a worker killed with
SIGKILL costs no slot twice, a stop through the API reaches the workers, and a wake asked of the
API-only process runs on a worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from httpx_sse import connect_sse

from soulbeat.testing import FakeLLMServer
from soulbeat.testing.postgres import free_port

pytestmark = pytest.mark.slow

THREADS = 24
EVERY = "15s"
"""Each thread beats every 15 s, under the flood guard's 5 starts a minute (so every slot runs the
model instead of being deferred): 1.6 beats/s in all."""
BEAT_SECONDS = 1.0
"""The fake model's answer time. With one beat at a time per worker (`max_concurrent_beats = 1`)
a worker manages at most one beat a second, less than the 1.6 due: however late the second
worker starts, due slots are waiting for it, so both workers beat by construction, not by luck
in the race for claims."""


def wait_for(check: Any, what: str, limit: float = 60.0) -> None:
    """Poll `check()` until true — a condition of other processes, bounded."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Fleet:
    def __init__(self, tmp_path: Path, url: str, llm: FakeLLMServer) -> None:
        self.tmp_path, self.url = tmp_path, url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOULBEAT_")}
        self.env |= {
            "SOULBEAT_DATABASE_URL": url,
            "SOULBEAT_LLM_PROVIDER": "openai",
            "SOULBEAT_LLM_BASE_URL": llm.openai_url,
            "SOULBEAT_LLM_MODEL": "fake-model",
            "SOULBEAT_MAX_CONCURRENT_BEATS": "1",
            "HOME": str(tmp_path),
        }
        self.procs: dict[str, subprocess.Popen[str]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "soulbeat", *args, "--workspace", str(self.tmp_path / "ws")],
            env=self.env,
            cwd=self.tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.procs[name] = proc
        return proc

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def fleet(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Fleet, str, dict[str, str]]]:
    with FakeLLMServer(models=None) as llm:
        llm.on(delay=BEAT_SECONDS)
        fleet = Fleet(tmp_path, postgres_url, llm)
        port = free_port()
        api = fleet.start("api", "serve", "--no-scheduler", "--port", str(port))
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if api.poll() is not None:
                raise AssertionError(api.stdout.read() if api.stdout else "api exited")
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_for(healthy, "the API process")
            token = (tmp_path / "data" / "api-token").read_text().strip()
            yield fleet, base, {"Authorization": f"Bearer {token}"}
        finally:
            fleet.stop()


def test_two_workers_and_an_api_share_one_database(
    fleet: tuple[Fleet, str, dict[str, str]],
) -> None:
    group, base, auth = fleet
    with httpx.Client(base_url=base, headers=auth, timeout=10) as http:
        for i in range(THREADS):
            assert http.post("/api/threads", json={"id": f"t{i}"}).status_code == 201
            config = http.post(f"/api/threads/t{i}/heartbeat/config", json={"every": EVERY})
            assert config.status_code == 200, config.text
        # The event wake goes to a thread of its own that beats hourly: on a thread beating every
        # second the wake would wait out the cooldown (30 s after the last start) and then race
        # the interval beats for the flood guard's room, for as long as they keep winning.
        assert http.post("/api/threads", json={"id": "quiet"}).status_code == 201
        config = http.post("/api/threads/quiet/heartbeat/config", json={"every": "1h"})
        assert config.status_code == 200, config.text
        group.start("w1", "worker", "--worker-id", "w1")
        group.start("w2", "worker", "--worker-id", "w2")

        def both_workers_beat() -> bool:
            found = group.rows("SELECT DISTINCT worker_id FROM beats WHERE status = 'finished'")
            return {row[0] for row in found} >= {"w1", "w2"}

        wait_for(both_workers_beat, "beats finished by both workers")

        # the API process's event stream carries the beats of both workers
        workers: set[str] = set()
        with connect_sse(http, "GET", "/api/events", headers={"Last-Event-ID": "0"}) as source:
            for sse in source.iter_sse():
                if sse.event == "beat.finished":
                    workers.add(json.loads(sse.data)["data"]["worker_id"])
                if workers >= {"w1", "w2"}:
                    break

        # kill -9 one worker: the other goes on, and no slot is ever finished twice
        group.procs["w1"].send_signal(signal.SIGKILL)
        group.procs["w1"].wait()
        (before,) = group.rows("SELECT count(*) FROM beats WHERE worker_id = 'w2'")[0]
        wait_for(
            lambda: (
                group.rows("SELECT count(*) FROM beats WHERE worker_id = 'w2'")[0][0] > before + 3
            ),
            "the surviving worker to go on",
        )
        assert group.rows("SELECT count(*) - count(DISTINCT key) FROM beats") == [(0,)]

        # a stop through the API reaches the worker: what it records from then on is skipped
        assert http.post("/api/heartbeat/stop").status_code == 200
        stopped_at = time.time()
        wait_for(
            lambda: (
                group.rows(
                    "SELECT count(*) FROM beats WHERE skip_reason = 'disabled' "
                    f"AND claimed_at > {int(stopped_at * 1e6)}"
                )[0][0]
                > 0
                or _no_model_calls_since(group, stopped_at)
            ),
            "the stop to reach the worker",
            limit=30,
        )
        assert http.post("/api/heartbeat/start").status_code == 200

        # a wake asked of the API-only process runs on the worker
        queued = http.post("/api/threads/quiet/events", json={"text": "deploy done", "wake": "now"})
        assert queued.status_code == 201, queued.text
        event_beats = "SELECT worker_id, status FROM beats WHERE reason = 'event'"
        wait_for(
            lambda: ("w2", "finished") in group.rows(event_beats),
            "the event wake to run on a worker",
        )
        assert group.rows(event_beats) == [("w2", "finished")]


def _no_model_calls_since(group: Fleet, since: float) -> bool:
    """True once a second passed after `since` with no beat that ran the model (a stopped
    scheduler may also just record nothing)."""
    if time.time() < since + 2:
        return False
    ran = group.rows(
        "SELECT count(*) FROM beats WHERE outcome IN ('ok-token', 'sent') "
        f"AND started_at > {int((since + 1) * 1e6)}"
    )
    return ran[0][0] == 0
