"""`EventFeed` over an in-memory journal: what it writes, what a subscriber resuming from an id
gets, and `EventBus.relay` keeping journal ids. (The PostgreSQL journal itself is exercised in
test_cluster_postgres.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from soulbeat.cluster import EventFeed
from soulbeat.events.bus import EventBus
from soulbeat.events.models import Event
from soulbeat.testing import FakeClock


class MemoryJournal:
    """An `EventJournal` in a list; `poke` is called after each append, as a signal would."""

    def __init__(self, first_id: int = 0) -> None:
        self.entries: list[Event] = []
        self.next_id = first_id + 1
        self.listeners: list[EventFeed] = []

    async def append_events(self, events: Sequence[Event], origin: str) -> list[int]:
        ids = []
        for event in events:
            self.entries.append(Event(self.next_id, event.name, event.at, event.data))
            ids.append(self.next_id)
            self.next_id += 1
        for feed in self.listeners:
            feed.poke()
        return ids

    async def events_after(self, after_id: int, *, limit: int = 500) -> list[Event]:
        return [e for e in self.entries if e.id > after_id][:limit]

    async def last_event_id(self) -> int:
        return self.entries[-1].id if self.entries else 0


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(5):
        async for event in stream:
            got.append(event)
            if len(got) == count:
                break
    return got


async def test_events_get_journal_ids_and_reach_subscribers(clock: FakeClock) -> None:
    journal = MemoryJournal(first_id=41)
    bus = EventBus(clock)
    feed = EventFeed(journal, bus, clock, origin="w1")
    journal.listeners.append(feed)
    await feed.start()
    waiting = asyncio.ensure_future(take(feed.subscribe(), 2))
    await asyncio.sleep(0)
    bus.publish("beat.started", {"key": "k"})
    bus.publish("beat.finished", {"key": "k"})
    got = await waiting
    assert [(e.id, e.name) for e in got] == [(42, "beat.started"), (43, "beat.finished")]
    await feed.close()


async def test_a_subscriber_resuming_from_an_id_gets_the_rest_from_the_journal(
    clock: FakeClock,
) -> None:
    journal = MemoryJournal()
    older = EventBus(clock)
    await journal.append_events(
        [older.publish("message.created", {"n": n}) for n in range(5)], "gone"
    )
    bus = EventBus(clock)
    feed = EventFeed(journal, bus, clock, origin="w2")
    journal.listeners.append(feed)
    await feed.start()
    stream = feed.subscribe(after_id=2)
    first = await take(stream, 3)
    assert [e.data["n"] for e in first] == [2, 3, 4]
    bus.publish("message.created", {"n": 5})
    (live,) = await take(stream, 1)
    assert (live.id, live.data["n"]) == (6, 5)
    await feed.close()


async def test_close_writes_what_is_still_queued(clock: FakeClock) -> None:
    journal = MemoryJournal()
    bus = EventBus(clock)
    feed = EventFeed(journal, bus, clock, origin="w1")
    await feed.start()
    for n in range(700):  # more than one batch
        bus.publish("message.created", {"n": n})
    await feed.close()
    assert [e.data["n"] for e in journal.entries] == list(range(700))
    bus.publish("message.created", {"n": 700})  # after close: no longer listened to
    await asyncio.sleep(0)
    assert len(journal.entries) == 700


def test_relay_keeps_ids_and_ignores_what_it_has_seen(clock: FakeClock) -> None:
    bus = EventBus(clock)
    bus.reset(10)
    heard: list[Event] = []
    bus.add_listener(heard.append)
    bus.relay(Event(12, "beat.started", clock.now(), {}))
    bus.relay(Event(11, "beat.started", clock.now(), {}))  # older than the last: ignored
    assert [e.id for e in bus.since(0)] == [12]
    assert bus.last_id == 12
    assert heard == []  # relayed events were published elsewhere: listeners are not called
