"""Helpers for the API tests: a live soulbeat server on 127.0.0.1 and an SSE reader.

`LiveServer` runs the whole thing for real — `wiring.build` with the real clock, `create_app`,
uvicorn on a free port — in a thread with its own event loop, so sync clients (schemathesis,
`requests`) and async ones (httpx) both talk to it over TCP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from soulbeat.api import create_app
from soulbeat.config.settings import Settings
from soulbeat.llm.base import LLMProvider
from soulbeat.service.core import Service
from soulbeat.testing.live import AppServer
from soulbeat.wiring import build

API_TOKEN = "api-test-token"
HOOK_TOKEN = "hook-test-token"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
HOOK_AUTH = {"X-Soulbeat-Hook-Token": HOOK_TOKEN}


class LiveServer(AppServer):
    """soulbeat on a real uvicorn in a background thread; use as a context manager.

    `scheduler`: run the scheduler loop too. `app_options` go to `create_app`; `service` is the
    running service once the server is up.
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
        super().__init__(self._app, name="soulbeat-live")

    @asynccontextmanager
    async def _app(self) -> AsyncIterator[Any]:
        service = build(self.settings, provider=self.provider)
        await service.open()
        self.service = service
        try:
            if self.scheduler:
                service.run_in_background()
            yield create_app(service, **self.app_options)
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
