"""The `Store` contract (the module docstring of `soulbeat.store.base`), run against every backend.

Each test takes `store` (an open store on a fresh database) and, when it needs a second worker or
a restart, `open_store` (another store on the same database); see `conftest.py`. Time is always
an explicit datetime: nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from soulbeat.errors import LeaseLostError, NotFoundError, StoreError
from soulbeat.store.base import Store
from soulbeat.store.records import MAIN, Agent, BeatResult, Claim, Schedule, Thread, beat_key
from soulbeat.store.search import BeatPage, BeatQuery

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=5)

OpenStore = Callable[[], Awaitable[Store]]
"""The `open_store` fixture: another open store on the test's database."""


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


async def add_thread(
    store: Store, thread_id: str = "t1", agent_id: str = "a1", **kw: Any
) -> Thread:
    await store.upsert_agent(Agent(id=agent_id, workspace=f"/w/{agent_id}"))
    return await store.add_thread(Thread(id=thread_id, agent_id=agent_id, created_at=T0, **kw))


async def scheduled(
    store: Store, thread_id: str = "t1", due: datetime = T0, skill: str = MAIN
) -> None:
    """A thread (created if missing) with a schedule due at `due`."""
    try:
        await store.get_thread(thread_id)
    except NotFoundError:
        await add_thread(store, thread_id)
    await store.put_schedule(thread_id, skill, next_due_at=due, phase_seconds=0, fingerprint="30m")


def result(outcome: str = "ok-token", started: datetime = T0, **kw: Any) -> BeatResult:
    return BeatResult(
        outcome=outcome, started_at=started, finished_at=started + timedelta(seconds=3), **kw
    )


async def schedule_of(store: Store, thread_id: str = "t1", skill: str = MAIN) -> Schedule:
    schedule = await store.get_schedule(thread_id, skill)
    assert schedule is not None, (thread_id, skill)
    return schedule


async def claim_one(store: Store, now: datetime = T0, worker: str = "w1") -> Claim:
    claims = await store.claim_due(now, worker, LEASE)
    assert len(claims) == 1, claims
    return claims[0]


# -- lifecycle and settings -------------------------------------------------------------------


async def test_open_is_idempotent(store: Store) -> None:
    await store.open()
    await add_thread(store)
    await store.open()
    assert [t.id for t in await store.list_threads()] == ["t1"]


async def test_install_seed_is_made_once(store: Store, open_store: OpenStore) -> None:
    seed = await store.install_seed()
    assert len(seed) >= 16
    assert await store.install_seed() == seed
    assert await (await open_store()).install_seed() == seed


async def test_flags_default_until_set(store: Store) -> None:
    assert await store.get_flag("scheduler.enabled", True) is True
    assert await store.get_flag("scheduler.enabled", False) is False
    await store.set_flag("scheduler.enabled", False)
    assert await store.get_flag("scheduler.enabled", True) is False
    await store.set_flag("scheduler.enabled", True)
    assert await store.get_flag("scheduler.enabled", False) is True
    assert await store.get_flag("other", False) is False


async def test_restart_keeps_everything(store: Store, open_store: OpenStore) -> None:
    seed = await store.install_seed()
    await store.set_flag("scheduler.enabled", False)
    await scheduled(store, "t1", due=at(30))
    await store.set_thread_enabled("t1", False)
    await store.add_message("t1", "user", "hi", at(1), channel="slack")
    await store.close()

    again = await open_store()
    assert await again.install_seed() == seed
    assert await again.get_flag("scheduler.enabled", True) is False
    thread = await again.get_thread("t1")
    assert (thread.enabled, thread.last_channel, thread.last_user_message_at) == (
        False,
        "slack",
        at(1),
    )
    schedule = await schedule_of(again)
    assert schedule.next_due_at == at(30)
    assert await again.earliest_due() == at(30)


# -- agents and threads -----------------------------------------------------------------------


async def test_agents_upsert_get_list(store: Store) -> None:
    await store.upsert_agent(Agent(id="b", workspace="/w/b"))
    await store.upsert_agent(Agent(id="a", workspace="/w/a", config={"every": "1h"}))
    await store.upsert_agent(Agent(id="b", workspace="/w/b2", user_timezone="Europe/Paris"))
    assert await store.get_agent("b") == Agent(
        id="b", workspace="/w/b2", user_timezone="Europe/Paris"
    )
    assert [a.id for a in await store.list_agents()] == ["a", "b"]
    assert (await store.get_agent("a")).config == {"every": "1h"}


async def test_missing_agent_is_not_found_by_name(store: Store) -> None:
    with pytest.raises(NotFoundError, match="'ghost'"):
        await store.get_agent("ghost")


async def test_thread_round_trips(store: Store) -> None:
    added = await add_thread(store, title="ops", config={"every": "15m", "visibility": {"a": 1}})
    assert added == Thread(
        id="t1",
        agent_id="a1",
        created_at=T0,
        title="ops",
        config={"every": "15m", "visibility": {"a": 1}},
    )
    assert await store.get_thread("t1") == added


async def test_duplicate_thread_is_refused_by_name(store: Store) -> None:
    await add_thread(store)
    with pytest.raises(StoreError, match="'t1'") as caught:
        await add_thread(store)
    assert not isinstance(caught.value, NotFoundError)


async def test_thread_of_unknown_agent_is_refused(store: Store) -> None:
    with pytest.raises(NotFoundError, match="'nobody'"):
        await store.add_thread(Thread(id="t1", agent_id="nobody", created_at=T0))


async def test_list_threads_by_agent(store: Store) -> None:
    await add_thread(store, "t1", "a1")
    await add_thread(store, "t2", "a2")
    await add_thread(store, "t3", "a1")
    assert [t.id for t in await store.list_threads()] == ["t1", "t2", "t3"]
    assert [t.id for t in await store.list_threads("a1")] == ["t1", "t3"]
    assert await store.list_threads("a9") == []


async def test_thread_enabled_and_config_are_stored(store: Store) -> None:
    await add_thread(store, config={"every": "30m"})
    assert (await store.set_thread_enabled("t1", False)).enabled is False
    updated = await store.set_thread_config("t1", {"target": "none"})
    assert updated.config == {"target": "none"}  # replaced, not merged
    assert updated.enabled is False
    assert await store.get_thread("t1") == updated


