"""`ClusterNode`: one service's part in a fleet of processes on one database.

It listens for the database's signals (`ChangeSignals`): a `CHANGED` signal makes the scheduler
run a pass now (`on_change`, usually `Scheduler.replan`: a stopped fleet, a changed thread or a
schedule that became due earlier reaches every worker within a moment) and, in a process that
runs its scheduler (`accept_wakes`), takes the waiting wake requests and hands each to `on_wake`;
an `EVENTS` signal makes the `EventFeed` read the journal. All of it runs as tasks between
`start()` and `close()`.

`wake()` is what a process without a scheduler does instead of waking its own: it stores a
request for the workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from soulbeat.cluster.base import CHANGED, EVENTS, ChangeSignals, WakeRequest, WakeRequests
from soulbeat.cluster.feed import EventFeed
from soulbeat.errors import StoreError
from soulbeat.tasks import cancel_and_wait

WakeHandler = Callable[[str, str, str], object]
"""`on_wake(thread_id, reason, skill)`, e.g. `Scheduler.wake`."""

__all__ = ["ClusterNode"]

log = logging.getLogger(__name__)


class ClusterNode:
    def __init__(
        self,
        signals: ChangeSignals,
        feed: EventFeed,
        *,
        on_change: Callable[[], None],
        wakes: WakeRequests | None = None,
        on_wake: WakeHandler | None = None,
    ) -> None:
        self.signals, self.feed, self._on_change = signals, feed, on_change
        self._wakes, self._on_wake = wakes, on_wake
        self.accept_wakes = False
        """True in a process whose scheduler runs: it takes the wakes others requested."""
        self._task: asyncio.Task[None] | None = None
        self._taking: asyncio.Task[None] | None = None
        self._take_again = False
        """A signal came while a hand-over ran: it takes once more before it ends."""

    @property
    def shared(self) -> bool:
        """Whether other processes share the database (it passes wakes between them)."""
        return self._wakes is not None

    async def wake(self, request: WakeRequest) -> None:
        """Ask the workers for a wake (a process without a scheduler of its own)."""
        if self._wakes is None:
            raise StoreError("this database cannot pass wakes between processes")
        await self._wakes.request_wake(request)

    def _take_wakes(self) -> None:
        if not self.accept_wakes or self._wakes is None or self._on_wake is None:
            return
        # A signal can arrive while a hand-over is between its last (empty) read and its end:
        # that read may predate the request the signal announces, so the hand-over must read
        # once more rather than let the request wait for some later signal.
        self._take_again = True
        if self._taking is None or self._taking.done():
            self._taking = asyncio.create_task(self._hand_over(), name="cluster-wakes")

    async def _hand_over(self) -> None:
        assert self._wakes is not None and self._on_wake is not None
        try:
            while self._take_again:
                self._take_again = False
                while requests := await self._wakes.take_wakes():
                    for request in requests:
                        self._on_wake(request.thread_id, request.reason, request.skill)
        except StoreError:
            log.exception("could not take wake requests; the next signal retries")

    async def start(self) -> None:
        await self.feed.start()
        self._task = asyncio.create_task(self._listen(), name="cluster-signals")

    async def _listen(self) -> None:
        async for topic in self.signals.listen():
            if topic == CHANGED:
                self._on_change()
                self._take_wakes()
            elif topic == EVENTS:
                self.feed.poke()

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._taking is not None:
            await asyncio.gather(self._taking, return_exceptions=True)
        await self.feed.close()
