"""Helpers of the ledger tests: the actors they write as, soulbeat's app with the ledger router,
and `ServerThread`, an ASGI app on a real uvicorn on 127.0.0.1 in a background thread.

The app a `ServerThread` serves is made inside the server's own event loop (by an async context
manager), because soulbeat's store belongs to the loop that opened it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn
from fastapi import FastAPI

from soulbeat.api import create_app
from soulbeat.api.routes.ledger import router
from soulbeat.clock import Clock
from soulbeat.config.settings import Settings
from soulbeat.ledger.governance import DEFAULT_RATE_LIMITS, Limits
from soulbeat.ledger.models import Actor
from soulbeat.ledger.service import LedgerService
from soulbeat.service.core import Service
from soulbeat.testing import ScriptedLLM
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
    """soulbeat's app with ``ledger`` as the service's ledger and the ledger router included
    (unless the app already has it)."""
    service.ledger = ledger  # type: ignore[attr-defined]
    app = create_app(service, api_token=API_TOKEN, hook_token="hook-token", static_dir=None)
    if not any(getattr(route, "path", None) == "/api/v1/posts" for route in app.routes):
        app.include_router(router)
    return app


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


class ServerThread:
    """Serves the app made by ``make_app()`` on 127.0.0.1 (a free port); a context manager."""

    def __init__(self, make_app: Callable[[], AbstractAsyncContextManager[Any]]) -> None:
        self.make_app = make_app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="ledger-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=20) or self._error is not None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the test server did not start: {self._error!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=20)
            assert not self._thread.is_alive(), "the test server did not stop"
        self._sock.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to the test thread
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        async with self.make_app() as app:
            config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
            self._server = server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve(sockets=[self._sock]))
            while not server.started and not task.done():  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.01)
            self._ready.set()
            await task