@pytest.mark.parametrize("change", ["enabled", "config", "get", "delete"])
async def test_unknown_thread_is_not_found_by_name(store: Store, change: str) -> None:
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "enabled": lambda: store.set_thread_enabled("ghost", True),
        "config": lambda: store.set_thread_config("ghost", {}),
        "get": lambda: store.get_thread("ghost"),
        "delete": lambda: store.delete_thread("ghost"),
    }
    with pytest.raises(NotFoundError, match="'ghost'"):
        await calls[change]()


async def test_delete_thread_keeps_beats_only(store: Store) -> None:
    await scheduled(store, "t1")
    await add_thread(store, "t2")
    await store.add_message("t1", "user", "hi", at(1))
    await store.queue_event("t1", "disk full", at(1))
    claim = await claim_one(store)
    record = await store.finish_beat(claim, result(), next_due_at=at(30))

    await store.delete_thread("t1")
    with pytest.raises(NotFoundError):
        await store.get_thread("t1")
    assert await store.messages("t1") == []
    assert await store.list_schedules("t1") == []
    assert await store.pending_events("t1") == []
    assert await store.get_beat(record.id) == record
    assert [t.id for t in await store.list_threads()] == ["t2"]


# -- messages ---------------------------------------------------------------------------------


async def test_messages_oldest_first_and_limit_keeps_the_newest(store: Store) -> None:
    await add_thread(store)
    for minute, text in [(3, "c"), (1, "a"), (2, "b"), (4, "d")]:
        await store.add_message("t1", "user", text, at(minute))
    assert [m.text for m in await store.messages("t1")] == ["a", "b", "c", "d"]
    assert [m.text for m in await store.messages("t1", limit=2)] == ["c", "d"]
    assert [m.text for m in await store.messages("t1", since=at(2))] == ["b", "c", "d"]
    assert [m.text for m in await store.messages("t1", since=at(2), limit=1)] == ["d"]
    assert await store.messages("t1", limit=0) == []
    # paging further back (issue 12): skip the newest `offset`, still oldest first
    assert [m.text for m in await store.messages("t1", limit=2, offset=1)] == ["b", "c"]
    assert [m.text for m in await store.messages("t1", limit=2, offset=3)] == ["a"]
    assert [m.text for m in await store.messages("t1", offset=2)] == ["a", "b"]
    assert (await store.count_messages("t1"), await store.count_messages("t9")) == (4, 0)
    with pytest.raises(ValueError, match="offset"):
        await store.messages("t1", offset=-1)


async def test_message_round_trips(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store)
    message = await store.add_message(
        "t1", "assistant", "disk full", at(1), channel="thread", beat_id=claim.beat_id
    )
    assert (message.thread_id, message.role, message.text, message.created_at) == (
        "t1",
        "assistant",
        "disk full",
        at(1),
    )
    assert (message.channel, message.beat_id) == ("thread", claim.beat_id)
    assert await store.messages("t1") == [message]


async def test_user_message_updates_last_activity_and_channel(store: Store) -> None:
    await add_thread(store)
    await store.add_message("t1", "user", "hi", at(1), channel="slack")
    await store.add_message("t1", "assistant", "hello", at(2), channel="webhook")
    thread = await store.get_thread("t1")
    assert (thread.last_user_message_at, thread.last_channel) == (at(1), "slack")

    await store.add_message("t1", "user", "again", at(3))  # no channel: keeps the last one
    thread = await store.get_thread("t1")
    assert (thread.last_user_message_at, thread.last_channel) == (at(3), "slack")

    await store.add_message("t1", "user", "late import", at(0), channel="email")  # older
    thread = await store.get_thread("t1")
    assert (thread.last_user_message_at, thread.last_channel) == (at(3), "slack")


async def test_message_to_unknown_thread_or_beat_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="'ghost'"):
        await store.add_message("ghost", "user", "hi", T0)
    await add_thread(store)
    with pytest.raises(NotFoundError, match="beat 999"):
        await store.add_message("t1", "assistant", "hi", T0, beat_id=999)
    assert await store.messages("t1") == []


# -- schedules --------------------------------------------------------------------------------


async def test_schedules_put_get_list(store: Store) -> None:
    await add_thread(store, "t1")
    await add_thread(store, "t2")
    first = await store.put_schedule(
        "t2", "news", next_due_at=at(5), phase_seconds=12.5, fingerprint="every=1h"
    )
    assert (first.next_due_at, first.phase_seconds, first.fingerprint) == (at(5), 12.5, "every=1h")
    assert (first.lease_owner, first.not_before, first.recent_starts) == (None, None, ())
    await store.put_schedule("t2", MAIN, next_due_at=None, phase_seconds=0, fingerprint="off")
    await store.put_schedule("t1", MAIN, next_due_at=at(1), phase_seconds=0, fingerprint="")
    assert await store.get_schedule("t2", "news") == first
    assert await store.get_schedule("t2", "other") is None
    listed = [(s.thread_id, s.skill) for s in await store.list_schedules()]
    assert listed == [("t1", MAIN), ("t2", MAIN), ("t2", "news")]
    assert [s.skill for s in await store.list_schedules("t2")] == [MAIN, "news"]


async def test_schedules_of_a_page_of_threads_has_their_main_and_skill_schedules(
    store: Store,
) -> None:
    for thread in ("t1", "t2", "t3"):
        await add_thread(store, thread)
        await store.put_schedule(thread, MAIN, next_due_at=at(1), phase_seconds=0, fingerprint="")
    await store.put_schedule("t2", "news", next_due_at=at(2), phase_seconds=0, fingerprint="")
    found = await store.schedules_of(["t2", "t3", "ghost"])
    assert sorted((s.thread_id, s.skill) for s in found) == [
        ("t2", MAIN),
        ("t2", "news"),
        ("t3", MAIN),
    ]
    assert await store.schedules_of([]) == []
    many = [f"x{i:04d}" for i in range(1200)]  # more than one chunk of SQLite's variables
    assert len(await store.schedules_of([*many, "t1"])) == 1


async def test_put_schedule_for_unknown_thread_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="'ghost'"):
        await store.put_schedule("ghost", MAIN, next_due_at=T0, phase_seconds=0, fingerprint="")


