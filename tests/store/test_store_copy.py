"""`soulbeat migrate` and `soulbeat db copy`: an installation moves from SQLite to PostgreSQL
with its whole history (ids, beats, messages, file versions, the board, the action log)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.errors import StoreError
from soulbeat.store.copy import copy_database, migrate_database
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.records import Agent, BeatResult, Thread
from soulbeat.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=5)
runner = CliRunner()


async def _installation(path: Path) -> None:
    """A SQLite store with a bit of everything: a disabled thread, beats (finished and in
    flight), messages, a queued event, file versions and a board post."""
    store = SQLiteStore(path)
    await store.open()
    await store.install_seed()  # the phases of every schedule derive from it: it must move too
    await store.upsert_agent(Agent(id="a1", workspace="/w", config={"every": "1h"}))
    await store.add_thread(Thread(id="t1", agent_id="a1", created_at=T0, title="ops"))
    await store.add_thread(Thread(id="t2", agent_id="a1", created_at=T0, enabled=False))
    await store.put_schedule("t1", "", next_due_at=T0, phase_seconds=12.5, fingerprint="1h")
    (claim,) = await store.claim_due(T0, "w1", LEASE)
    done = BeatResult("sent", T0, T0 + timedelta(seconds=2), alert_text="disk", audit={"a": 1})
    await store.finish_beat(claim, done, next_due_at=T0 + timedelta(hours=1))
    await store.add_message("t1", "user", "hello", T0, channel="api")
    await store.add_message("t1", "assistant", "disk", T0, beat_id=claim.beat_id)
    await store.queue_event("t1", "deploy", T0)
    await store.add_file_version("a1", "soul", "# Soul", T0, source="api")
    (late,) = await store.claim_due(T0 + timedelta(hours=1), "w1", LEASE)  # left in flight
    assert late.attempt == 1
    await store.close()
    with sqlite3.connect(path) as conn:  # a board post, as the ledger writes it
        conn.execute(
            """INSERT INTO ledger_submolts (name, display_name, created_by_kind, created_by,
            created_at) VALUES ('general', 'General', 'person', 'ann', 0)"""
        )
        conn.execute(
            """INSERT INTO ledger_posts (submolt, author_kind, author, title, content,
            fingerprint, created_at, upvotes, hot_rank) VALUES
            ('general', 'person', 'ann', 'Hi', 'first', 'f', 0, 3, 1.5)"""
        )


async def test_copy_keeps_every_row_and_id(tmp_path: Path, postgres_url: str) -> None:
    path = tmp_path / "soulbeat.db"
    await _installation(path)
    report = await copy_database(f"sqlite:///{path}", postgres_url)
    assert report.rows["beats"] == 2 and report.rows["messages"] == 2
    assert report.rows["ledger_posts"] == 1

    source, copied = SQLiteStore(path), PostgresStore(postgres_url)
    await source.open()
    await copied.open()
    try:
        for read in (
            lambda s: s.list_threads(),
            lambda s: s.list_agents(),
            lambda s: s.list_schedules(),
            lambda s: s.list_beats(),
            lambda s: s.messages("t1"),
            lambda s: s.pending_events("t1"),
            lambda s: s.file_versions("a1", "soul"),
            lambda s: s.install_seed(),
        ):
            assert await read(copied) == await read(source)
        # the copy goes on where the source stopped: new ids follow the copied ones
        message = await copied.add_message("t1", "user", "after the move", T0)
        assert message.id == 3
        # and the beat left in flight is still leased: another worker cannot take it early
        assert await copied.claim_due(T0 + timedelta(hours=1), "w2", LEASE) == []
    finally:
        await source.close()
        await copied.close()
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT title, score FROM ledger_posts").fetchone()
    assert row == ("Hi", 3)


async def test_copy_refuses_a_destination_that_is_in_use(tmp_path: Path, postgres_url: str) -> None:
    path = tmp_path / "soulbeat.db"
    await _installation(path)
    await copy_database(f"sqlite:///{path}", postgres_url)
    with pytest.raises(StoreError, match="already holds threads"):
        await copy_database(f"sqlite:///{path}", postgres_url)


async def test_copy_names_what_is_wrong_with_its_arguments(
    tmp_path: Path, postgres_url: str
) -> None:
    with pytest.raises(StoreError, match="no SQLite store at"):
        await copy_database(f"sqlite:///{tmp_path / 'missing.db'}", postgres_url)
    with pytest.raises(StoreError, match="must be a postgresql:// URL"):
        await copy_database(f"sqlite:///{tmp_path / 'x.db'}", "mysql://db")
    with pytest.raises(StoreError, match="is not a SQLite URL"):
        await copy_database(str(tmp_path / "x.db"), postgres_url)


async def test_migrate_applies_pending_migrations_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'soulbeat.db'}"
    first = await migrate_database(url)
    assert first[0] == "001_initial"
    assert await migrate_database(url) == []


def test_cli_migrate_and_copy(tmp_path: Path, postgres_url: str) -> None:
    path = tmp_path / "soulbeat.db"
    import asyncio

    asyncio.run(_installation(path))
    migrated = runner.invoke(app, ["migrate", "--database-url", postgres_url])
    assert migrated.exit_code == 0, migrated.output
    assert "up to date" in migrated.output  # the test database comes migrated
    copied = runner.invoke(app, ["db", "copy", "--from", f"sqlite:///{path}", "--to", postgres_url])
    assert copied.exit_code == 0, copied.output
    assert "beats: 2" in copied.output
    again = runner.invoke(app, ["db", "copy", "--from", f"sqlite:///{path}", "--to", postgres_url])
    assert again.exit_code == 1
    assert "already holds threads" in again.output
