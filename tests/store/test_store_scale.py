"""The SQLite store with 10,000 threads: due work is found through indexes, never a table scan."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soulbeat.store.codec import to_micros
from soulbeat.store.records import MAIN, Agent, Schedule, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.store.sqlite.claims import DUE_SQL, EARLIEST_FREE_SQL, EARLIEST_LEASE_SQL

T0 = datetime(2026, 1, 1, tzinfo=UTC)
THREADS = 10_000
DUE_NOW = 10


@pytest.fixture
async def big_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """10,000 threads, each with a main schedule: `DUE_NOW` due at T0, the rest spread over the
    following week. Inserted with the store's bulk methods (one transaction each)."""
    store = SQLiteStore(tmp_path / "big.db")
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    await store.add_threads(
        Thread(id=f"t{i:05}", agent_id="a1", created_at=T0) for i in range(THREADS)
    )
    await store.put_schedules(
        Schedule(thread_id=f"t{i:05}", skill=MAIN, next_due_at=_due(i), fingerprint="1w")
        for i in range(THREADS)
    )
    yield store
    await store.close()


def _due(i: int) -> datetime:
    if i % (THREADS // DUE_NOW) == 0:  # ten threads spread through the table are due at T0
        return T0 - timedelta(seconds=i)
    return T0 + timedelta(minutes=1 + i % 10_080)


def _plan(path: Path, sql: str, params: dict[str, int] | None = None) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params or {}).fetchall()
    return [str(row[-1]) for row in rows]


async def test_due_and_earliest_queries_use_indexes(big_store: SQLiteStore) -> None:
    plans = {
        "due": _plan(big_store.path, DUE_SQL, {"now": to_micros(T0), "due": to_micros(T0)}),
        "earliest free": _plan(big_store.path, EARLIEST_FREE_SQL),
        "earliest lease": _plan(big_store.path, EARLIEST_LEASE_SQL),
    }
    for name, plan in plans.items():
        assert not any(step.startswith("SCAN schedules") for step in plan), (name, plan)
        assert not any("TEMP B-TREE" in step for step in plan), (name, plan)
    assert any("USING INDEX schedules_by_eligible" in step for step in plans["due"])
    assert any("USING INDEX schedules_by_eligible" in step for step in plans["earliest free"])
    assert any("schedules_by_lease" in step for step in plans["earliest lease"])


async def test_claim_due_finds_exactly_the_due_ones(big_store: SQLiteStore) -> None:
    assert await big_store.earliest_due() == T0 - timedelta(seconds=9_000)
    claims = await big_store.claim_due(T0, "w1", timedelta(minutes=5), limit=100)
    expected = sorted((f"t{i:05}" for i in range(0, THREADS, THREADS // DUE_NOW)), reverse=True)
    assert [c.thread_id for c in claims] == expected  # earliest due first
    assert await big_store.claim_due(T0, "w2", timedelta(minutes=5)) == []
    assert await big_store.earliest_due() == T0 + timedelta(minutes=2)  # thread 1; leases end at 5
