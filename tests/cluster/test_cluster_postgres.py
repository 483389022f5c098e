"""Processes sharing one PostgreSQL database: change signals (LISTEN/NOTIFY) and the durable
event journal behind every API process's event stream (`soulbeat.cluster`).

Two services here are two `PostgresStore`s with their own buses and feeds on one database — what
two processes have. Waiting for a signal is waiting for I/O, bounded by a timeout; no test
sleeps for time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.cluster import CHANGED, EVENTS, ClusterNode, EventFeed, WakeRequest
from soulbeat.events.bus import EventBus
from soulbeat.events.models import Event
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.postgres.signals import PostgresJournal, PostgresSignals, PostgresWakes
from soulbeat.store.records import Agent, Thread
from soulbeat.testing import FakeClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WAIT = 10.0
"""Seconds to wait for something another 'process' does (it normally takes milliseconds)."""


class Node:
    """One process's share: a store, a bus, a feed and the signals, started."""

    def __init__(self, url: str, clock: FakeClock, name: str) -> None:
        self.store = PostgresStore(url, max_size=3)
        self.bus = EventBus(clock)
        self.changes = 0
        self.changed = asyncio.Event()
        self.woken: list[tuple[str, str, str]] = []
        self.got_wake = asyncio.Event()
        feed = EventFeed(PostgresJournal(self.store, Event), self.bus, clock, origin=name)
        self.node = ClusterNode(
            PostgresSignals(url, clock),
            feed,
            on_change=self._on_change,
            wakes=PostgresWakes(self.store),
            on_wake=self._on_wake,
        )

    def _on_wake(self, thread_id: str, reason: str, skill: str) -> None:
        self.woken.append((thread_id, reason, skill))
        self.got_wake.set()

    def _on_change(self) -> None:
        self.changes += 1
        self.changed.set()

    async def __aenter__(self) -> Node:
        await self.store.open()
        await self.node.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.node.close()
        await self.store.close()


@contextlib.asynccontextmanager
async def nodes(url: str, clock: FakeClock, count: int) -> AsyncIterator[list[Node]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(Node(url, clock, f"w{i}")) for i in range(count)]


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(WAIT):
        async for event in stream:
            got.append(event)
            if len(got) == count:
                break
    return got


async def settle(node: Node) -> None:
    """Wait for the catch-up signal every fresh listener gets, then forget it."""
    async with asyncio.timeout(WAIT):
        await node.changed.wait()
    node.changed.clear()


async def test_a_change_in_one_process_reaches_the_others(
    postgres_url: str, clock: FakeClock
) -> None:
    async with nodes(postgres_url, clock, 2) as (a, b):
        await settle(b)
        await a.store.set_flag("scheduler.enabled", False)
        async with asyncio.timeout(WAIT):
            await b.changed.wait()
        b.changed.clear()
        await a.store.upsert_agent(Agent(id="a1", workspace="/w"))
        await a.store.add_thread(Thread(id="t1", agent_id="a1", created_at=T0))
        await a.store.put_schedule("t1", "", next_due_at=T0, phase_seconds=0, fingerprint="x")
        async with asyncio.timeout(WAIT):
            await b.changed.wait()


async def test_reads_and_claims_signal_nothing(postgres_url: str, clock: FakeClock) -> None:
    """Only writes other workers must react to notify: claiming does not wake the fleet."""
    async with nodes(postgres_url, clock, 1) as (a,):
        await a.store.upsert_agent(Agent(id="a1", workspace="/w"))
        await a.store.add_thread(Thread(id="t1", agent_id="a1", created_at=T0))
        await a.store.put_schedule("t1", "", next_due_at=T0, phase_seconds=0, fingerprint="x")
        async with nodes(postgres_url, clock, 1) as (b,):
            await settle(b)
            listener = PostgresSignals(postgres_url, clock).listen()
            assert [await anext(listener), await anext(listener)] == [CHANGED, EVENTS]
            await a.store.list_threads()
            await a.store.claim_due(T0, "w1", timedelta(minutes=5))
            await a.store.set_flag("x", True)  # the first signal after those must be this one
            assert await asyncio.wait_for(anext(listener), WAIT) == CHANGED
            await listener.aclose()


