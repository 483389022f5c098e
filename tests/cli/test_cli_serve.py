"""`soulbeat serve` as a real subprocess: beats it runs are visible through the API, the SSE
stream and the CLI, and it shuts down cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse
from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.testing import FakeLLMServer

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: object, what: str, limit: float = 120.0) -> None:
    """Poll `check()` until true — waiting on a condition of another process, bounded."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, FakeLLMServer, subprocess.Popen[str]]]:
    with FakeLLMServer(models=None) as llm:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOULBEAT_")}
        env |= {
            "SOULBEAT_LLM_PROVIDER": "openai",
            "SOULBEAT_LLM_BASE_URL": llm.openai_url,
            "SOULBEAT_LLM_MODEL": "fake-model",
            "HOME": str(tmp_path),
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "soulbeat",
                "serve",
                "--port",
                str(port),
                "--workspace",
                str(tmp_path / "ws"),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "soulbeat serve to answer /healthz")
        token = (tmp_path / "data" / "api-token").read_text().strip()
        try:
            yield url, token, llm, proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def test_serve_runs_beats_visible_through_api_sse_and_cli(
    server: tuple[str, str, FakeLLMServer, subprocess.Popen[str]], tmp_path: Path
) -> None:
    url, token, llm, proc = server
    llm.on("deploy finished", reply="The deploy on prod finished with 2 failed checks.")
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=auth, timeout=10) as http:
        assert http.post("/api/threads", json={"id": "ops"}).status_code in (200, 201)
        assert httpx.post(f"{url}/api/threads", json={"id": "x"}).status_code == 401
        queued = http.post(
            "/api/threads/ops/events", json={"text": "deploy finished", "wake": "now"}
        )
        assert queued.status_code in (200, 201, 202), queued.text

        def delivered() -> bool:
            items = http.get("/api/threads/ops/heartbeat/history").json()["items"]
            return any(b["outcome"] == "sent" for b in items)

        wait_for(delivered, "the event-driven beat to be delivered")
        messages = http.get("/api/threads/ops/messages").json()["items"]
        assert messages[-1]["text"] == "The deploy on prod finished with 2 failed checks."
        with connect_sse(http, "GET", "/api/events", headers={"Last-Event-ID": "0"}) as source:
            names = []
            for sse in source.iter_sse():
                if sse.event:
                    names.append(sse.event)
                if "beat.finished" in names:
                    break
        assert "beat.started" in names and "beat.finished" in names

    result = CliRunner().invoke(app, ["--url", url, "--token", token, "history", "ops", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["items"][0]["reason"] == "event"

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    log = proc.stdout.read() if proc.stdout else ""
    assert "API token (shown once" in log