async def test_replan_keeps_history_and_lease_and_clears_not_before(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store)
    await store.finish_beat(
        claim, result(ran_model=True), next_due_at=at(30), task_runs={"inbox": T0}
    )
    await store.claim_wake("t1", MAIN, "manual", at(1), "w1", LEASE)

    replanned = await store.put_schedule(
        "t1", MAIN, next_due_at=at(60), phase_seconds=7, fingerprint="every=1h"
    )
    assert replanned.next_due_at == at(60)
    assert replanned.task_last_run == {"inbox": T0}
    assert replanned.recent_starts == (T0,)
    assert replanned.last_started_at == T0
    assert replanned.lease_owner == "w1"

    busy = await store.claim_wake("t1", MAIN, "manual", at(2), "w1", LEASE)
    assert busy is None
    wake = await store.claim_wake("t1", MAIN, "manual", at(20), "w1", LEASE)
    assert wake is not None  # the lease from at(1) expired at(6); retaken
    await store.defer_beat(wake, at(25), "busy")
    assert (await schedule_of(store)).not_before == at(25)
    again = await store.put_schedule(
        "t1", MAIN, next_due_at=at(60), phase_seconds=7, fingerprint="every=1h"
    )
    assert again.not_before is None


async def test_delete_schedule(store: Store) -> None:
    await scheduled(store, skill="news")
    await store.delete_schedule("t1", "news")
    assert await store.get_schedule("t1", "news") is None
    await store.delete_schedule("t1", "news")  # already gone: nothing to do
    assert await store.earliest_due() is None


async def test_earliest_due(store: Store) -> None:
    assert await store.earliest_due() is None
    await add_thread(store, "off")
    await store.put_schedule("off", MAIN, next_due_at=None, phase_seconds=0, fingerprint="")
    assert await store.earliest_due() is None  # an unscheduled schedule is never due

    await scheduled(store, "t1", due=at(30))
    await scheduled(store, "t2", due=at(20))
    assert await store.earliest_due() == at(20)

    claim = await claim_one(store, now=at(20))  # t2 leased until at(25)
    assert await store.earliest_due() == at(25)  # the lease expiry is sooner than t1's slot
    await store.defer_beat(claim, at(40), "busy")  # t2 waits for not_before = at(40)
    assert await store.earliest_due() == at(30)
    await store.delete_schedule("t1", MAIN)
    assert await store.earliest_due() == at(40)


# -- claiming ---------------------------------------------------------------------------------


async def test_claim_due_takes_what_is_due(store: Store) -> None:
    await scheduled(store, "t1", due=at(0))
    await scheduled(store, "t1", due=at(1), skill="news")
    await scheduled(store, "t2", due=at(10))
    assert await store.claim_due(at(-1), "w1", LEASE) == []

    claims = await store.claim_due(at(5), "w1", LEASE)
    assert [(c.thread_id, c.skill, c.reason) for c in claims] == [
        ("t1", MAIN, "interval"),
        ("t1", "news", "skill:news"),
    ]
    first = claims[0]
    assert first.key == beat_key("t1", MAIN, at(0)) == "t1@2026-01-01T00:00:00+00:00"
    assert (first.due_at, first.worker_id, first.attempt) == (at(0), "w1", 1)
    assert first.lease_expires_at == at(5) + LEASE
    beat = await store.get_beat(first.beat_id)
    assert (beat.key, beat.status, beat.attempt, beat.reason) == (
        first.key,
        "claimed",
        1,
        "interval",
    )
    schedule = await schedule_of(store)
    assert (schedule.lease_owner, schedule.lease_expires_at) == ("w1", at(5) + LEASE)


async def test_live_lease_is_not_claimed_again(store: Store) -> None:
    await scheduled(store)
    await claim_one(store, worker="w1")
    assert await store.claim_due(at(4), "w2", LEASE) == []
    assert await store.claim_due(at(4), "w1", LEASE) == []


async def test_claim_due_respects_limit_in_due_order(store: Store) -> None:
    for i in range(5):
        await scheduled(store, f"t{i}", due=at(-i))
    first = await store.claim_due(T0, "w1", LEASE, limit=2)
    assert [c.thread_id for c in first] == ["t4", "t3"]
    rest = await store.claim_due(T0, "w1", LEASE, limit=10)
    assert [c.thread_id for c in rest] == ["t2", "t1", "t0"]


async def test_claim_finish_and_never_again(store: Store) -> None:
    await scheduled(store, due=at(0))
    claim = await claim_one(store, now=at(1))
    record = await store.finish_beat(
        claim,
        result("sent", started=at(1), prompt_tokens=10, completion_tokens=5, alert_text="x"),
        next_due_at=at(30),
    )
    assert (record.status, record.outcome, record.key, record.attempt) == (
        "finished",
        "sent",
        claim.key,
        1,
    )
    assert (record.started_at, record.finished_at) == (at(1), at(1, 3))
    assert (record.prompt_tokens, record.completion_tokens, record.alert_text) == (10, 5, "x")
    assert await store.claim_due(at(29), "w1", LEASE) == []
    schedule = await schedule_of(store)
    assert (schedule.next_due_at, schedule.lease_owner, schedule.lease_expires_at) == (
        at(30),
        None,
        None,
    )
    following = await claim_one(store, now=at(30))
    assert following.key == beat_key("t1", MAIN, at(30)) != claim.key


async def test_two_workers_never_claim_the_same_schedule(
    store: Store, open_store: OpenStore
) -> None:
    other = await open_store()
    for i in range(20):
        await scheduled(store, f"t{i:02}", due=at(0))
    taken: list[str] = []
    for _ in range(20):  # race after race, a few schedules at a time, until nothing is left
        a, b = await asyncio.gather(
            store.claim_due(T0, "w1", LEASE, limit=3),
            other.claim_due(T0, "w2", LEASE, limit=3),
        )
        if not a + b:
            break
        taken += [c.key for c in a + b]
    assert len(taken) == len(set(taken)) == 20


async def test_one_schedule_raced_by_two_workers_is_claimed_once(
    store: Store, open_store: OpenStore
) -> None:
    other = await open_store()
    await scheduled(store)
    winners: list[int] = []
    for _ in range(3):
        results = await asyncio.gather(
            store.claim_due(T0, "w1", LEASE),
            other.claim_due(T0, "w2", LEASE),
            store.claim_wake("t1", MAIN, "manual", at(1), "w3", LEASE),
            other.claim_wake("t1", MAIN, "manual", at(1), "w4", LEASE),
        )
        winners.append(sum(1 for r in results if r))  # a non-empty list or a Claim
    assert winners == [1, 0, 0]
    schedule = await schedule_of(store)
    assert schedule.lease_owner is not None


