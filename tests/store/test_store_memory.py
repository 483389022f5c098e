"""The memory part of the store contract (issue 15, migration 008): the per-thread scratch with
compare-and-swap and exactly-once writes under an effect ref, MEMORY.md versions, and the
quiet-thread check; run against every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.errors import ScratchConflictError
from soulbeat.store.base import Store
from soulbeat.store.records import Agent, EffectRef, Thread

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "t1@2026-01-01T00:00:00+00:00"


async def thread(store: Store) -> None:
    await store.upsert_agent(Agent(id="a1", workspace="/w/a1"))
    await store.add_thread(Thread(id="t1", agent_id="a1", created_at=T0))


async def test_a_scratch_never_written_is_revision_zero(store: Store) -> None:
    await thread(store)
    empty = await store.get_scratch("t1")
    assert (empty.revision, empty.content, empty.updated_at) == (0, "", None)


async def test_scratch_writes_count_revisions_and_refuse_a_stale_base(store: Store) -> None:
    await thread(store)
    first = await store.write_scratch("t1", "check CI at 9", T0, expected_revision=0)
    assert (first.revision, first.content, first.updated_at) == (1, "check CI at 9", T0)
    second = await store.write_scratch(
        "t1", "CI green", T0 + timedelta(minutes=1), expected_revision=1, beat_key=KEY
    )
    assert (second.revision, second.beat_key) == (2, KEY)
    with pytest.raises(ScratchConflictError) as caught:
        await store.write_scratch("t1", "stale", T0, expected_revision=1)
    assert (caught.value.expected, caught.value.current) == (1, 2)
    assert "revision 2, not 1" in str(caught.value)
    assert (await store.get_scratch("t1")).content == "CI green"  # nothing was written
    blind = await store.write_scratch("t1", "no base", T0, expected_revision=None)
    assert blind.revision == 3


async def test_a_scratch_write_under_an_effect_happens_once(store: Store) -> None:
    await thread(store)
    ref = EffectRef(KEY, 2, "scratch")
    made = await store.write_scratch("t1", "note", T0, expected_revision=0, effect=ref)
    assert made.revision == 1
    # the same beat re-run after a crash: same ref, same base revision; no second write, no conflict
    again = await store.write_scratch("t1", "note", T0, expected_revision=0, effect=ref)
    assert again.revision == 1
    effect = next(e for e in await store.effects(KEY) if e.index == 2)
    assert (effect.state, dict(effect.data)) == ("done", {"scratch_revision": 1})


async def test_memory_file_versions_are_kept_like_the_soul(store: Store) -> None:
    await thread(store)
    one = await store.add_file_version("a1", "memory", "# Memory\n", T0, source="api")
    two = await store.add_file_version("a1", "memory", "# Memory\n- x\n", T0, source="beat:k")
    assert (one.version, two.version, two.source) == (1, 2, "beat:k")
    assert [v.version for v in await store.file_versions("a1", "memory")] == [2, 1]


async def test_thread_changes_count_what_arrived_after_an_instant(store: Store) -> None:
    await thread(store)
    after = T0 + timedelta(hours=1)
    assert not (await store.thread_changes("t1", "a1", after)).any
    await store.add_message("t1", "user", "old", T0)  # before: not new
    await store.add_message("t1", "assistant", "my alert", after + timedelta(minutes=1))
    assert not (await store.thread_changes("t1", "a1", after)).any  # its own words are not news
    await store.add_message("t1", "user", "hi", after + timedelta(minutes=2))
    await store.queue_event("t1", "deploy", after)
    await store.write_scratch("t1", "n", after + timedelta(minutes=3))
    await store.add_file_version("a1", "memory", "m", after + timedelta(minutes=4), source="api")
    changes = await store.thread_changes("t1", "a1", after)
    assert (changes.messages, changes.events, changes.scratch_edits, changes.memory_edits) == (
        1,
        1,
        1,
        1,
    )
    assert changes.any
    later = await store.thread_changes("t1", "a1", after + timedelta(hours=1))
    assert (later.messages, later.scratch_edits, later.events) == (0, 0, 1)  # events until consumed
