"""Model slots: how many calls may be in flight at once to each model server (issue 12).

The limit is on *model calls per model server*, not on beats: a local server (llama.cpp, Ollama
on this machine) serves one to a few requests at a time and only queues the rest, a hosted API
serves hundreds. So every call to a server takes one of that server's slots for the length of
the HTTP exchange and gives it back after, whatever asked for it (a heartbeat turn, a chat
reply). A beat a guard skips never reaches the model and takes no slot; a retry waits for its
backoff without holding one (the slot is taken per attempt, under the retries).

``ModelSlots(limits)`` keeps one semaphore per server URL (without a trailing ``/``); a URL not
in ``limits`` gets `default_limit(url)`: `LOCAL_LIMIT` for a server on this machine (loopback
or ``localhost``), `HOSTED_LIMIT` for any other. `SlottedProvider` wraps an `LLMProvider` so each
`complete()` runs inside its server's slot; ``slots.in_flight(url)`` and ``slots.waiting(url)``
say how busy a server is.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from soulbeat.llm.base import ChatRequest, Completion, LLMProvider

__all__ = ["HOSTED_LIMIT", "LOCAL_LIMIT", "ModelSlots", "SlottedProvider", "default_limit"]

LOCAL_LIMIT = 4
"""Calls in flight to a server on this machine unless configured: it answers one or a few at a
time, so more only queue on its side (and count against their beat's timeout there)."""
HOSTED_LIMIT = 64
"""Calls in flight to any other server unless configured (hosted APIs take hundreds)."""


def server_key(url: str) -> str:
    """The URL that names a server's slots: as configured, without a trailing ``/``."""
    return url.rstrip("/")


def default_limit(url: str) -> int:
    """`LOCAL_LIMIT` for a loopback or ``localhost`` server, else `HOSTED_LIMIT`."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return LOCAL_LIMIT
    try:
        return LOCAL_LIMIT if ipaddress.ip_address(host).is_loopback else HOSTED_LIMIT
    except ValueError:  # a host name other than localhost
        return HOSTED_LIMIT


class _Slots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.semaphore = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.waiting = 0


class ModelSlots:
    """Per-server limits on model calls in flight (module docstring)."""

    def __init__(self, limits: Mapping[str, int] | None = None) -> None:
        self._limits = {server_key(url): limit for url, limit in (limits or {}).items()}
        for url, limit in self._limits.items():
            if limit < 1:
                raise ValueError(f"the model call limit of {url} must be at least 1, not {limit}")
        self._servers: dict[str, _Slots] = {}

    def limit(self, url: str) -> int:
        """The number of calls that may be in flight to the server at ``url``."""
        key = server_key(url)
        return self._limits.get(key) or default_limit(key)

    def _of(self, url: str) -> _Slots:
        key = server_key(url)
        found = self._servers.get(key)
        if found is None:
            found = self._servers[key] = _Slots(self.limit(key))
        return found

    def in_flight(self, url: str) -> int:
        return self._of(url).in_flight

    def waiting(self, url: str) -> int:
        return self._of(url).waiting

    async def call(self, url: str, request: ChatRequest, provider: LLMProvider) -> Completion:
        """``provider.complete(request)`` inside one of ``url``'s slots."""
        slots = self._of(url)
        slots.waiting += 1
        try:
            await slots.semaphore.acquire()
        finally:
            slots.waiting -= 1
        slots.in_flight += 1
        try:
            return await provider.complete(request)
        finally:
            slots.in_flight -= 1
            slots.semaphore.release()


class SlottedProvider:
    """An `LLMProvider` whose every call takes a slot of its server (`ModelSlots`)."""

    def __init__(self, inner: LLMProvider, slots: ModelSlots) -> None:
        self._inner = inner
        self.slots = slots

    @property
    def structured_output(self) -> bool:
        return bool(getattr(self._inner, "structured_output", False))

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def base_url(self) -> str:
        return self._inner.base_url

    @property
    def inner(self) -> LLMProvider:
        return self._inner

    async def complete(self, request: ChatRequest) -> Completion:
        return await self.slots.call(self._inner.base_url, request, self._inner)

    async def aclose(self) -> None:
        await self._inner.aclose()
