"""`ClusterNode` handing wake requests to its scheduler, over in-memory signals and requests:
a signal that arrives while an earlier hand-over is still reading must not leave its request
waiting for some later signal (the race behind the two-worker test's lost event wake)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from soulbeat.cluster import CHANGED, ClusterNode, EventFeed, WakeRequest
from soulbeat.events.bus import EventBus
from soulbeat.events.models import Event
from soulbeat.testing import FakeClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class EmptyJournal:
    async def append_events(self, events: Sequence[Event], origin: str) -> list[int]:
        return []

    async def events_after(self, after_id: int, *, limit: int = 500) -> list[Event]:
        return []

    async def last_event_id(self) -> int:
        return 0


class QueuedSignals:
    """`ChangeSignals` fed by the test."""

    def __init__(self) -> None:
        self.topics: asyncio.Queue[str] = asyncio.Queue()
        self.handled = asyncio.Event()
        """Set when the listener asks for more with nothing queued: all was handled."""

    async def listen(self) -> AsyncIterator[str]:
        while True:
            if self.topics.empty():
                self.handled.set()
            topic = await self.topics.get()
            self.handled.clear()
            yield topic


class SlowRequests:
    """`WakeRequests` whose reads can be held mid-flight: `take_wakes` snapshots the table when
    it starts and answers when `release` is set, as a query does whose result is on its way."""

    def __init__(self) -> None:
        self.table: list[WakeRequest] = []
        self.release = asyncio.Event()
        self.reading = asyncio.Event()

    async def request_wake(self, request: WakeRequest) -> None:
        self.table.append(request)

    async def take_wakes(self, *, limit: int = 100) -> list[WakeRequest]:
        taken, self.table = self.table[:limit], self.table[limit:]
        self.reading.set()
        await self.release.wait()
        return taken


async def test_a_signal_during_a_hand_over_is_not_lost(clock: FakeClock) -> None:
    signals, requests = QueuedSignals(), SlowRequests()
    woken: list[str] = []
    got = asyncio.Event()

    def on_wake(thread_id: str, reason: str, skill: str) -> None:
        woken.append(thread_id)
        got.set()

    node = ClusterNode(
        signals,
        EventFeed(EmptyJournal(), EventBus(clock), clock, origin="w"),
        on_change=lambda: None,
        wakes=requests,
        on_wake=on_wake,
    )
    node.accept_wakes = True
    await node.start()
    try:
        signals.topics.put_nowait(CHANGED)  # e.g. the start of the scheduler
        async with asyncio.timeout(5):
            await requests.reading.wait()  # its read is on its way, and finds nothing
        await requests.request_wake(WakeRequest("t1", "", "event", T0))
        signals.handled.clear()
        signals.topics.put_nowait(CHANGED)  # the request's own signal, during that read
        async with asyncio.timeout(5):
            await signals.handled.wait()
        requests.release.set()
        async with asyncio.timeout(5):
            await got.wait()
        assert woken == ["t1"]
    finally:
        await node.close()
