"""`run_on_a_worker` (run-now in an API-only process): the beat is requested as a manual wake,
and the caller gets the record of the first finished manual beat of that schedule the journal
shows; with no worker, a clear error after the patience runs out. In-memory journal, signals and
requests; FakeClock for the wait."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from soulbeat.cluster import ClusterNode, EventFeed, LocalSignals, WakeRequest
from soulbeat.errors import SoulbeatError
from soulbeat.events.bus import EventBus
from soulbeat.events.models import Event
from soulbeat.service.handoff import HANDOFF_TIMEOUT, run_on_a_worker
from soulbeat.testing import FakeClock


class Journal:
    def __init__(self) -> None:
        self.entries: list[Event] = []
        self.feed: EventFeed | None = None

    async def append_events(self, events: Sequence[Event], origin: str) -> list[int]:
        ids = []
        for event in events:
            self.entries.append(Event(len(self.entries) + 1, event.name, event.at, event.data))
            ids.append(len(self.entries))
        if self.feed is not None:
            self.feed.poke()
        return ids

    async def events_after(self, after_id: int, *, limit: int = 500) -> list[Event]:
        return [e for e in self.entries if e.id > after_id][:limit]

    async def last_event_id(self) -> int:
        return len(self.entries)


class Requests:
    def __init__(self) -> None:
        self.asked: list[WakeRequest] = []
        self.got = asyncio.Event()

    async def request_wake(self, request: WakeRequest) -> None:
        self.asked.append(request)
        self.got.set()

    async def take_wakes(self, *, limit: int = 100) -> list[WakeRequest]:
        return []


class Beats:
    """Stands in for the store: the record of a beat id."""

    async def get_beat(self, beat_id: int) -> tuple[str, int]:
        return ("beat", beat_id)


async def api_node(clock: FakeClock) -> tuple[ClusterNode, Journal, Requests]:
    journal, requests = Journal(), Requests()
    feed = EventFeed(journal, EventBus(clock), clock, origin="api")
    journal.feed = feed
    node = ClusterNode(LocalSignals(), feed, on_change=lambda: None, wakes=requests)
    await node.start()
    return node, journal, requests


def finished(thread: str, reason: str, status: str, beat_id: int) -> Event:
    data: dict[str, Any] = {
        "thread_id": thread,
        "skill": "",
        "reason": reason,
        "status": status,
        "beat_id": beat_id,
        "worker_id": "w2",
    }
    return Event(0, "beat.finished", FakeClock().now(), data)


async def test_the_record_of_the_workers_manual_beat_is_returned(clock: FakeClock) -> None:
    node, journal, requests = await api_node(clock)
    try:
        asked = asyncio.create_task(run_on_a_worker(node, Beats(), clock, "t1", ""))  # type: ignore[arg-type]
        async with asyncio.timeout(5):
            await requests.got.wait()
        assert requests.asked == [WakeRequest("t1", "", "manual", clock.now())]
        await journal.append_events(
            [
                finished("t2", "manual", "finished", 5),  # another thread
                finished("t1", "interval", "finished", 6),  # not the manual beat
                finished("t1", "manual", "deferred", 7),  # busy: it runs later
                finished("t1", "manual", "finished", 7),
            ],
            "w2",
        )
        async with asyncio.timeout(5):
            assert await asked == ("beat", 7)
    finally:
        await node.close()


async def test_without_a_worker_the_caller_hears_so(clock: FakeClock) -> None:
    node, _, requests = await api_node(clock)
    try:
        asked = asyncio.create_task(run_on_a_worker(node, Beats(), clock, "t1", "digest"))  # type: ignore[arg-type]
        async with asyncio.timeout(5):
            await requests.got.wait()
        await clock.advance(HANDOFF_TIMEOUT - timedelta(seconds=1))
        assert not asked.done()
        await clock.advance(timedelta(seconds=1))
        with pytest.raises(SoulbeatError, match=r"no worker ran the manual beat of 't1/digest'"):
            async with asyncio.timeout(5):
                await asked
    finally:
        await node.close()
