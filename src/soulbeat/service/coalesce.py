"""`SingleFlight`: callers asking for the same answer at once share one computation.

The status route is asked by every open panel and monitor, often at the same moment (50 clients
in the issue 12 benchmark). Each answer costs store reads; computing it once for all callers
that arrive while it is being computed gives each of them an answer at least as fresh as the
moment they asked — nothing is cached past the computation itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Runs ``compute`` for the first caller; callers meanwhile await the same result."""

    def __init__(self, compute: Callable[[], Awaitable[T]]) -> None:
        self._compute = compute
        self._running: asyncio.Future[T] | None = None

    async def __call__(self) -> T:
        running = self._running
        if running is None:
            running = self._running = asyncio.ensure_future(self._compute())
            running.add_done_callback(self._clear)
        # shield: one caller giving up (a closed connection) does not cancel the others' answer
        return await asyncio.shield(running)

    def _clear(self, done: asyncio.Future[T]) -> None:
        if self._running is done:
            self._running = None
        if not done.cancelled():
            done.exception()  # retrieved: a failure is raised to the callers, not logged twice
