"""`FakeClock`: a clock that moves only when a test tells it to."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta

from soulbeat.clock import to_utc


class FakeClock:
    """A `Clock` for tests. Time stands still until `advance()` or `set()` moves it.

    Sleepers wake in deadline order as time passes them; `advance()` lets the event loop run
    between wake-ups so code that sleeps in a loop sees every step it would have seen for real.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = to_utc(start) if start else datetime(2026, 1, 1, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        await self._wait_until(self._now + timedelta(seconds=seconds))

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> bool:
        if wake.is_set():
            return True
        if when is not None and when <= self._now:
            return False
        waker = asyncio.ensure_future(wake.wait())
        waits: set[asyncio.Future[object]] = {waker}  # type: ignore[arg-type]
        timer: asyncio.Future[None] | None = None
        if when is not None:
            timer = asyncio.ensure_future(self._wait_until(when))
            waits.add(timer)  # type: ignore[arg-type]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        return wake.is_set()

    async def _wait_until(self, deadline: datetime) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._counter), future))
        await future

    async def advance(self, delta: timedelta | float) -> None:
        """Move time forward by `delta` (a timedelta or seconds), waking sleepers on the way."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        await self.set(self._now + step)

    async def set(self, moment: datetime) -> None:
        """Move time forward to `moment`, waking every sleeper whose deadline it passes."""
        target = to_utc(moment)
        if target < self._now:
            raise ValueError("a clock does not go backwards")
        await self._settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
            await self._settle()
        self._now = target
        await self._settle()

    async def _settle(self, rounds: int = 20) -> None:
        """Let the loop run the callbacks made ready by the last step."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    @property
    def sleepers(self) -> int:
        """How many sleeps are waiting on this clock (for tests that check nothing polls)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())
