"""`ClusterNode`: one service's part in a fleet of processes on one database.

It listens for the database's signals (`ChangeSignals`): a `CHANGED` signal makes the scheduler
run a pass now (`on_change`, usually `Scheduler.replan`: a stopped fleet, a changed thread or a
schedule that became due earlier reaches every worker within a moment); an `EVENTS` signal makes
the `EventFeed` read the journal. Both run as tasks between `start()` and `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from soulbeat.cluster.base import CHANGED, EVENTS, ChangeSignals
from soulbeat.cluster.feed import EventFeed

__all__ = ["ClusterNode"]

log = logging.getLogger(__name__)


class ClusterNode:
    def __init__(
        self, signals: ChangeSignals, feed: EventFeed, *, on_change: Callable[[], None]
    ) -> None:
        self.signals, self.feed, self._on_change = signals, feed, on_change
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.feed.start()
        self._task = asyncio.create_task(self._listen(), name="cluster-signals")

    async def _listen(self) -> None:
        async for topic in self.signals.listen():
            if topic == CHANGED:
                self._on_change()
            elif topic == EVENTS:
                self.feed.poke()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.feed.close()