async def test_release_worker_frees_only_its_leases_at_once(
    store: Store, open_store: OpenStore
) -> None:
    restarted = await open_store()  # the same worker name, after a restart
    await scheduled(store, "t1")
    await scheduled(store, "t2", due=at(0, 1))
    mine = await claim_one(store, now=T0, worker="w1")
    theirs = await claim_one(store, now=at(0, 1), worker="w2")

    assert await restarted.release_worker("w1") == 1  # long before the lease expires
    assert (await store.get_beat(mine.beat_id)).status == "interrupted"
    assert (await store.get_beat(theirs.beat_id)).status == "claimed"
    freed, held = await schedule_of(store, "t1"), await schedule_of(store, "t2")
    assert freed.lease_owner is None and freed.next_due_at == T0  # the slot is kept
    assert held.lease_owner == "w2"
    assert await restarted.release_worker("w1") == 0

    again = await claim_one(restarted, now=at(0, 2), worker="w1")
    assert (again.key, again.beat_id, again.attempt) == (mine.key, mine.beat_id, 2)
    with pytest.raises(LeaseLostError):
        await store.finish_beat(mine, result(), next_due_at=at(30))  # the earlier life's claim
    record = await restarted.finish_beat(again, result(), next_due_at=at(30))
    assert (record.status, record.attempt) == ("finished", 2)


async def test_claim_ahead_takes_the_slots_due_by_the_horizon(store: Store) -> None:
    await scheduled(store, "t1", due=at(0, 10))
    await scheduled(store, "t2", due=at(0, 30))
    await scheduled(store, "t3", due=at(2))
    ahead = await store.claim_due(T0, "w1", LEASE, due_by=at(0, 30))
    assert [(c.thread_id, c.due_at) for c in ahead] == [("t1", at(0, 10)), ("t2", at(0, 30))]
    assert all(c.lease_expires_at == T0 + LEASE for c in ahead)  # leases run from now
    record = await store.get_beat(ahead[0].beat_id)
    assert (record.status, record.due_at, record.key) == (
        "claimed",
        at(0, 10),
        beat_key("t1", MAIN, at(0, 10)),
    )
    assert await store.claim_due(T0, "w2", LEASE, due_by=at(1)) == []  # held by w1
    assert await store.earliest_due() == at(2)
    with pytest.raises(ValueError, match="before now"):
        await store.claim_due(at(1), "w1", LEASE, due_by=T0)


async def test_claim_ahead_leaves_a_live_lease_that_ends_within_the_horizon(store: Store) -> None:
    # A lease is live or expired as of now: one that will have expired by the horizon is not
    # taken early.
    await scheduled(store, "t1", due=T0)
    await store.claim_due(T0, "w1", timedelta(seconds=20))
    assert await store.claim_due(at(0, 10), "w2", LEASE, due_by=at(1)) == []
    taken = await store.claim_due(at(0, 20), "w2", LEASE, due_by=at(1))
    assert [(c.thread_id, c.worker_id, c.attempt) for c in taken] == [("t1", "w2", 2)]


async def test_a_finish_returns_the_record_as_stored(store: Store) -> None:
    # A wake's claim carries the reason it was run for; the record keeps the stored one.
    await scheduled(store, due=at(0))
    claim = await claim_one(store, now=at(1))
    audit = {"guards_passed": ("enabled", "quiet-hours"), "nested": {"n": 1}, "text": "é"}
    finished = result(
        "sent",
        started=at(1),
        ran_model=True,
        prompt_tokens=7,
        completion_tokens=2,
        alert_text="look",
        audit=audit,
    )
    record = await store.finish_beat(
        replace(claim, reason="manual"), finished, next_due_at=at(30), task_runs={"inbox": at(1)}
    )
    assert record == await store.get_beat(claim.beat_id)
    assert record.reason == claim.reason and record.audit["guards_passed"] == [
        "enabled",
        "quiet-hours",
    ]
    skipped = await claim_one(store, now=at(30))
    quiet = await store.finish_beat(
        skipped, result("skipped", started=at(30), skip_reason="idle"), next_due_at=at(60)
    )
    assert quiet == await store.get_beat(skipped.beat_id)
    schedule = await schedule_of(store)
    assert schedule.task_last_run == {"inbox": at(1)}  # kept by a finish that ran no task
    assert schedule.recent_starts == (at(1),)  # and a skip is no start


async def test_expired_lease_reap_reclaim_finish_once(store: Store, open_store: OpenStore) -> None:
    other = await open_store()
    await scheduled(store)
    lost = await claim_one(store, now=T0, worker="w1")  # w1 dies holding it
    assert await store.reap_expired(at(4)) == 0  # not expired yet
    assert await store.reap_expired(at(5)) == 1
    interrupted = await store.get_beat(lost.beat_id)
    assert interrupted.status == "interrupted"
    schedule = await schedule_of(store)
    assert schedule.lease_owner is None and schedule.next_due_at == T0
    assert await store.earliest_due() == T0  # still due

    retry = await claim_one(other, now=at(6), worker="w2")
    assert (retry.key, retry.beat_id, retry.attempt) == (lost.key, lost.beat_id, 2)
    with pytest.raises(LeaseLostError):
        await store.finish_beat(lost, result(), next_due_at=at(30))
    record = await other.finish_beat(retry, result(started=at(6)), next_due_at=at(30))
    assert (record.status, record.attempt) == ("finished", 2)
    assert len(await store.list_beats()) == 1
    with pytest.raises(LeaseLostError):
        await other.finish_beat(retry, result(), next_due_at=at(60))  # never finished twice


async def test_expired_lease_is_taken_over_without_a_reap(store: Store) -> None:
    await scheduled(store)
    crashed = await claim_one(store, now=T0, worker="w1")
    retry = await claim_one(store, now=at(5), worker="w2")  # expiry is inclusive
    assert (retry.key, retry.beat_id, retry.attempt, retry.reason) == (
        crashed.key,
        crashed.beat_id,
        2,
        "interval",
    )
    assert (await store.get_beat(retry.beat_id)).status == "claimed"


