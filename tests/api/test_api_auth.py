"""Tokens: where they come from, and that every route asks for the right one."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from soulbeat.api import create_app, ensure_api_token, ensure_hook_token
from soulbeat.api.routes import ROUTERS
from soulbeat.config.settings import Settings
from soulbeat.service.core import Service

BASE_URL = "http://soulbeat.test"
HOOK_PATHS = {"/api/hooks/wake"}


def _route_table() -> list[tuple[str, str]]:
    """(method, path) of every guarded route, read from the routers themselves."""
    return sorted(
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )


ROUTES = _route_table()
MUTATING = [(m, p) for m, p in ROUTES if m not in ("GET", "HEAD") and p not in HOOK_PATHS]
READS = [(m, p) for m, p in ROUTES if m == "GET"]


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "1" if m.group(0) in ("{n}", "{beat_id}") else "t1", path)


# -- where the tokens come from ------------------------------------------------------------------
def test_api_token_is_made_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh" / "data")
    token, created = ensure_api_token(settings)
    path = tmp_path / "fresh" / "data" / "api-token"
    assert created and len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == token
    assert ensure_api_token(settings) == (token, False)


def test_configured_api_token_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", api_token="from-settings")
    assert ensure_api_token(settings) == ("from-settings", False)
    assert not (tmp_path / "data").exists()


def test_blank_or_readable_token_file_is_repaired(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    (tmp_path / "api-token").write_text("  \n")
    token, created = ensure_api_token(settings)
    assert created and token
    path = tmp_path / "hook-token"
    path.write_text("shared-hook\n")
    path.chmod(0o644)
    assert ensure_hook_token(settings) == ("shared-hook", False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_hook_token_is_separate_from_the_api_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    api, _ = ensure_api_token(settings)
    hook, created = ensure_hook_token(settings)
    assert created and hook != api
    assert ensure_hook_token(settings, "configured") == ("configured", False)


# -- every route is guarded ----------------------------------------------------------------------
def test_the_route_table_is_what_the_app_serves(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    served = {(m.upper(), p) for p, ops in paths.items() for m in ops} - {("GET", "/healthz")}
    assert served == set(ROUTES)
    assert len(MUTATING) >= 13


@pytest.mark.parametrize(("method", "path"), MUTATING, ids=[f"{m} {p}" for m, p in MUTATING])
async def test_mutating_route_needs_the_api_token(
    anon: httpx.AsyncClient, method: str, path: str
) -> None:
    missing = await anon.request(method, _url(path), json={})
    assert missing.status_code == 401, missing.text
    assert missing.json()["error"] == "missing API token"
    assert "api-token" in missing.json()["hint"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await anon.request(
        method, _url(path), json={}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403, wrong.text
    assert wrong.json()["error"] == "wrong API token"


@pytest.mark.parametrize(("method", "path"), READS, ids=[f"{m} {p}" for m, p in READS])
async def test_reads_are_closed_by_default(anon: httpx.AsyncClient, method: str, path: str) -> None:
    response = await anon.request(method, _url(path))
    assert response.status_code == 401, response.text


async def test_open_reads_still_guard_writes(service: Service, token: str) -> None:
    app = create_app(service, api_read_open=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as anon:
        assert (await anon.get("/api/heartbeat/status")).status_code == 200
        assert (await anon.get("/api/threads")).status_code == 200
        assert (await anon.post("/api/heartbeat/stop")).status_code == 401
        assert (await anon.post("/api/threads", json={})).status_code == 401


async def test_health_needs_no_token(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_a_token_given_to_create_app_is_the_one_checked(service: Service) -> None:
    app = create_app(service, api_token="explicit", hook_token="hooky")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        ok = await c.get("/api/threads", headers={"Authorization": "Bearer explicit"})
        assert ok.status_code == 200
        basic = await c.get("/api/threads", headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401


# -- the hook token ------------------------------------------------------------------------------
async def test_hook_route_takes_only_the_hook_token(
    anon: httpx.AsyncClient, token: str, hook_token: str, thread_id: str
) -> None:
    body = {"thread_id": thread_id}
    assert (await anon.post("/api/hooks/wake", json=body)).status_code == 401
    api = {"Authorization": f"Bearer {token}"}
    refused = await anon.post("/api/hooks/wake", json=body, headers=api)
    assert refused.status_code == 403
    assert "hook-token" in refused.json()["hint"]
    header = {"X-Soulbeat-Hook-Token": hook_token}
    assert (await anon.post("/api/hooks/wake", json=body, headers=header)).status_code == 202
    bearer = {"Authorization": f"Bearer {hook_token}"}
    assert (await anon.post("/api/hooks/wake", json=body, headers=bearer)).status_code == 202