async def test_every_stream_shows_every_process_events(postgres_url: str, clock: FakeClock) -> None:
    async with nodes(postgres_url, clock, 2) as (a, b):
        stream_a, stream_b = a.node.feed.subscribe(), b.node.feed.subscribe()
        waiting = [asyncio.ensure_future(take(s, 3)) for s in (stream_a, stream_b)]
        await asyncio.sleep(0)  # let both subscriptions register
        a.bus.publish("beat.started", {"key": "t1@1"})
        b.bus.publish("beat.started", {"key": "t2@1"})
        a.bus.publish("beat.finished", {"key": "t1@1"})
        seen_a, seen_b = await asyncio.gather(*waiting)
    assert [e.id for e in seen_a] == [e.id for e in seen_b]
    assert sorted(e.data["key"] for e in seen_a) == ["t1@1", "t1@1", "t2@1"]
    assert [e.id for e in seen_a] == sorted(e.id for e in seen_a)


async def test_last_event_id_resumes_after_a_restart(postgres_url: str, clock: FakeClock) -> None:
    async with nodes(postgres_url, clock, 1) as (a,):
        live = asyncio.ensure_future(take(a.node.feed.subscribe(), 3))
        await asyncio.sleep(0)
        for n in range(3):
            a.bus.publish("message.created", {"n": n})
        first = await live
    # the process is gone; a new one (another API process, or the same restarted) resumes
    async with nodes(postgres_url, clock, 1) as (b,):
        resumed = b.node.feed.subscribe(after_id=first[0].id)
        replayed = await take(resumed, 2)
        assert [e.data["n"] for e in replayed] == [1, 2]
        assert [e.id for e in replayed] == [e.id for e in first[1:]]
        b.bus.publish("message.created", {"n": 3})
        (new,) = await take(resumed, 1)
        assert new.data["n"] == 3 and new.id > first[-1].id
        await resumed.aclose()


async def test_events_queued_at_close_are_still_journaled(
    postgres_url: str, clock: FakeClock
) -> None:
    async with nodes(postgres_url, clock, 1) as (a,):
        for n in range(50):
            a.bus.publish("message.created", {"n": n})
    journal_store = PostgresStore(postgres_url)
    await journal_store.open()
    events = await PostgresJournal(journal_store, Event).events_after(0)
    await journal_store.close()
    assert [e.data["n"] for e in events] == list(range(50))


@pytest.mark.parametrize("writers", [3])
async def test_ids_increase_in_commit_order_with_concurrent_writers(
    postgres_url: str, clock: FakeClock, writers: int
) -> None:
    """A reader following the journal never misses an entry: ids become visible in order even
    with several processes appending at once."""
    async with nodes(postgres_url, clock, writers) as fleet:
        stream = fleet[0].node.feed.subscribe()
        waiting = asyncio.ensure_future(take(stream, writers * 40))
        await asyncio.sleep(0)
        for n in range(40):
            for node in fleet:
                node.bus.publish("message.created", {"n": n})
            await asyncio.sleep(0)
        seen = await waiting
    ids = [e.id for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == writers * 40


async def test_a_wake_from_an_api_only_process_reaches_exactly_one_worker(
    postgres_url: str, clock: FakeClock
) -> None:
    async with nodes(postgres_url, clock, 3) as (api, w1, w2):
        w1.node.accept_wakes = w2.node.accept_wakes = True
        for worker in (w1, w2):
            await settle(worker)
        for n in range(10):
            await api.node.wake(WakeRequest(f"t{n}", "", "event", T0))
        async with asyncio.timeout(WAIT):
            while len(w1.woken) + len(w2.woken) < 10:
                w1.got_wake.clear()
                w2.got_wake.clear()
                waits = [asyncio.ensure_future(w.got_wake.wait()) for w in (w1, w2)]
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                for w in waits:
                    w.cancel()
        taken = sorted(w1.woken + w2.woken)
    assert taken == sorted((f"t{n}", "event", "") for n in range(10))
    assert api.woken == []  # a process without a running scheduler takes none
