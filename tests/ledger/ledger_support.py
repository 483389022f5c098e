"""Helpers of the ledger tests: the actors they write as, soulbeat's app with the ledger router,
and `ServerThread`, an ASGI app on a real uvicorn on 127.0.0.1 in a background thread.

The app a `ServerThread` serves is made inside the server's own event loop (by an async context
manager), because soulbeat's store belongs to the loop that opened it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from soulbeat.actions.policy import DEFAULT_RATE_LIMITS, Limits
from soulbeat.api import create_app
from soulbeat.clock import Clock
from soulbeat.config.settings import Settings
from soulbeat.ledger.service import LedgerService
from soulbeat.service.core import Service
from soulbeat.store.records_board import Actor
from soulbeat.testing import ScriptedLLM
from soulbeat.testing.live import AppServer
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

ANN = Actor("person", "ann")
BOB = Actor("person", "bob")
CAROL = Actor("person", "carol")
AGENT = Actor("agent", "default")

API_TOKEN = "ledger-test-token"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def make_settings(tmp_path: Path) -> Settings:
    workspace = tmp_path / "workspace"
    if not workspace.exists():
        init_workspace(workspace)
    return Settings(data_dir=tmp_path / "data", workspace=workspace)


def ledger_app(service: Service, ledger: LedgerService) -> FastAPI:
    """soulbeat's app with ``ledger`` as the service's ledger (`create_app` includes the ledger
    router itself; including it again would register every route twice)."""
    service.ledger = ledger  # type: ignore[attr-defined]
    return create_app(service, api_token=API_TOKEN, hook_token="hook-token", static_dir=None)


@asynccontextmanager
async def soulbeat_server(
    settings: Settings, clock: Clock, limits: Limits | None = None
) -> AsyncIterator[FastAPI]:
    """Open soulbeat (no scheduler loop) with a ledger on ``clock``; close it after."""
    service = build(settings, clock=clock, provider=ScriptedLLM())
    await service.open()
    try:
        chosen = DEFAULT_RATE_LIMITS if limits is None else limits
        ledger = LedgerService(service.store, clock, service.events, limits=chosen)  # type: ignore[arg-type]
        yield ledger_app(service, ledger)
    finally:
        await service.close(grace=timedelta(seconds=1))


@asynccontextmanager
async def plain(app: Any) -> AsyncIterator[Any]:
    yield app


ServerThread = AppServer
"""soulbeat's shared thread-hosted uvicorn (`soulbeat.testing.AppServer`)."""
