"""The `TimeStore` contract (issue 16): reminders and thread health, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.errors import LeaseLostError, NotFoundError
from soulbeat.store.base import Store, TimeStore
from soulbeat.store.records import MAIN, Agent, BeatResult, Claim, Thread
from soulbeat.store.records_time import NewReminder, ThreadHealth

OpenStore = Callable[[], Awaitable[Store]]
T0 = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


async def _thread(store: Store, thread_id: str = "t1") -> None:
    await store.upsert_agent(Agent("agent", "/tmp/ws"))
    await store.add_thread(Thread(thread_id, "agent", T0))


def _new(text: str, minutes: int, thread_id: str = "t1", **kw: object) -> NewReminder:
    return NewReminder(thread_id, text, T0 + timedelta(minutes=minutes), T0, **kw)  # type: ignore[arg-type]


async def test_reminders_are_capped_listed_due_and_settled(store: Store) -> None:
    assert isinstance(store, TimeStore)
    await _thread(store)
    first = await store.add_reminder(_new("call mum", 2), max_pending=2)
    second = await store.add_reminder(
        _new("stretch", 1, urgent=True, created_by="model"), max_pending=2
    )
    assert first is not None and second is not None
    assert await store.add_reminder(_new("one too many", 3), max_pending=2) is None
    assert [r.text for r in await store.list_reminders("t1")] == ["stretch", "call mum"]
    assert (
        second.urgent and second.created_by == "model" and second.reason == f"reminder:{second.id}"
    )
    assert await store.earliest_reminder() == T0 + timedelta(minutes=1)
    assert await store.due_reminders(T0) == []
    due = await store.due_reminders(T0 + timedelta(minutes=2))
    assert [r.id for r in due] == [second.id, first.id]
    event = await store.fire_reminder(second.id, T0)
    again = await store.fire_reminder(second.id, T0 + timedelta(seconds=5))
    assert event.id == again.id and event.text == "Reminder: stretch" and event.source == "reminder"
    assert [e.id for e in await store.pending_events("t1")] == [event.id]
    await store.settle_reminder(second.id, "t1::key", T0 + timedelta(minutes=1))
    settled = await store.get_reminder(second.id)
    assert (
        settled.status == "done" and settled.beat_key == "t1::key" and settled.event_id == event.id
    )
    assert [r.id for r in await store.list_reminders("t1", status="pending")] == [first.id]
    await store.retime_reminder(first.id, T0 + timedelta(hours=5))
    assert await store.earliest_reminder() == T0 + timedelta(hours=5)


async def test_a_cancelled_reminder_stays_cancelled_and_frees_the_cap(store: Store) -> None:
    await _thread(store)
    only = await store.add_reminder(_new("x", 5), max_pending=1)
    assert only is not None
    cancelled = await store.cancel_reminder(only.id, T0)
    assert cancelled.status == "cancelled" and cancelled.settled_at == T0
    await store.settle_reminder(only.id, "k", T0)  # too late: it stays cancelled
    assert (await store.get_reminder(only.id)).status == "cancelled"
    assert await store.add_reminder(_new("y", 5), max_pending=1) is not None
    with pytest.raises(NotFoundError):
        await store.cancel_reminder(9999, T0)
    with pytest.raises(NotFoundError):
        await store.add_reminder(_new("z", 5, thread_id="nope"), max_pending=5)


async def test_reminders_survive_a_restart_and_go_with_their_thread(
    open_store: OpenStore,
) -> None:
    store = await open_store()
    await _thread(store)
    kept = await store.add_reminder(_new("after restart", 2), max_pending=5)
    assert kept is not None
    await store.close()
    reopened = await open_store()
    assert [r.id for r in await reopened.due_reminders(T0 + timedelta(minutes=2))] == [kept.id]
    await reopened.delete_thread("t1")
    assert await reopened.list_reminders() == []


async def test_health_rows_dead_threads_and_one_alert_per_episode(open_store: OpenStore) -> None:
    store = await open_store()
    await _thread(store)
    await store.add_thread(Thread("t2", "agent", T0))
    healthy = ThreadHealth("t1", T0, last_ok_at=T0, dead_at=T0 + timedelta(hours=1))
    await store.put_health(healthy)
    await store.put_health(ThreadHealth("t2", T0, dead_at=T0 + timedelta(hours=3)))
    assert await store.get_health("t1") == healthy
    assert await store.earliest_dead() == T0 + timedelta(hours=1)
    assert await store.dead_threads(T0) == []
    assert [h.thread_id for h in await store.dead_threads(T0 + timedelta(hours=1))] == ["t1"]
    sick = ThreadHealth(
        "t1", T0, failed_streak=3, dead_at=T0 + timedelta(hours=1),
        unhealthy_since=T0 + timedelta(hours=1), reason="dead", episode=1,
    )  # fmt: skip
    await store.put_health(sick)
    assert await store.dead_threads(T0 + timedelta(hours=9)) == [await store.get_health("t2")]
    assert await store.claim_alert("t1", 1, T0) is True
    assert await store.claim_alert("t1", 1, T0) is False
    reopened = await open_store()  # a restart (or another worker) does not alert again
    assert await reopened.claim_alert("t1", 1, T0) is False
    assert await reopened.claim_alert("t1", 2, T0) is False  # not that episode
    assert [h.thread_id for h in await reopened.list_health()] == ["t1", "t2"]
    with pytest.raises(NotFoundError):
        await reopened.put_health(ThreadHealth("ghost", T0))


async def test_unhealthy_health_lists_open_episodes_only_by_thread_id(store: Store) -> None:
    await _thread(store, "t3")
    for thread_id in ("t1", "t2"):
        await store.add_thread(Thread(thread_id, "agent", T0))
    since = T0 + timedelta(hours=1)
    for thread_id in ("t3", "t1", "t2"):
        await store.put_health(
            ThreadHealth(thread_id, T0, failed_streak=3, unhealthy_since=since, episode=1)
        )
    assert [h.thread_id for h in await store.unhealthy_health()] == ["t1", "t2", "t3"]
    assert [h.thread_id for h in await store.unhealthy_health(limit=2)] == ["t1", "t2"]
    await store.put_health(ThreadHealth("t2", T0, last_ok_at=since, episode=1))  # recovered
    assert [h.thread_id for h in await store.unhealthy_health()] == ["t1", "t3"]
    assert (await store.unhealthy_health())[0] == await store.get_health("t1")


# -- a beat's health row shares its finish's transaction (issue 12) ---------------------------
LEASE = timedelta(minutes=5)


def _done(outcome: str = "ok-token", **kw: object) -> BeatResult:
    return BeatResult(outcome, T0, T0 + timedelta(seconds=2), **kw)  # type: ignore[arg-type]


async def _claimed(store: Store, due: datetime = T0, worker: str = "w1") -> Claim:
    await store.put_schedule("t1", MAIN, next_due_at=due, phase_seconds=0, fingerprint="30m")
    (claim,) = await store.claim_due(due, worker, LEASE)
    return claim


async def test_finish_beat_stores_the_health_row_with_the_beat(store: Store) -> None:
    await _thread(store)
    claim = await _claimed(store)
    healthy = ThreadHealth("t1", T0, last_ok_at=T0, dead_at=T0 + timedelta(hours=1))
    record = await store.finish_beat(
        claim, _done(), next_due_at=T0 + timedelta(minutes=30), health=healthy
    )
    assert record.status == "finished" and await store.get_health("t1") == healthy
    assert await store.earliest_dead() == T0 + timedelta(hours=1)
    # a repeated skip folds into the previous record, and its health row is stored all the same
    skip = _done("skipped", skip_reason="empty")
    first = await store.finish_beat(
        await _claimed(store, T0 + timedelta(minutes=30)), skip, next_due_at=T0 + timedelta(hours=1)
    )
    later = replace(healthy, updated_at=T0 + timedelta(hours=1), dead_at=T0 + timedelta(hours=2))
    folded = await store.finish_beat(
        await _claimed(store, T0 + timedelta(hours=1)),
        skip,
        next_due_at=T0 + timedelta(hours=2),
        health=later,
    )
    assert folded.id == first.id and folded.repeats == 2
    assert await store.get_health("t1") == later


async def test_finish_beat_without_its_lease_or_with_another_threads_row_writes_nothing(
    open_store: OpenStore,
) -> None:
    store = await open_store()
    await _thread(store)
    await store.add_thread(Thread("t2", "agent", T0))
    before = ThreadHealth("t1", T0, failed_streak=1, last_failed_at=T0)
    await store.put_health(before)
    lost = await _claimed(store)
    with pytest.raises(ValueError, match="thread 't2'"):
        await store.finish_beat(lost, _done(), next_due_at=None, health=ThreadHealth("t2", T0))
    assert await store.get_health("t2") is None
    assert (await store.get_beat(lost.beat_id)).status == "claimed"
    assert await store.reap_expired(T0 + LEASE) == 1  # w1 is gone; w2 takes the slot over
    other = await open_store()
    (retry,) = await other.claim_due(T0 + LEASE, "w2", LEASE)
    reset = replace(before, failed_streak=0, last_ok_at=T0 + LEASE, updated_at=T0 + LEASE)
    with pytest.raises(LeaseLostError):
        await store.finish_beat(lost, _done(), next_due_at=None, health=reset)
    assert await store.get_health("t1") == before  # the lost beat's health was not written
    await other.finish_beat(retry, _done(), next_due_at=T0 + timedelta(hours=1), health=reset)
    assert await store.get_health("t1") == reset
