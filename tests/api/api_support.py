"""Helpers for the API tests: a live soulbeat server on 127.0.0.1 and an SSE reader.

`LiveServer` runs the whole thing for real — `wiring.build` with the real clock, `create_app`,
uvicorn on a free port — in a thread with its own event loop, so sync clients (schemathesis,
`requests`) and async ones (httpx) both talk to it over TCP.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn

from soulbeat.api import create_app
from soulbeat.config.settings import Settings
from soulbeat.llm.base import LLMProvider
from soulbeat.service.core import Service
from soulbeat.wiring import build

API_TOKEN = "api-test-token"
HOOK_TOKEN = "hook-test-token"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
HOOK_AUTH = {"X-Soulbeat-Hook-Token": HOOK_TOKEN}


class LiveServer:
    """soulbeat on a real uvicorn in a background thread; use as a context manager.

    `scheduler`: run the scheduler loop too. `app_options` go to `create_app`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        provider: LLMProvider | None = None,
        scheduler: bool = True,
        **app_options: Any,
    ) -> None:
        self.settings = settings
        self.provider = provider
        self.scheduler = scheduler
        self.app_options = {"api_token": API_TOKEN, "hook_token": HOOK_TOKEN} | app_options
        self.service: Service | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="soulbeat-live", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=20) or self._error is not None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the live server did not start: {self._error!r}")
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
            assert not self._thread.is_alive(), "the live server did not stop"
        if self._error is not None and exc is None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to the test thread
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        service = build(self.settings, provider=self.provider)
        await service.open()
        self.service = service
        try:
            if self.scheduler:
                service.run_in_background()
            app = create_app(service, **self.app_options)
            config = uvicorn.Config(
                app,
                lifespan="off",
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=1,
            )
            self._server = server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve(sockets=[self._sock]))
            while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn has only a flag)
                await asyncio.sleep(0.01)
            self._ready.set()
            await task
        finally:
            await service.close(grace=timedelta(seconds=2))


@dataclass
class SSEMessage:
    """One dispatched SSE message (comments are collected separately)."""

    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    retry: int | None = None


async def read_sse(
    response: httpx.Response, comments: list[str] | None = None
) -> AsyncIterator[SSEMessage]:
    """Parse an SSE byte stream line by line, as a browser would; comments go to `comments`."""
    current = SSEMessage()
    async for line in response.aiter_lines():
        if line == "":
            if current.data or current.id is not None or current.event is not None:
                yield current
            current = SSEMessage()
        elif line.startswith(":"):
            if comments is not None:
                comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "id":
                current.id = value
            elif name == "event":
                current.event = value
            elif name == "data":
                current.data.append(value)
            elif name == "retry":
                current.retry = int(value)


async def wait_for(predicate: Any, *, seconds: float = 10.0, step: float = 0.05) -> Any:
    """Await `predicate()` (a coroutine function) until it returns something truthy."""
    async with asyncio.timeout(seconds):
        while not (result := await predicate()):  # noqa: ASYNC110 (polls over HTTP)
            await asyncio.sleep(step)
    return result
