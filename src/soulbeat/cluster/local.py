"""`LocalSignals`: `ChangeSignals` within one process, for a store no other process shares
(SQLite). Nothing arrives from elsewhere; what this process itself signals (`signal`, e.g. the
SQLite journal after an append) is yielded to its listener, so the `EventFeed` and `ClusterNode`
work the same over a private database as over a shared one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from soulbeat.cluster.base import CHANGED, EVENTS

__all__ = ["LocalSignals"]


class LocalSignals:
    def __init__(self) -> None:
        self._topics: asyncio.Queue[str] = asyncio.Queue()

    def signal(self, topic: str) -> None:
        """Have the listener see `topic` (`CHANGED` or `EVENTS`)."""
        self._topics.put_nowait(topic)

    async def listen(self) -> AsyncIterator[str]:
        yield CHANGED  # the protocol's catch-up on (re)connecting: read what is already there
        yield EVENTS
        while True:
            yield await self._topics.get()