async def test_finish_after_losing_the_lease_writes_nothing(store: Store) -> None:
    await scheduled(store)
    stale = await claim_one(store, now=T0, worker="w1")
    current = await claim_one(store, now=at(10), worker="w2")
    beat_before = await store.get_beat(stale.beat_id)
    schedule_before = await store.get_schedule("t1", MAIN)

    with pytest.raises(LeaseLostError, match="w1"):
        await store.finish_beat(
            stale,
            result("sent", ran_model=True, alert_text="x"),
            next_due_at=at(99),
            task_runs={"inbox": T0},
        )
    with pytest.raises(LeaseLostError):
        await store.defer_beat(stale, at(99), "busy")
    with pytest.raises(LeaseLostError):
        await store.renew_lease(stale, at(99))
    assert await store.get_beat(stale.beat_id) == beat_before
    assert await store.get_schedule("t1", MAIN) == schedule_before
    assert await store.last_alert("t1", T0) is None
    await store.finish_beat(current, result(), next_due_at=at(30))


async def test_stale_claim_of_the_same_worker_is_refused(store: Store) -> None:
    await scheduled(store)
    first = await claim_one(store, now=T0, worker="w1")
    await store.reap_expired(at(10))
    second = await claim_one(store, now=at(10), worker="w1")  # same worker id, new attempt
    with pytest.raises(LeaseLostError):
        await store.finish_beat(first, result(), next_due_at=at(30))
    await store.finish_beat(second, result(), next_due_at=at(30))


async def test_expired_lease_not_taken_can_still_finish(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store, now=T0)
    record = await store.finish_beat(claim, result(started=at(9)), next_due_at=at(30))
    assert record.status == "finished"


async def test_renew_lease(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store, now=T0)
    renewed = await store.renew_lease(claim, at(20))
    assert renewed == replace(claim, lease_expires_at=at(20))
    assert await store.claim_due(at(10), "w2", LEASE) == []
    assert await store.earliest_due() == at(20)
    await store.finish_beat(renewed, result(), next_due_at=at(30))  # old or renewed: same claim


async def test_defer_keeps_the_slot(store: Store) -> None:
    await scheduled(store, due=T0)
    claim = await claim_one(store, now=T0)
    record = await store.defer_beat(claim, at(0, 1), "busy", audit={"guards": ["disabled"]})
    assert (record.status, record.skip_reason, record.audit) == (
        "deferred",
        "busy",
        {"guards": ["disabled"]},
    )
    schedule = await schedule_of(store)
    assert (schedule.next_due_at, schedule.not_before, schedule.lease_owner) == (
        T0,
        at(0, 1),
        None,
    )
    assert await store.earliest_due() == at(0, 1)
    assert await store.claim_due(at(0, 0.5), "w1", LEASE) == []

    retry = await claim_one(store, now=at(0, 1))
    assert (retry.key, retry.beat_id, retry.attempt, retry.due_at) == (
        claim.key,
        claim.beat_id,
        2,
        T0,
    )
    record = await store.finish_beat(retry, result(), next_due_at=at(30))
    assert (record.status, record.attempt) == ("finished", 2)
    schedule = await schedule_of(store)
    assert schedule.not_before is None


async def test_finished_key_is_never_returned(store: Store) -> None:
    await scheduled(store, due=T0)
    claim = await claim_one(store, now=T0)
    await store.finish_beat(claim, result(), next_due_at=at(30))
    await store.put_schedule("t1", MAIN, next_due_at=T0, phase_seconds=0, fingerprint="30m")

    assert await store.claim_due(at(1), "w1", LEASE) == []
    assert await store.claim_wake("t1", MAIN, "manual", T0, "w1", LEASE) is None
    stale = await store.stale_schedules(at(1))
    assert [(s.thread_id, s.skill, s.next_due_at) for s in stale] == [("t1", MAIN, T0)]
    assert await store.earliest_due() == T0  # reported until the caller skips past it

    await store.put_schedule("t1", MAIN, next_due_at=at(30), phase_seconds=0, fingerprint="30m")
    assert await store.stale_schedules(at(30)) == []
    assert [c.due_at for c in await store.claim_due(at(30), "w1", LEASE)] == [at(30)]


async def test_stale_schedules_lists_only_finished_slots(store: Store) -> None:
    await scheduled(store, "t1", due=T0)
    await scheduled(store, "t2", due=T0)
    done = await store.claim_due(T0, "w1", LEASE, limit=1)
    await store.finish_beat(done[0], result(), next_due_at=T0)  # a caller bug: the same slot
    assert [s.thread_id for s in await store.stale_schedules(at(1))] == ["t1"]
    assert [c.thread_id for c in await store.claim_due(at(1), "w1", LEASE)] == ["t2"]
    assert [s.thread_id for s in await store.stale_schedules(at(1))] == ["t1"]  # t2 is leased
    assert await store.stale_schedules(at(-1)) == []


async def test_claim_wake_is_keyed_by_its_time_and_leaves_the_slot(store: Store) -> None:
    await scheduled(store, due=at(30))
    wake = await store.claim_wake("t1", MAIN, "manual", at(3), "w1", LEASE)
    assert wake is not None
    assert (wake.key, wake.due_at, wake.reason, wake.attempt) == (
        beat_key("t1", MAIN, at(3)),
        at(3),
        "manual",
        1,
    )
    assert wake.lease_expires_at == at(3) + LEASE
    assert await store.claim_wake("t1", MAIN, "event", at(4), "w2", LEASE) is None  # busy
    await store.finish_beat(wake, result(started=at(3)), next_due_at=at(99), advance=False)
    schedule = await schedule_of(store)
    assert (schedule.next_due_at, schedule.last_started_at, schedule.lease_owner) == (
        at(30),
        at(3),
        None,
    )
    assert (await claim_one(store, now=at(30))).key == beat_key("t1", MAIN, at(30))


async def test_claim_wake_without_a_schedule(store: Store) -> None:
    await add_thread(store)
    wake = await store.claim_wake("t1", "news", "skill:news", at(1), "w1", LEASE)
    assert wake is not None and wake.skill == "news"
    schedule = await schedule_of(store, skill="news")
    assert (schedule.next_due_at, schedule.lease_owner) == (None, "w1")
    await store.finish_beat(wake, result(), next_due_at=None, advance=False)
    assert await store.earliest_due() is None
    with pytest.raises(NotFoundError, match="'ghost'"):
        await store.claim_wake("ghost", MAIN, "manual", at(1), "w1", LEASE)


async def test_claim_wake_takes_over_an_expired_lease(store: Store) -> None:
    await scheduled(store, due=T0)
    crashed = await claim_one(store, now=T0)
    wake = await store.claim_wake("t1", MAIN, "manual", at(6), "w2", LEASE)
    assert wake is not None and wake.attempt == 1
    assert (await store.get_beat(crashed.beat_id)).status == "interrupted"
    with pytest.raises(LeaseLostError):
        await store.finish_beat(crashed, result(), next_due_at=at(30))


