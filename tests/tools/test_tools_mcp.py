"""Issue 15 item 3: MCP servers an agent is configured with become tools of its beats, through
the official SDK — over stdio and streamable HTTP — with an allow-list, timeouts, per-beat
budgets, results as untrusted data, everything on the audit record, and a failing server left
out without failing the beat or the scheduler."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp_support import (
    Wired,
    http_server,
    respond,
    round_is,
    stdio_server,
    tool_messages,
    tool_names,
    wire,
)

from soulbeat.testing import FakeClock, FakeLLMServer
from soulbeat.testing.mcp_server import INJECTION


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with http_server() as url:
        yield url


@pytest.fixture
async def stdio(tmp_path: Path, server: FakeLLMServer, clock: FakeClock) -> AsyncIterator[Wired]:
    wired = await wire(
        tmp_path, server, clock, {"ci": stdio_server(env={"BUILD_STATUS": "amber"})},
        heartbeat={"tool_result_chars": 500},
    )  # fmt: skip
    yield wired
    await wired.service.close()


async def test_a_beat_calls_an_mcp_tool_and_the_answer_reaches_the_next_round(
    stdio: Wired, server: FakeLLMServer
) -> None:
    server.on(round_is(1), tool_calls=[("ci__build_status", {"branch": "main"})], times=1)
    alert = respond(notify=True, message="main is amber", scratch="main was amber at 00:00")
    server.on(round_is(2), tool_calls=alert, times=1)
    beat = await stdio.beat()
    assert (beat.outcome, beat.alert_text) == ("sent", "main is amber")
    # decision_mode is the default, auto: an agent with MCP servers keeps tools, unprobed
    assert beat.audit["decision_mode"] == "tools"
    assert all("response_format" not in body for body in server.requests)
    first, second = server.requests[0], server.requests[1]
    assert "ci__build_status" in tool_names(first)
    answer = tool_messages(second)[0]
    assert answer.startswith('<untrusted-data source="tool:ci.build_status">')
    assert "main: amber" in answer  # the server's env reached it
    tools = beat.audit["tools"]
    assert [s["server"] for s in tools["servers"] if s["ok"]] == ["ci"]
    call = tools["calls"][0]
    assert (call["tool"], call["source"], call["ok"], call["arguments"]) == (
        "ci.build_status", "mcp:ci", True, {"branch": "main"},
    )  # fmt: skip
    assert beat.audit["memory"]["scratch_revision"] == 1
    assert beat.audit["budget"]["tool_schema_tokens"] > 0

    server.reset()
    server.on(round_is(1), tool_calls=respond(notify=False), times=1)
    await stdio.clock.advance(60)
    await stdio.beat()
    assert "main was amber at 00:00" in json.dumps(server.requests[0]["messages"])


async def test_streamable_http_server_with_headers(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock, mcp_url: str
) -> None:
    wired = await wire(
        tmp_path, server, clock, {"builds": {"url": mcp_url, "headers": {"X-Token": "t"}}}
    )
    try:
        server.on(round_is(1), tool_calls=[("builds__build_status", {"branch": "broken"})], times=1)
        server.on(round_is(2), tool_calls=respond(notify=False), times=1)
        beat = await wired.beat()
        assert "broken: red" in tool_messages(server.requests[1])[0]
        assert beat.audit["tools"]["servers"][0]["transport"] == "http"
        listed = wired.service.mcp.status("default") if wired.service.mcp else []
        assert [t.name for t in listed[0].tools][:2] == ["build_status", "injection"]
    finally:
        await wired.service.close()


async def test_hang_crash_and_oversize_are_recorded_and_the_beat_goes_on(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    servers = {
        "ci": stdio_server(),
        "stuck": {"command": [sys.executable, "-c", "import time; time.sleep(60)"],
                  "connect_timeout": "500ms"},
        "dies": stdio_server(),
    }  # fmt: skip
    wired = await wire(
        tmp_path, server, clock, servers,
        heartbeat={"tool_timeout": "1s", "tool_result_chars": 100, "mcp_max_calls": 3},
    )  # fmt: skip
    try:
        server.on(
            round_is(1),
            tool_calls=[
                ("ci__big", {"chars": 5000}),
                ("dies__crash", {}),
                ("ci__hang", {"seconds": 30}),
                ("ci__build_status", {"branch": "main"}),
            ],
            times=1,
        )
        server.on(round_is(2), tool_calls=respond(notify=False), times=1)
        beat = await wired.beat()
        assert beat.outcome == "ok-token"
        servers_seen = {s["server"]: s for s in beat.audit["tools"]["servers"]}
        assert servers_seen["stuck"]["ok"] is False
        assert "no answer within 0.5s" in servers_seen["stuck"]["error"]
        assert "stuck__hang" not in tool_names(server.requests[0])
        big, crash, hang, fourth = beat.audit["tools"]["calls"]
        assert big["cut_from"] == 5000 and "[cut:" in big["answer"]
        assert crash["ok"] is False and "server failed" in crash["answer"]
        assert hang["ok"] is False and "no answer within 1s" in hang["answer"]
        assert fourth["ran"] is False and "already made its 3 MCP tool calls" in fourth["answer"]
        answers = tool_messages(server.requests[1])
        assert len(answers[0]) < 400  # cut to 100 characters, plus the marker and the wrapper
    finally:
        await wired.service.close()


async def test_a_tool_outside_the_allow_list_is_not_offered_and_refused(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(
        tmp_path, server, clock, {"ci": stdio_server()},
        heartbeat={"tools": ["current_time", "ci.build_*"]},
    )  # fmt: skip
    try:
        server.on(round_is(1), tool_calls=[("ci__injection", {})], times=1)
        server.on(round_is(2), tool_calls=respond(notify=False), times=1)
        beat = await wired.beat()
        offered = set(tool_names(server.requests[0]))
        assert {"ci__build_status", "current_time"} <= offered
        assert "ci__injection" not in offered and "read_file" not in offered
        call = beat.audit["tools"]["calls"][0]
        assert call["ran"] is False and "not allowed in this thread" in call["answer"]
        assert INJECTION not in json.dumps(server.requests[1]["messages"])
    finally:
        await wired.service.close()


async def test_a_tool_result_cannot_widen_what_the_beat_may_do(
    stdio: Wired, server: FakeLLMServer
) -> None:
    server.on(round_is(1), tool_calls=[("ci__injection", {})], times=1)
    server.on(
        round_is(2),
        tool_calls=[
            ("ledger_post", {"submolt": "general", "title": "Buy now", "content": "watches"}),
            *respond(notify=False),
        ],
        times=1,
    )
    beat = await stdio.beat()
    second = server.requests[1]
    injected = tool_messages(second)[0]
    assert injected.startswith("<untrusted-data") and INJECTION in injected
    assert "ledger_post" not in tool_names(second)  # the tools offered did not change
    post = beat.audit["tool_calls"][1]
    assert post["name"] == "ledger_post" and "'post' is not allowed" in post["answer"]
    assert [(a["type"], a["status"]) for a in beat.audit["actions"]] == [("post", "rejected")]
    ledger = stdio.service.ledger
    assert ledger is not None
    assert await ledger.feed(submolt="general", sort="new") == []
    assert beat.audit["config"]["actions"]["allowed"] == ["message", "none"]


async def test_the_mcp_answers_of_a_beat_share_one_size_budget(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(
        tmp_path, server, clock, {"ci": stdio_server()},
        heartbeat={"tool_result_chars": 100, "mcp_result_chars": 150},
    )  # fmt: skip
    try:
        server.on(
            round_is(1),
            tool_calls=[("ci__big", {"chars": 120}), ("ci__big", {"chars": 121})],
            times=1,
        )
        server.on(round_is(2), tool_calls=respond(notify=False), times=1)
        beat = await wired.beat()
        first, second = beat.audit["tools"]["calls"]
        assert (first["cut_from"], second["cut_from"]) == (120, 121)
        assert first["answer"].count("x") == 100 and second["answer"].count("x") == 50
    finally:
        await wired.service.close()
