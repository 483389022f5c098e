"""Helpers of the MCP tests: soulbeat wired for real (`wiring.build`, SQLite, a `FakeClock`,
the `FakeLLMServer` over HTTP) with an agent whose MCP servers are the SDK-written test server
(`soulbeat.testing.mcp_server`) over stdio or streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soulbeat.config.settings import Settings
from soulbeat.service.core import Service
from soulbeat.store.records import BeatRecord
from soulbeat.testing import FakeClock, FakeLLMServer
from soulbeat.turn.modes import PROBE_SCHEMA
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

SERVER = [sys.executable, "-m", "soulbeat.testing.mcp_server"]
HEARTBEAT = "# HEARTBEAT.md\n\n## Checklist\n- Check the CI status of main\n"


def beat_calls(server: FakeLLMServer) -> list[dict[str, Any]]:
    """The model requests of beats: without the one-off probe ``decision_mode = auto`` (the
    default) sends a server before the first beat of an agent without MCP tools."""
    return [body for body in server.requests if not _is_probe(body)]


def _is_probe(body: Mapping[str, Any]) -> bool:
    schema = body.get("format") or (body.get("response_format") or {}).get("json_schema", {})
    schema = schema.get("schema", schema) if isinstance(schema, dict) else schema
    return schema == dict(PROBE_SCHEMA)


def stdio_server(**extra: Any) -> dict[str, Any]:
    return {"command": SERVER, "connect_timeout": "20s", **extra}


def tool_round(body: Mapping[str, Any]) -> int:
    """Which round of a beat a request is: 1 + the assistant messages with tool calls."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    return 1 + sum(1 for m in messages if m.get("role") == "assistant" and m.get("tool_calls"))


def round_is(n: int) -> Any:
    return lambda body: tool_round(body) == n


def tool_messages(body: Mapping[str, Any]) -> list[str]:
    return [str(m.get("content")) for m in body.get("messages") or [] if m.get("role") == "tool"]


def tool_names(body: Mapping[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body.get("tools") or []]


@dataclass
class Wired:
    service: Service
    server: FakeLLMServer
    clock: FakeClock
    workspace: Path

    async def beat(self, thread_id: str = "t1") -> BeatRecord:
        return await self.service.run_now(thread_id)


async def wire(
    tmp_path: Path,
    server: FakeLLMServer,
    clock: FakeClock,
    mcp_servers: Mapping[str, Mapping[str, Any]],
    heartbeat: Mapping[str, Any] | None = None,
) -> Wired:
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    shutil.rmtree(workspace / ".agents", ignore_errors=True)  # the template's skill schedules
    (workspace / "HEARTBEAT.md").write_text(HEARTBEAT, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data",
        workspace=workspace,
        llm_provider="openai",
        llm_base_url=server.openai_url,
        llm_model="fake-model",
        user_timezone="UTC",
        agents={
            "default": {
                "workspace": workspace,
                "mcp_servers": dict(mcp_servers),
                "heartbeat": dict(heartbeat or {}),
            }
        },
    )
    service = build(settings, clock=clock)
    await service.open()
    await service.create_thread(thread_id="t1")
    return Wired(service, server, clock, workspace)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def http_server() -> Iterator[str]:
    """The test MCP server over streamable HTTP on 127.0.0.1; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [*SERVER, "--http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # wait for the process to listen (its start-up, not a timed behaviour)
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the MCP test server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def respond(**arguments: Any) -> Sequence[tuple[str, Mapping[str, Any]]]:
    return [("heartbeat_respond", {"summary": "checked", **arguments})]