async def test_finish_moves_the_schedule_on(store: Store) -> None:
    await scheduled(store, due=T0)
    claim = await claim_one(store, now=T0)
    await store.finish_beat(
        claim,
        result(started=at(0, 10), ran_model=True),
        next_due_at=at(30),
        task_runs={"inbox": at(0, 10), "backup": T0},
    )
    claim = await claim_one(store, now=at(30))
    await store.finish_beat(
        claim,
        result("skipped", started=at(30), skip_reason="quiet-hours"),
        next_due_at=at(60),
        task_runs={"inbox": at(30)},
    )
    schedule = await schedule_of(store)
    assert schedule.next_due_at == at(60)
    assert (schedule.last_started_at, schedule.last_finished_at) == (at(30), at(30, 3))
    assert schedule.task_last_run == {"inbox": at(30), "backup": T0}
    assert schedule.recent_starts == (at(0, 10),)  # the skipped beat did not run the model


async def test_recent_starts_are_bounded(store: Store) -> None:
    await scheduled(store, due=T0)
    for i in range(30):
        wake = await store.claim_wake("t1", MAIN, "manual", at(0, i * 10), "w1", LEASE)
        assert wake is not None
        await store.finish_beat(
            wake, result(started=at(0, i * 10), ran_model=True), next_due_at=None, advance=False
        )
    schedule = await schedule_of(store)
    starts = schedule.recent_starts
    assert list(starts) == sorted(starts)
    assert starts[-1] == at(0, 290)
    assert 5 <= len(starts) <= 20  # enough for the flood guard, never unbounded
    assert all(starts[-1] - s < timedelta(minutes=10) for s in starts)


async def test_reap_expired_counts_and_interrupts(store: Store) -> None:
    for i in range(3):
        await scheduled(store, f"t{i}", due=T0)
    claims = await store.claim_due(T0, "w1", LEASE)
    await store.renew_lease(claims[2], at(20))
    assert await store.reap_expired(at(6)) == 2
    assert [(await store.get_beat(c.beat_id)).status for c in claims] == [
        "interrupted",
        "interrupted",
        "claimed",
    ]
    assert await store.reap_expired(at(6)) == 0


async def test_deleting_a_schedule_in_flight_loses_the_lease(store: Store) -> None:
    await scheduled(store, skill="news")
    claim = await claim_one(store)
    await store.delete_schedule("t1", "news")
    assert (await store.get_beat(claim.beat_id)).status == "interrupted"
    with pytest.raises(LeaseLostError):
        await store.finish_beat(claim, result(), next_due_at=at(30))


# -- system events ----------------------------------------------------------------------------


async def test_events_queue_pending_consume(store: Store) -> None:
    await add_thread(store, "t1")
    await add_thread(store, "t2")
    first = await store.queue_event("t1", "deploy done", at(1))
    second = await store.queue_event("t1", "disk full", at(2), source="cli")
    await store.queue_event("t2", "other", at(1))
    assert (first.thread_id, first.text, first.created_at, first.source, first.consumed_at) == (
        "t1",
        "deploy done",
        at(1),
        "api",
        None,
    )
    assert await store.pending_events("t1") == [first, second]
    await store.consume_events([first.id], at(3))
    assert await store.pending_events("t1") == [second]
    await store.consume_events([first.id, second.id, 12345], at(4))
    assert await store.pending_events("t1") == []
    assert len(await store.pending_events("t2")) == 1
    await store.consume_events([], at(5))
    with pytest.raises(NotFoundError, match="'ghost'"):
        await store.queue_event("ghost", "x", T0)


# -- beats ------------------------------------------------------------------------------------


async def test_get_beat_and_by_key(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store)
    by_key = await store.get_beat_by_key(claim.key)
    assert by_key is not None and by_key == await store.get_beat(claim.beat_id)
    assert await store.get_beat_by_key("t1@nowhere") is None
    with pytest.raises(NotFoundError, match="beat 999"):
        await store.get_beat(999)


async def _beat(store: Store, thread_id: str, due: datetime, outcome: str, **kw: Any) -> int:
    await store.put_schedule(thread_id, MAIN, next_due_at=due, phase_seconds=0, fingerprint="")
    claim = (await store.claim_due(due, "w1", LEASE))[0]
    await store.finish_beat(claim, result(outcome, started=due, **kw), next_due_at=None)
    return claim.beat_id


async def test_list_beats_newest_first_with_filters(store: Store) -> None:
    await add_thread(store, "t1")
    await add_thread(store, "t2")
    b1 = await _beat(store, "t1", at(0), "ok-token")
    b2 = await _beat(store, "t2", at(10), "sent")
    b3 = await _beat(store, "t1", at(20), "sent")
    b4 = await _beat(store, "t1", at(30), "skipped", skip_reason="idle")

    def ids(beats: list[Any]) -> list[int]:
        return [b.id for b in beats]

    assert ids(await store.list_beats()) == [b4, b3, b2, b1]
    assert ids(await store.list_beats(thread_id="t1")) == [b4, b3, b1]
    assert ids(await store.list_beats(outcome="sent")) == [b3, b2]
    assert ids(await store.list_beats(thread_id="t1", outcome="sent")) == [b3]
    assert ids(await store.list_beats(since=at(10), until=at(30))) == [b3, b2]
    assert ids(await store.list_beats(limit=2)) == [b4, b3]
    assert ids(await store.list_beats(limit=2, offset=2)) == [b2, b1]
    assert (await store.list_beats(outcome="skipped"))[0].skip_reason == "idle"


