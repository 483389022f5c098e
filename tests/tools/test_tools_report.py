"""Issue 15 items 3 and 6: ``GET /api/agents/{id}/tools`` and ``soulbeat doctor`` show each
agent's tools, why an MCP server is missing, and the prompt tokens of tool schemas and memory."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp_support import stdio_server, wire

from soulbeat.api import create_app, ensure_api_token
from soulbeat.config.settings import Settings
from soulbeat.doctor import diagnose
from soulbeat.testing import FakeClock, FakeLLMServer
from soulbeat.workspace.templates import init_workspace

MISSING = {"command": [sys.executable, "-c", "raise SystemExit(2)"], "connect_timeout": "10s"}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


async def test_the_api_lists_tools_and_says_why_a_server_is_missing(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(
        tmp_path, server, clock, {"ci": stdio_server(), "gone": MISSING},
        heartbeat={"tools": ["read_file", "ci.build_status"]},
    )  # fmt: skip
    (wired.workspace / "MEMORY.md").write_text("# Memory\n" + "fact\n" * 100, encoding="utf-8")
    app = create_app(wired.service)
    headers = {"Authorization": f"Bearer {ensure_api_token(wired.service.settings)[0]}"}
    transport = httpx.ASGITransport(app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            before = (await client.get("/api/agents/default/tools")).json()
            assert {s["server"]: s["missing_because"] for s in before["mcp_servers"]} == {
                "ci": "not listed yet",
                "gone": "not listed yet",
            }
            found = (await client.get("/api/agents/default/tools?refresh=true")).json()
            missing = await client.get("/api/agents/nobody/tools")
    finally:
        await wired.service.close()
    servers = {s["server"]: s for s in found["mcp_servers"]}
    assert servers["ci"]["ok"] is True and servers["ci"]["missing_because"] is None
    allowed = [t["name"] for t in servers["ci"]["tools"] if t["allowed"]]
    assert allowed == ["ci.build_status"]
    assert servers["ci"]["tools"][0]["called_as"] == "ci__build_status"
    assert servers["gone"]["ok"] is False and servers["gone"]["missing_because"]
    assert [t["name"] for t in found["tools"] if t["allowed"]] == ["read_file"]
    assert found["budget"]["mcp_schema_tokens"] > 0
    assert found["budget"]["memory_tokens"] > 100
    assert missing.status_code == 404


def test_the_doctor_lists_mcp_servers_and_their_problems(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    settings = Settings(
        data_dir=tmp_path / "data",
        workspace=workspace,
        agents={"default": {"workspace": workspace, "mcp_servers": {"gone": MISSING}}},
    )
    quiet = diagnose(workspace, settings=settings)
    assert quiet.details["tools"]["default"]["mcp_servers"][0]["missing_because"]
    report = diagnose(workspace, settings=settings, probe_model=True)
    problems = [f.message for f in report.findings if f.topic == "tools"]
    assert len(problems) == 1 and "MCP server gone is missing" in problems[0]
    budget = report.details["tools"]["default"]["budget"]
    assert budget["respond_schema_tokens"] > 20 and budget["local_schema_tokens"] > 100
