"""`ThreadChannel` against a real SQLite store: the message, its beat, the event, failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from soulbeat.channels import Channel, Delivery, ThreadChannel
from soulbeat.events import Event, EventBus
from soulbeat.store.records import MAIN, Agent, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "soulbeat.db")
    await store.open()
    await store.upsert_agent(Agent("a1", str(tmp_path)))
    await store.add_thread(Thread("t1", "a1", created_at=clock.now()))
    yield store
    await store.close()


@pytest.fixture
async def beat_id(store: SQLiteStore, clock: FakeClock) -> int:
    claim = await store.claim_wake("t1", MAIN, "manual", clock.now(), "w1", timedelta(minutes=5))
    assert claim is not None
    return claim.beat_id


@pytest.fixture
def bus(clock: FakeClock) -> EventBus:
    return EventBus(clock)


async def test_an_alert_becomes_an_assistant_message_with_its_beat(
    store: SQLiteStore, clock: FakeClock, bus: EventBus, beat_id: int
) -> None:
    await clock.advance(timedelta(seconds=30))
    channel = ThreadChannel(store, clock, bus)
    receipt = await channel.deliver(Delivery("t1", "disk almost full", "alert", "alert", beat_id))
    assert receipt.ok, receipt.detail
    [message] = await store.messages("t1")
    assert (message.role, message.text, message.beat_id) == (
        "assistant",
        "disk almost full",
        beat_id,
    )
    assert message.created_at == clock.now()
    assert message.channel == "thread"
    assert receipt.message_id == message.id
    assert (receipt.channel, receipt.status_code) == ("thread", None)
    assert receipt.detail == f"thread: message {message.id} added to thread 't1'"


async def test_the_message_is_announced_with_its_indicator(
    store: SQLiteStore, clock: FakeClock, bus: EventBus, beat_id: int
) -> None:
    seen: list[Event] = []
    bus.add_listener(seen.append)
    channel = ThreadChannel(store, clock, bus)
    receipt = await channel.deliver(Delivery("t1", "all fine", "alert", "alert", beat_id))
    [event] = seen
    assert event.name == "message.created"
    assert dict(event.data) == {
        "thread_id": "t1",
        "message_id": receipt.message_id,
        "role": "assistant",
        "text": "all fine",
        "kind": "alert",
        "indicator": "alert",
        "beat_id": beat_id,
        "channel": "thread",
        "created_at": clock.now().isoformat(),
    }


@pytest.mark.parametrize(
    ("kind", "indicator"), [("ok", "ok"), ("error", "error"), ("reasoning", None)]
)
async def test_every_kind_is_stored_the_same_way(
    store: SQLiteStore,
    clock: FakeClock,
    bus: EventBus,
    kind: Any,
    indicator: Any,
) -> None:
    channel = ThreadChannel(store, clock, bus)
    receipt = await channel.deliver(Delivery("t1", "HEARTBEAT_OK", kind, indicator))
    assert receipt.ok
    assert [m.text for m in await store.messages("t1")] == ["HEARTBEAT_OK"]
    [event] = bus.since()
    assert (event.data["kind"], event.data["indicator"], event.data["beat_id"]) == (
        kind,
        indicator,
        None,
    )


async def test_without_an_event_sink_the_message_is_still_stored(
    store: SQLiteStore, clock: FakeClock
) -> None:
    receipt = await ThreadChannel(store, clock, None).deliver(Delivery("t1", "hi", "alert", None))
    assert receipt.ok
    assert len(await store.messages("t1")) == 1


async def test_an_unknown_thread_is_a_failed_receipt_not_an_exception(
    store: SQLiteStore, clock: FakeClock, bus: EventBus
) -> None:
    receipt = await ThreadChannel(store, clock, bus).deliver(Delivery("nope", "hi", "alert", None))
    assert not receipt.ok
    assert receipt.detail.startswith("thread: could not add the message to thread 'nope': ")
    assert "nope" in receipt.detail.split(": ", 2)[2]
    assert bus.since() == []


async def test_an_unknown_beat_is_a_failed_receipt(
    store: SQLiteStore, clock: FakeClock, bus: EventBus
) -> None:
    receipt = await ThreadChannel(store, clock, bus).deliver(
        Delivery("t1", "hi", "alert", None, beat_id=999)
    )
    assert not receipt.ok
    assert "999" in receipt.detail


async def test_a_closed_store_is_a_failed_receipt(
    store: SQLiteStore, clock: FakeClock, bus: EventBus
) -> None:
    await store.close()
    receipt = await ThreadChannel(store, clock, bus).deliver(Delivery("t1", "hi", "alert", None))
    assert not receipt.ok
    assert "not open" in receipt.detail


class BrokenSink:
    def publish(self, name: str, data: Mapping[str, Any]) -> object:
        raise RuntimeError("sink down")


async def test_a_failing_event_sink_does_not_undo_a_stored_message(
    store: SQLiteStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    receipt = await ThreadChannel(store, clock, BrokenSink()).deliver(
        Delivery("t1", "hi", "alert", None)
    )
    assert receipt.ok
    assert len(await store.messages("t1")) == 1
    assert "message.created was not published" in caplog.text


def test_the_thread_channel_is_a_channel(store: SQLiteStore, clock: FakeClock) -> None:
    channel: Channel = ThreadChannel(store, clock, None)
    assert channel.name == "thread"


@pytest.mark.parametrize(
    ("kind", "indicator"), [("warning", None), ("alert", "warn"), ("ALERT", "ok")]
)
def test_a_delivery_refuses_unknown_kinds_and_indicators(kind: Any, indicator: Any) -> None:
    with pytest.raises(ValueError):
        Delivery("t1", "x", kind, indicator)
