"""The decisions-and-effects part of the store contract (SPEC §9.4; `Store.record_decision`,
`start_effect`, `finish_effect`, `add_message(effect=...)`), run against every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from soulbeat.store.base import Store
from soulbeat.store.records import Agent, EffectRef, Thread

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "t1@2026-01-01T00:00:00+00:00"


async def thread(store: Store) -> None:
    await store.upsert_agent(Agent(id="a1", workspace="/w/a1"))
    await store.add_thread(Thread(id="t1", agent_id="a1", created_at=T0))


async def test_the_first_decision_of_a_round_is_kept(store: Store) -> None:
    assert await store.decisions(KEY) == []
    kept = await store.record_decision(KEY, 0, {"text": "first", "n": [1, 2]}, T0)
    assert kept == {"text": "first", "n": [1, 2]}
    again = await store.record_decision(KEY, 0, {"text": "second"}, T0 + timedelta(seconds=1))
    assert again == {"text": "first", "n": [1, 2]}  # a re-asked model does not replace it
    await store.record_decision(KEY, 1, {"text": "round two"}, T0)
    await store.record_decision("other@x", 0, {"text": "other beat"}, T0)
    assert await store.decisions(KEY) == [{"text": "first", "n": [1, 2]}, {"text": "round two"}]


async def test_effects_start_then_finish_and_merge_their_data(store: Store) -> None:
    hook = EffectRef(KEY, 1, "delivery:alert")
    started = await store.start_effect(hook, T0)
    assert (started.state, started.attempts, started.kind, dict(started.data)) == (
        "started",
        1,
        "delivery:alert",
        {},
    )
    again = await store.start_effect(hook, T0 + timedelta(seconds=5))  # a retry after a crash
    assert (again.state, again.attempts, again.updated_at) == (
        "started",
        2,
        T0 + timedelta(seconds=5),
    )
    done = await store.finish_effect(hook, {"delivery": {"ok": True}}, T0 + timedelta(seconds=6))
    assert (done.state, done.attempts, dict(done.data)) == ("done", 2, {"delivery": {"ok": True}})
    kept = await store.start_effect(hook, T0 + timedelta(seconds=7))  # done stays done
    assert (kept.state, kept.attempts) == ("done", 2)
    merged = await store.finish_effect(hook, {"result": {"status": "executed"}}, T0)
    assert dict(merged.data) == {"delivery": {"ok": True}, "result": {"status": "executed"}}

    post = EffectRef(KEY, 0, "post")
    made = await store.finish_effect(post, {"post_id": 7}, T0)  # no start needed
    assert (made.state, made.attempts) == ("done", 1)
    assert [(e.index, e.kind, e.state) for e in await store.effects(KEY)] == [
        (0, "post", "done"),
        (1, "delivery:alert", "done"),
    ]
    assert await store.effects("other@x") == []


async def test_a_message_under_an_effect_is_added_once(store: Store) -> None:
    await thread(store)
    ref = EffectRef(KEY, 0, "message")
    first = await store.add_message("t1", "assistant", "disk full", T0, effect=ref)
    second = await store.add_message("t1", "assistant", "disk full", T0, effect=ref)
    assert second == first
    other = await store.add_message(
        "t1", "assistant", "disk full", T0, effect=EffectRef(KEY, 1, "message")
    )
    assert other.id != first.id
    plain = await store.add_message("t1", "assistant", "no effect", T0)
    assert [m.id for m in await store.messages("t1")] == [first.id, other.id, plain.id]
    [recorded, _] = await store.effects(KEY)
    assert (recorded.state, recorded.data["message_id"]) == ("done", first.id)


async def test_racing_attempts_add_one_message(store: Store) -> None:
    await thread(store)
    ref = EffectRef(KEY, 0, "message")
    made = await asyncio.gather(
        *(store.add_message("t1", "assistant", "alert", T0, effect=ref) for _ in range(5))
    )
    assert len({m.id for m in made}) == 1
    assert len(await store.messages("t1")) == 1
