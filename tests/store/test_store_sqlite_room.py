"""Room in a planned schedule row for its first beat (issue 12, SQLite migration 018).

A fleet is planned in one bulk insert, which packs the schedules table's pages full. A row with
no room grows at its first claim (the lease) and first finish (the result) and splits its page;
a row planned with room gives the room up at its first claim and stays inside its page."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soulbeat.store.records import Agent, BeatResult, Schedule, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.store.sqlite.claims import ROOM

T0 = datetime(2026, 1, 1, tzinfo=UTC)
THREADS = 600


def _pages(db: Path) -> int:
    """Pages of the schedules table itself (not its indexes), from SQLite's dbstat table."""
    with sqlite3.connect(db) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM dbstat WHERE name = 'schedules'").fetchone()
        except sqlite3.OperationalError:
            pytest.skip("this SQLite is built without the dbstat table")
    return int(row[0])


def _rooms(db: Path) -> list[int | None]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT length(room) FROM schedules ORDER BY rowid")]


async def test_first_beats_of_a_planned_fleet_fit_in_the_pages_it_was_planned_in(
    tmp_path: Path,
) -> None:
    db = tmp_path / "soulbeat.db"
    store = SQLiteStore(db)
    await store.open()
    try:
        await store.upsert_agent(Agent(id="default", workspace=str(tmp_path)))
        await store.add_threads(
            Thread(id=f"t{i:04d}", agent_id="default", created_at=T0) for i in range(THREADS)
        )
        due = [T0 + timedelta(seconds=i) for i in range(THREADS)]
        await store.put_schedules(
            Schedule(thread_id=f"t{i:04d}", skill="main", next_due_at=due[i], fingerprint="f")
            for i in range(THREADS)
        )
        assert set(_rooms(db)) == {ROOM}  # every planned row holds its room
        planned = _pages(db)

        now = T0 + timedelta(seconds=THREADS)
        claims = await store.claim_due(
            now, "host-name:12345:0a1b2c3d", timedelta(seconds=30), limit=THREADS
        )
        assert len(claims) == THREADS
        assert set(_rooms(db)) == {None}  # the claim gave the room to the lease
        for claim in claims:
            started = claim.due_at + timedelta(milliseconds=3)
            result = BeatResult("ok-token", started, started, ran_model=True)
            await store.finish_beat(claim, result, next_due_at=claim.due_at + timedelta(hours=1))

        assert _pages(db) == planned  # no page split: every first beat fit where it was planned
        # and re-planning keeps a row's history without giving it room again
        await store.put_schedules(
            [Schedule(thread_id="t0000", skill="main", next_due_at=now, fingerprint="g")]
        )
        assert _rooms(db)[0] is None
    finally:
        await store.close()