async def test_search_beats_counts_filters_text_and_reason(store: Store) -> None:
    await add_thread(store, "t1")
    await add_thread(store, "t2")
    b1 = await _beat(store, "t1", at(0), "sent", alert_text="Kettle is ON", prompt_tokens=5)
    b2 = await _beat(store, "t2", at(10), "skipped", skip_reason="quiet-hours")
    b3 = await _beat(store, "t1", at(20), "failed", error="provider-unreachable: http://x")
    b4 = await _beat(store, "t1", at(30), "sent", alert_text="100% done_ok")

    def ids(page: BeatPage) -> list[int]:
        return [b.id for b in page.items]

    everything = await store.search_beats(BeatQuery(), limit=2, offset=0)
    assert (ids(everything), everything.total) == ([b4, b3], 4)
    assert ids(await store.search_beats(BeatQuery(text="kettle"), limit=9, offset=0)) == [b1]
    assert ids(await store.search_beats(BeatQuery(text="0% d"), limit=9, offset=0)) == [b4]
    assert ids(await store.search_beats(BeatQuery(text="_"), limit=9, offset=0)) == [b4]
    reason = BeatQuery(reason="provider-unreachable")
    assert ids(await store.search_beats(reason, limit=9, offset=0)) == [b3]
    quiet = BeatQuery(reason="quiet-hours", thread_id="t2", status="finished")
    assert ids(await store.search_beats(quiet, limit=9, offset=0)) == [b2]
    ranged = await store.search_beats(BeatQuery(since=at(10), until=at(30)), limit=9, offset=0)
    assert (ids(ranged), ranged.total) == ([b3, b2], 2)


async def test_beat_buckets_and_thread_facts(store: Store) -> None:
    await add_thread(store, "t1")
    await add_thread(store, "t2")
    await _beat(store, "t1", at(0), "sent", prompt_tokens=10, completion_tokens=2)
    await _beat(store, "t1", at(70), "ok-token", prompt_tokens=4)
    last = await _beat(store, "t1", at(80), "skipped", skip_reason="idle")
    buckets = await store.beat_buckets(BeatQuery(), timedelta(hours=1))
    assert [(b.start, b.outcomes, b.tokens) for b in buckets] == [
        (at(0), {"sent": 1}, 12),
        (at(60), {"ok-token": 1, "skipped": 1}, 4),
    ]
    assert (buckets[0].model_beats, buckets[0].avg_ms, buckets[0].max_ms) == (1, 3000.0, 3000.0)
    facts = await store.thread_facts(["t1", "t2"], at(60))
    assert facts["t1"].last is not None and facts["t1"].last.id == last
    assert (facts["t1"].tokens, facts["t2"].last, facts["t2"].tokens) == (4, None, 0)


async def test_fleet_rows_are_lean_threads_with_main_schedule_times(store: Store) -> None:
    await add_thread(store, "t2", title="Second", enabled=False, config={"every": "1h"})
    await scheduled(store, "t1", due=at(5))
    await scheduled(store, "t1", due=at(9), skill="inbox")
    rows = await store.fleet_rows()
    assert [(r.thread_id, r.title, r.enabled, r.next_due_at) for r in rows] == [
        ("t1", "", True, at(5)),
        ("t2", "Second", False, None),
    ]
    assert json.loads(rows[1].config_json) == {"every": "1h"}


async def test_tokens_used_and_last_alert(store: Store) -> None:
    await add_thread(store, "t1")
    await add_thread(store, "t2")
    await _beat(store, "t1", at(0), "sent", prompt_tokens=100, completion_tokens=20, alert_text="a")
    await _beat(store, "t1", at(10), "sent", prompt_tokens=50, completion_tokens=5, alert_text="b")
    await _beat(store, "t1", at(20), "ok-token", prompt_tokens=7, completion_tokens=1)
    await _beat(store, "t2", at(20), "sent", prompt_tokens=1000, alert_text="other")
    assert await store.tokens_used("t1", T0) == 183
    assert await store.tokens_used("t1", at(10)) == 63  # finished at at(10, 3) and at(20, 3)
    assert await store.tokens_used("t1", at(21)) == 0
    assert await store.tokens_used("ghost", T0) == 0
    assert await store.last_alert("t1", T0) == "b"
    assert await store.last_alert("t1", at(11)) is None
    assert await store.last_alert("t2", T0) == "other"


async def test_audit_round_trips_as_json(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store)
    audit = {"guards": ["disabled", "quiet-hours"], "prompt": {"size": 12}, "at": at(1)}
    record = await store.finish_beat(claim, result(audit=audit), next_due_at=None)
    assert record.audit == {**audit, "at": "2026-01-01T00:01:00+00:00"}
    assert (await store.get_beat(claim.beat_id)).audit == record.audit


async def test_audit_that_is_not_json_is_refused_and_nothing_written(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store)
    with pytest.raises(ValueError, match="audit"):
        await store.finish_beat(claim, result(audit={"x": object()}), next_due_at=None)
    assert (await store.get_beat(claim.beat_id)).status == "claimed"


# -- datetimes --------------------------------------------------------------------------------


async def test_datetimes_come_back_aware_utc(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 1, 1, 2, 0, 0, 123456, tzinfo=plus_two)  # = T0 + 123456 µs
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    thread = await store.add_thread(Thread(id="t1", agent_id="a1", created_at=local))
    assert thread.created_at == T0 + timedelta(microseconds=123456)
    assert thread.created_at.tzinfo is UTC or thread.created_at.utcoffset() == timedelta(0)
    message = await store.add_message("t1", "user", "hi", local)
    schedule = await store.put_schedule(
        "t1", MAIN, next_due_at=local, phase_seconds=0, fingerprint=""
    )
    claim = await claim_one(store, now=local)
    for moment in (
        thread.created_at,
        message.created_at,
        schedule.next_due_at,
        claim.due_at,
        claim.lease_expires_at,
    ):
        assert moment is not None and moment.utcoffset() == timedelta(0)
        assert moment.isoformat().endswith("+00:00")
    assert claim.key == "t1@2026-01-01T00:00:00.123456+00:00"
    assert (await store.get_thread("t1")).created_at == local


@pytest.mark.parametrize(
    "call",
    [
        "add_thread",
        "add_message",
        "put_schedule",
        "claim_due",
        "claim_wake",
        "queue_event",
        "reap_expired",
        "messages",
        "list_beats",
        "tokens_used",
    ],
)
async def test_naive_datetimes_are_refused(store: Store, call: str) -> None:
    naive = datetime(2026, 1, 1)
    await add_thread(store)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "add_thread": lambda: store.add_thread(Thread(id="t2", agent_id="a1", created_at=naive)),
        "add_message": lambda: store.add_message("t1", "user", "hi", naive),
        "put_schedule": lambda: store.put_schedule(
            "t1", MAIN, next_due_at=naive, phase_seconds=0, fingerprint=""
        ),
        "claim_due": lambda: store.claim_due(naive, "w1", LEASE),
        "claim_wake": lambda: store.claim_wake("t1", MAIN, "manual", naive, "w1", LEASE),
        "queue_event": lambda: store.queue_event("t1", "x", naive),
        "reap_expired": lambda: store.reap_expired(naive),
        "messages": lambda: store.messages("t1", since=naive),
        "list_beats": lambda: store.list_beats(since=naive),
        "tokens_used": lambda: store.tokens_used("t1", naive),
    }
    with pytest.raises(ValueError, match="naive"):
        await calls[call]()
    assert [t.id for t in await store.list_threads()] == ["t1"]
    assert await store.list_schedules() == []


