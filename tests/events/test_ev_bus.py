"""`EventBus`: ids, listeners, replay-then-live subscriptions, slow subscribers, closed names."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import timedelta

import pytest

from soulbeat.events import EVENT_NAMES, Event, EventBus, EventSink
from soulbeat.testing import FakeClock


@pytest.fixture
def bus(clock: FakeClock) -> EventBus:
    return EventBus(clock, history=5, queue_size=3)


async def take(stream: AsyncIterator[Event], count: int) -> list[Event]:
    """The next ``count`` events of ``stream``, failing instead of hanging."""
    return [await asyncio.wait_for(anext(stream), 1.0) for _ in range(count)]


def test_ids_increase_by_one_and_events_carry_time_and_a_copy_of_data(
    bus: EventBus, clock: FakeClock
) -> None:
    data = {"thread_id": "t1"}
    first = bus.publish("beat.started", data)
    data["thread_id"] = "changed"
    second = bus.publish("beat.finished", {})
    assert (first.id, second.id, bus.last_id) == (1, 2, 2)
    assert first.at == clock.now()
    assert first.data == {"thread_id": "t1"}
    with pytest.raises(TypeError):
        first.data["x"] = 1  # type: ignore[index]
    assert first.to_dict() == {
        "id": 1,
        "name": "beat.started",
        "at": "2026-01-01T00:00:00+00:00",
        "data": {"thread_id": "t1"},
    }


@pytest.mark.parametrize("name", ["beat.finish", "Beat.Started", "", "action.*", "message"])
def test_unknown_names_are_refused_and_nothing_is_published(bus: EventBus, name: str) -> None:
    seen: list[Event] = []
    bus.add_listener(seen.append)
    with pytest.raises(ValueError, match="unknown event name"):
        bus.publish(name, {})
    assert (seen, bus.last_id, bus.since()) == ([], 0, [])


def test_every_listed_name_can_be_published(bus: EventBus) -> None:
    for name in EVENT_NAMES:
        assert bus.publish(name, {}).name == name
    assert all(name.count(".") == 1 for name in EVENT_NAMES)


def test_listeners_are_called_in_order_and_can_unsubscribe(bus: EventBus) -> None:
    calls: list[str] = []
    remove_a = bus.add_listener(lambda e: calls.append(f"a{e.id}"))
    bus.add_listener(lambda e: calls.append(f"b{e.id}"))
    bus.publish("beat.started", {})
    remove_a()
    remove_a()  # idempotent
    bus.publish("beat.finished", {})
    assert calls == ["a1", "b1", "b2"]


def test_a_raising_listener_is_logged_and_does_not_stop_the_others(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    bus.add_listener(broken)
    bus.add_listener(lambda e: seen.append(e.id))
    with caplog.at_level(logging.ERROR, logger="soulbeat.events.bus"):
        event = bus.publish("beat.started", {})
        bus.publish("beat.finished", {})
    assert event.id == 1
    assert seen == [1, 2]
    assert "listener bug" in caplog.text
    assert "beat.started #1" in caplog.text


def test_an_async_listener_is_reported_not_silently_ignored(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    async def wrong(event: Event) -> None:  # pragma: no cover - never awaited, by design
        pass

    bus.add_listener(wrong)
    with caplog.at_level(logging.ERROR, logger="soulbeat.events.bus"):
        bus.publish("beat.started", {})
    assert "must be synchronous" in caplog.text


def test_since_returns_the_ring_buffer_after_an_id(bus: EventBus) -> None:
    for _ in range(7):
        bus.publish("beat.started", {})
    assert [e.id for e in bus.since()] == [3, 4, 5, 6, 7]
    assert [e.id for e in bus.since(5)] == [6, 7]
    assert [e.id for e in bus.since(0)] == [3, 4, 5, 6, 7]
    assert bus.since(7) == []


async def test_subscribe_replays_after_id_then_yields_live_events(bus: EventBus) -> None:
    for _ in range(3):
        bus.publish("beat.started", {})
    async with aclosing(bus.subscribe(after_id=1)) as stream:
        replayed = await take(stream, 2)
        bus.publish("beat.finished", {"n": 4})
        live = await take(stream, 1)
    assert [e.id for e in replayed] == [2, 3]
    assert [(e.id, e.name, dict(e.data)) for e in live] == [(4, "beat.finished", {"n": 4})]
    assert bus.subscriber_count == 0


async def test_events_published_during_replay_come_once_and_in_order(bus: EventBus) -> None:
    for _ in range(3):
        bus.publish("beat.started", {})
    async with aclosing(bus.subscribe(after_id=0)) as stream:
        first = await take(stream, 1)  # subscribed now, replay of 1..3 under way
        bus.publish("beat.finished", {})
        bus.publish("beat.finished", {})
        rest = await take(stream, 4)
    assert [e.id for e in first + rest] == [1, 2, 3, 4, 5]


async def test_subscribe_without_after_id_sees_only_events_after_it_starts(bus: EventBus) -> None:
    bus.publish("beat.started", {})
    stream = bus.subscribe()
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    bus.publish("beat.finished", {})
    assert (await asyncio.wait_for(pending, 1.0)).id == 2
    await stream.aclose()


async def test_a_stale_after_id_from_an_earlier_process_still_gets_live_events(
    bus: EventBus,
) -> None:
    bus.publish("beat.started", {})
    async with aclosing(bus.subscribe(after_id=500)) as stream:
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)
        bus.publish("beat.finished", {})
        assert (await asyncio.wait_for(pending, 1.0)).id == 2


async def test_a_slow_subscriber_is_dropped_without_blocking_publishers(bus: EventBus) -> None:
    fast_seen: list[int] = []
    slow = bus.subscribe()
    slow_first = asyncio.ensure_future(anext(slow))
    fast = bus.subscribe()

    async def drain() -> None:
        async for event in fast:
            fast_seen.append(event.id)

    fast_task = asyncio.ensure_future(drain())
    await asyncio.sleep(0)
    assert bus.subscriber_count == 2
    for _ in range(3):
        bus.publish("beat.started", {})
        await asyncio.sleep(0)  # the fast one keeps up, the slow one is not being read
    assert (await slow_first).id == 1
    for _ in range(4):  # slow now holds 2, 3 and gets 4 (full), then 5 overflows
        bus.publish("beat.finished", {})
        await asyncio.sleep(0)
    assert bus.dropped == 1
    assert bus.subscriber_count == 1
    # what was queued before the overflow is still delivered, then the stream ends
    assert [e.id async for e in slow] == [2, 3, 4]
    assert fast_seen == [1, 2, 3, 4, 5, 6, 7]
    bus.close()
    await asyncio.wait_for(fast_task, 1.0)


async def test_close_ends_subscriptions_after_their_queue_and_refuses_new_ones(
    bus: EventBus,
) -> None:
    stream = bus.subscribe()
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    bus.publish("scheduler.stopped", {})
    bus.close()
    assert (await pending).id == 1
    assert [e async for e in stream] == []
    assert [e async for e in bus.subscribe(after_id=0)] == []


async def test_an_event_published_by_a_listener_reaches_subscribers_in_id_order(
    bus: EventBus,
) -> None:
    def cascade(event: Event) -> None:
        if event.name == "action.proposed":
            bus.publish("action.rejected", {})

    bus.add_listener(cascade)
    async with aclosing(bus.subscribe(after_id=bus.last_id)) as stream:
        pending = asyncio.ensure_future(take(stream, 2))
        await asyncio.sleep(0)
        bus.publish("action.proposed", {})
        events = await pending
    assert [(e.id, e.name) for e in events] == [(1, "action.proposed"), (2, "action.rejected")]


async def test_event_time_comes_from_the_clock(bus: EventBus, clock: FakeClock) -> None:
    await clock.advance(timedelta(minutes=5))
    assert bus.publish("beat.started", {}).at == clock.now()


def test_the_bus_is_an_event_sink(bus: EventBus) -> None:
    sink: EventSink = bus
    sink.publish("config.changed", {"key": "every"})
    assert bus.since()[-1].name == "config.changed"


@pytest.mark.parametrize("kwargs", [{"history": 0}, {"queue_size": 0}])
def test_sizes_must_be_positive(clock: FakeClock, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EventBus(clock, **kwargs)
