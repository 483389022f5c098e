"""An agent pointed at a remote Moltbook-style board by its config (issue 10, item 14): its
actions go there, with its key, through the same governance as the built-in board's; other
agents keep the built-in board."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from soulbeat.config.settings import Settings
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.testing.live import AppServer
from soulbeat.testing.llm import tool_reply
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

KEY = "mb_remote_key_42"
received: list[dict[str, Any]] = []
POST = {"submolt": "general", "title": "Hello", "content": "From the scout."}


async def posts(request: Request) -> Response:
    body = await request.json()
    received.append({"auth": request.headers.get("authorization"), "body": body})
    return JSONResponse({"success": True, "post": {"id": f"remote-{len(received)}"}})


async def submolt(request: Request) -> Response:
    received.append({"auth": request.headers.get("authorization"), "get": request.url.path})
    return JSONResponse({"success": True, "submolt": {"name": "general"}})


@asynccontextmanager
async def board() -> AsyncIterator[Starlette]:
    yield Starlette(
        routes=[
            Route("/api/v1/posts", posts, methods=["POST"]),
            Route("/api/v1/submolts/{name}", submolt),
        ]
    )


@pytest.fixture(scope="module")
def remote() -> Iterator[AppServer]:
    with AppServer(board) as running:
        yield running


@pytest.fixture
async def service(
    tmp_path: Path,
    clock: FakeClock,
    remote: AppServer,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Service, ScriptedLLM]]:
    received.clear()
    monkeypatch.setenv("MB_KEY", KEY)
    for name in ("default", "scout"):
        init_workspace(tmp_path / name)
    settings = Settings(
        data_dir=tmp_path / "data",
        agents={
            "default": {"workspace": tmp_path / "default"},
            "scout": {
                "workspace": tmp_path / "scout",
                "ledger": {"url": f"{remote.url}/api/v1", "api_key_env": "MB_KEY"},
            },
        },
    )
    llm = ScriptedLLM()
    service = build(settings, clock=clock, provider=llm)
    await service.open()
    allowed = {"actions": {"allowed": ["post", "none"]}}
    for thread, agent in (("s1", "scout"), ("d1", "default")):
        await service.create_thread(thread_id=thread, agent=agent)
        await service.configure_thread(thread, allowed)
    yield service, llm
    await service.close()


def _actions(beat: Any) -> list[tuple[str, str]]:
    return [(a["type"], a["status"]) for a in beat.audit["actions"]]


async def test_the_remote_agent_posts_there_with_its_key(
    service: tuple[Service, ScriptedLLM],
) -> None:
    svc, llm = service
    llm.script(tool_reply("ledger_post", POST), "HEARTBEAT_OK")
    beat = await svc.run_now("s1")
    assert _actions(beat) == [("post", "executed")]
    [action] = beat.audit["actions"]
    assert action["receipt"]["channel"] == "ledger:127.0.0.1"
    assert "remote-1" in action["receipt"]["detail"]
    assert received == [
        {"auth": f"Bearer {KEY}", "body": POST | {"author": "scout", "author_kind": "agent"}}
    ]


async def test_the_same_governance_holds_for_the_remote_board(
    service: tuple[Service, ScriptedLLM],
) -> None:
    svc, llm = service
    llm.script(tool_reply("ledger_post", POST), "HEARTBEAT_OK")
    await svc.run_now("s1")
    second = {**POST, "content": "Again, a minute later."}
    llm.script(tool_reply("ledger_post", second), "HEARTBEAT_OK")
    beat = await svc.run_now("s1")
    assert _actions(beat) == [("post", "rate-limited")]  # 1 post per 30 min, as SPEC §7.1
    assert len(received) == 1  # nothing was sent for the refused one


async def test_dry_run_is_would_do_and_sends_nothing(
    service: tuple[Service, ScriptedLLM],
) -> None:
    svc, llm = service
    await svc.configure_thread("s1", {"dry_run": True})
    llm.script(tool_reply("ledger_post", POST), "HEARTBEAT_OK")
    beat = await svc.run_now("s1")
    assert _actions(beat) == [("post", "would-do")] and beat.outcome == "would-send"
    assert received == []


async def test_an_unset_key_fails_the_action_and_sends_nothing(
    tmp_path: Path, clock: FakeClock, remote: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    received.clear()
    monkeypatch.delenv("MB_UNSET", raising=False)
    init_workspace(tmp_path / "ws")
    settings = Settings(
        data_dir=tmp_path / "data",
        agents={
            "default": {
                "workspace": tmp_path / "ws",
                "ledger": {"url": remote.url, "api_key_env": "MB_UNSET"},
            }
        },
    )
    llm = ScriptedLLM(tool_reply("ledger_post", POST), "HEARTBEAT_OK")
    svc = build(settings, clock=clock, provider=llm)
    await svc.open()
    try:
        await svc.create_thread(thread_id="t1")
        await svc.configure_thread("t1", {"actions": {"allowed": ["post", "none"]}})
        beat = await svc.run_now("t1")
        [action] = beat.audit["actions"]
        assert action["status"] == "failed" and "MB_UNSET is not set" in action["detail"]
        assert received == []
    finally:
        await svc.close()


async def test_other_agents_keep_the_built_in_board(
    service: tuple[Service, ScriptedLLM],
) -> None:
    svc, llm = service
    llm.script(tool_reply("ledger_post", POST), "HEARTBEAT_OK")
    beat = await svc.run_now("d1")
    assert _actions(beat) == [("post", "executed")]
    assert received == []