async def test_naive_datetimes_in_results_are_refused(store: Store) -> None:
    await scheduled(store)
    claim = await claim_one(store)
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="naive"):
        await store.finish_beat(claim, result(started=naive), next_due_at=at(30))
    with pytest.raises(ValueError, match="naive"):
        await store.finish_beat(claim, result(), next_due_at=naive)
    with pytest.raises(ValueError, match="naive"):
        await store.finish_beat(claim, result(), next_due_at=at(30), task_runs={"x": naive})
    with pytest.raises(ValueError, match="naive"):
        await store.defer_beat(claim, naive, "busy")
    with pytest.raises(ValueError, match="naive"):
        await store.renew_lease(claim, naive)
    assert (await store.get_beat(claim.beat_id)).status == "claimed"


# -- fleet paths: revisions, bulk adds, retention (issue 12) ---------------------------------


async def test_threads_changed_since_finds_every_change_in_order(store: Store) -> None:
    await add_thread(store, "t1")
    await store.add_threads(Thread(id=f"b{i}", agent_id="a1", created_at=T0) for i in range(3))
    start = await store.thread_revision()
    assert start == 4
    assert await store.threads_changed_since(start) == []
    await store.set_thread_config("b1", {"every": "5m"})
    await store.set_thread_enabled("t1", False)
    await store.add_message("b2", "user", "hi", at(1))  # activity is not a planning input
    changed = await store.threads_changed_since(start)
    assert [t.id for t in changed] == ["b1", "t1"]
    assert [t.revision for t in changed] == [start + 1, start + 2]
    assert await store.thread_revision() == start + 2
    # pages from revision 0 (a fleet planned a page at a time): every thread once, in order
    first = await store.threads_changed_since(0, limit=2)
    rest = await store.threads_changed_since(first[-1].revision, limit=2)
    last = await store.threads_changed_since(rest[-1].revision, limit=2)
    assert [t.id for t in [*first, *rest, *last]] == ["b0", "b2", "b1", "t1"]
    assert last == [] and await store.threads_changed_since(0, limit=0) == []


async def test_add_threads_is_all_or_nothing_with_named_errors(store: Store) -> None:
    await add_thread(store, "t1")
    with pytest.raises(StoreError, match="'t1'"):
        await store.add_threads(
            [Thread(id="n1", agent_id="a1", created_at=T0), Thread("t1", "a1", T0)]
        )
    with pytest.raises(NotFoundError, match="'nobody'"):
        await store.add_threads([Thread(id="n2", agent_id="nobody", created_at=T0)])
    assert [t.id for t in await store.list_threads()] == ["t1"]


async def test_put_schedules_keeps_slots_when_asked(store: Store) -> None:
    await scheduled(store, "t1", at(10))
    planned = replace(await schedule_of(store), next_due_at=at(99), inputs="r9")
    assert await store.put_schedules([planned], keep_slots=True) == 1
    kept = await schedule_of(store)
    assert (kept.next_due_at, kept.inputs) == (at(10), "r9")
    await store.put_schedules([replace(planned, inputs="r10")])
    moved = await schedule_of(store)
    assert (moved.next_due_at, moved.inputs) == (at(99), "r10")
    with pytest.raises(NotFoundError, match="'ghost'"):
        await store.put_schedules([replace(planned, thread_id="ghost")])


async def test_prune_deletes_only_what_is_older_than_the_cut(store: Store) -> None:
    for minute in (0, 10, 20):
        await scheduled(store, "t1", at(minute))
        claim = await claim_one(store, at(minute))
        await store.finish_beat(claim, result(started=at(minute)), next_due_at=at(minute + 10))
    event = await store.queue_event("t1", "old news", at(0))
    await store.consume_events([event.id], at(1))
    await store.queue_event("t1", "still queued", at(0))
    deleted = await store.prune(at(15))
    assert deleted["beats"] == 2 and deleted["events"] == 1
    assert [b.due_at for b in await store.list_beats()] == [at(20)]
    assert [e.text for e in await store.pending_events("t1")] == ["still queued"]
    assert (await store.prune(at(15)))["beats"] == 0


async def test_prune_keeps_the_record_a_schedule_still_points_at(store: Store) -> None:
    await scheduled(store, "t1", at(0))
    claim = await claim_one(store, at(0))
    await store.finish_beat(claim, result(started=at(0)), next_due_at=at(10))
    assert (await store.prune(at(600)))["beats"] == 0
    assert len(await store.list_beats()) == 1


async def test_a_repeated_skip_folds_into_the_previous_record(store: Store) -> None:
    skipped = result("skipped", skip_reason="empty-heartbeat-file")
    for minute in (0, 10, 20):
        await scheduled(store, "t1", at(minute))
        claim = await claim_one(store, at(minute))
        record = await store.finish_beat(
            claim, replace(skipped, started_at=at(minute)), next_due_at=at(minute + 10)
        )
    assert (record.repeats, record.due_at, record.last_due_at) == (3, at(0), at(20))
    assert [b.repeats for b in await store.list_beats()] == [3]
    assert (await schedule_of(store)).next_due_at == at(30)
    other = result("skipped", skip_reason="idle", started=at(30))
    await scheduled(store, "t1", at(30))
    await store.finish_beat(await claim_one(store, at(30)), other, next_due_at=at(40))
    assert [(b.skip_reason, b.repeats) for b in await store.list_beats()] == [
        ("idle", 1),
        ("empty-heartbeat-file", 3),
    ]


async def test_a_skip_after_a_model_turn_never_folds(store: Store) -> None:
    """Only a guard's skip folds; a turn that ran (its actions rejected, say) keeps its record."""
    turned = result("skipped", skip_reason="rejected", ran_model=True)
    for minute in (0, 10):
        await scheduled(store, "t1", at(minute))
        claim = await claim_one(store, at(minute))
        await store.finish_beat(
            claim, replace(turned, started_at=at(minute)), next_due_at=at(minute + 10)
        )
    assert [b.repeats for b in await store.list_beats()] == [1, 1]
