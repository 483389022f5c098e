"""`probe_remote_ledger` (doctor's check of an agent's remote board) against a real HTTP server on
127.0.0.1: it answers, refuses the key, redirects elsewhere; and the key never leaves its host."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from soulbeat.doctor import diagnose
from soulbeat.ledger.probe import probe_remote_ledger
from soulbeat.testing.live import AppServer
from soulbeat.workspace.templates import init_workspace

KEY = "moltbook_sk_test_123"
seen: list[dict[str, Any]] = []


async def submolts(request: Request) -> Response:
    seen.append({"path": request.url.path, "auth": request.headers.get("authorization")})
    if request.headers.get("authorization") != f"Bearer {KEY}":
        return JSONResponse({"success": False, "error": "bad key"}, status_code=401)
    return JSONResponse({"success": True, "submolts": [{"name": "general"}]})


async def moved(request: Request) -> Response:
    seen.append({"path": request.url.path, "auth": request.headers.get("authorization")})
    return RedirectResponse("https://elsewhere.example/api/v1/submolts", status_code=307)


@asynccontextmanager
async def board() -> AsyncIterator[Starlette]:
    yield Starlette(
        routes=[
            Route("/api/v1/submolts", submolts),
            Route("/moved/api/v1/submolts", moved),
        ]
    )


@pytest.fixture(scope="module")
def server() -> Iterator[AppServer]:
    with AppServer(board) as running:
        yield running


@pytest.fixture(autouse=True)
def _forget() -> None:
    seen.clear()


def test_a_board_that_answers(server: AppServer) -> None:
    [(level, message)] = probe_remote_ledger(server.url, "MB_KEY", {"MB_KEY": KEY})
    assert level == "info" and "answers" in message and KEY not in message
    assert seen == [{"path": "/api/v1/submolts", "auth": f"Bearer {KEY}"}]


def test_a_refused_key(server: AppServer) -> None:
    [(level, message)] = probe_remote_ledger(server.url, "MB_KEY", {"MB_KEY": "wrong"})
    assert level == "error" and "refused the key in MB_KEY (HTTP 401)" in message
    assert "wrong" not in message


def test_a_redirect_is_not_followed_and_is_reported(server: AppServer) -> None:
    [(level, message)] = probe_remote_ledger(f"{server.url}/moved", "MB_KEY", {"MB_KEY": KEY})
    assert level == "error" and "redirects to https://elsewhere.example" in message
    assert "never follows redirects" in message
    assert [s["path"] for s in seen] == ["/moved/api/v1/submolts"]  # nothing went elsewhere


def test_an_unset_variable_and_plain_http_elsewhere_send_nothing() -> None:
    [(level, message)] = probe_remote_ledger("https://board.example", "MB_KEY", {})
    assert level == "error" and message.startswith("MB_KEY is not set")
    [(level, message)] = probe_remote_ledger("http://board.example", "MB_KEY", {"MB_KEY": KEY})
    assert level == "error" and "unencrypted" in message
    assert seen == []


def test_doctor_reports_each_agents_remote_board(server: AppServer, tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    config = tmp_path / "soulbeat.toml"
    config.write_text(
        f'[agents.default]\nworkspace = "ws"\nledger = {{ url = "{server.url}", '
        'api_key_env = "MB_KEY" }\n',
        encoding="utf-8",
    )
    report = diagnose(tmp_path / "ws", config_file=config, env={"MB_KEY": KEY}, probe_model=True)
    ledger = [f for f in report.findings if f.topic == "ledger"]
    assert [(f.level, "agent default: remote board" in f.message) for f in ledger] == [
        ("info", True)
    ]
    assert report.details["ledgers"] == {"default": {"url": server.url, "api_key_env": "MB_KEY"}}
    unset = diagnose(tmp_path / "ws", config_file=config, env={}, probe_model=True)
    assert any(f.topic == "ledger" and f.level == "error" for f in unset.findings)
