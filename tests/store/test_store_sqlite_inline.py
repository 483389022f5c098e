"""Where `SQLiteStore`'s jobs run (issue 12): small writes and reads at once on the event loop's
thread when the writer connection is free, the worker thread when it is not or when another
process holds SQLite's lock, and checkpoints on a thread of their own."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soulbeat.errors import StoreError
from soulbeat.store.records import Agent, BeatResult, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.store.sqlite.checkpoint import Checkpointer
from soulbeat.store.sqlite.connection import GROUP_FULL

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "soulbeat.db"


def _thread_of(conn: sqlite3.Connection) -> int:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', 'x')")
    return threading.get_ident()


async def test_a_small_write_runs_on_the_callers_thread_when_the_connection_is_free(
    db: Path,
) -> None:
    store = SQLiteStore(db)
    await store.open()
    try:
        assert await store._write_small(_thread_of) == threading.get_ident()
        assert await store._write(_thread_of) != threading.get_ident()  # a large one hops
    finally:
        await store.close()


async def test_a_write_waits_off_the_loop_for_another_process_and_then_lands(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        writing = asyncio.create_task(store.set_flag("scheduler.enabled", False))
        for _ in range(20):  # the loop goes on meanwhile: the write waits on the worker thread
            await asyncio.sleep(0)
        assert not writing.done()
        other.execute("COMMIT")
        await writing
        assert await store.get_flag("scheduler.enabled", True) is False
    finally:
        other.close()
        await store.close()


async def test_a_lock_held_past_the_busy_timeout_is_a_store_error(db: Path) -> None:
    store = SQLiteStore(db, busy_timeout=0.05)
    await store.open()
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            await store.set_flag("scheduler.enabled", False)
        other.execute("ROLLBACK")
        await store.set_flag("scheduler.enabled", False)  # and nothing is stuck after it
        assert await store.get_flag("scheduler.enabled", True) is False
    finally:
        other.close()
        await store.close()


async def test_while_the_worker_thread_holds_the_connection_reads_and_writes_still_work(
    db: Path,
) -> None:
    store = SQLiteStore(db)
    await store.open()
    await store.set_flag("x", True)
    holding, release = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        holding.set()
        release.wait(10)

    try:
        held = asyncio.create_task(store._read(hold))
        await asyncio.to_thread(holding.wait, 10)  # the worker thread holds the connection
        assert await store.get_flag("x", False) is True  # read on the second connection
        writing = asyncio.create_task(store.set_flag("x", False))  # queued behind the hold
        for _ in range(20):
            await asyncio.sleep(0)
        assert not writing.done()
        release.set()
        await held
        await writing
        assert await store.get_flag("x", True) is False
    finally:
        release.set()
        await store.close()


async def test_a_failing_small_write_is_rolled_back_and_raised(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()

    def half(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'written')")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    try:
        with pytest.raises(StoreError, match="no_such_table"):
            await store._write_small(half)
        rows = await store._read(lambda c: c.execute("SELECT * FROM meta WHERE key = 'half'"))
        assert rows.fetchall() == []
    finally:
        await store.close()


def test_the_checkpointer_copies_the_wal_into_the_database(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    checkpoints = Checkpointer(db, every=0)
    checkpoints.wrote()
    checkpoints.close()
    assert checkpoints.runs == 1
    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, copied) == (0, frames)  # nothing was left to copy
    conn.close()


async def test_writes_ask_for_checkpoints_and_close_ends_them(db: Path) -> None:
    store = SQLiteStore(db)
    store._checkpoints = Checkpointer(db, every=0)
    await store.open()
    await store.upsert_agent(Agent(id="a", workspace=str(db.parent), config={}))
    await store.set_flag("x", True)
    await store.close()
    assert store._checkpoints.runs >= 1


class _Commits:
    """Counts the COMMITs of the store's writer connection."""

    def __init__(self, store: SQLiteStore) -> None:
        self.count = 0
        assert store._conn is not None
        store._conn.set_trace_callback(self._seen)

    def _seen(self, sql: str) -> None:
        self.count += sql.strip().upper() == "COMMIT"


def _put(key: str) -> Callable[[sqlite3.Connection], str]:
    def job(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", (key,))
        return key

    return job


async def test_a_full_lingering_group_commits_at_once_in_one_transaction(db: Path) -> None:
    store = SQLiteStore(db, group_linger=3600)  # only being full can commit it here
    await store.open()
    try:
        commits = _Commits(store)
        keys = [f"k{i}" for i in range(GROUP_FULL)]
        assert (
            await asyncio.gather(*(store._write_grouped(_put(k), linger=True) for k in keys))
            == keys
        )
        assert commits.count == 1
        rows = await store._read(lambda c: c.execute("SELECT key FROM meta WHERE key LIKE 'k%'"))
        assert sorted(row[0] for row in rows.fetchall()) == keys
    finally:
        await store.close()


async def test_a_lingering_write_commits_when_the_linger_ends_or_the_store_closes(
    db: Path,
) -> None:
    store = SQLiteStore(db, group_linger=0.01)
    await store.open()
    commits = _Commits(store)
    assert (
        await store._write_grouped(_put("alone"), linger=True) == "alone"
    )  # after the linger, alone
    assert commits.count == 1
    store.group_linger = 3600
    waiting = asyncio.create_task(store._write_grouped(_put("at-close"), linger=True))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done()
    await store.close()  # commits what lingers before the connection goes
    assert await waiting == "at-close"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM meta WHERE key = 'at-close'").fetchone() == (1,)
    conn.close()


async def test_in_a_lingering_group_a_failing_write_is_undone_alone(db: Path) -> None:
    store = SQLiteStore(db, group_linger=3600)
    await store.open()

    def bad(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO meta (key, value) VALUES ('bad', 'x')")
        raise ValueError("no such lease")

    try:
        results = await asyncio.gather(
            store._write_grouped(_put("good"), linger=True),
            store._write_grouped(bad, linger=True),
            *(store._write_grouped(_put(f"more{i}"), linger=True) for i in range(GROUP_FULL - 2)),
            return_exceptions=True,
        )
        assert results[0] == "good" and isinstance(results[1], ValueError)
        rows = await store._read(lambda c: c.execute("SELECT key FROM meta").fetchall())
        keys = {row[0] for row in rows}
        assert "good" in keys and "bad" not in keys
        alone = SQLiteStore(db, group_linger=0.01)  # a lone failing write: its own error
        await store.close()
        await alone.open()
        with pytest.raises(ValueError, match="no such lease"):
            await alone._write_grouped(bad, linger=True)
        await alone.close()
    finally:
        await store.close()


async def test_a_write_that_does_not_linger_commits_a_lingering_group_with_it(db: Path) -> None:
    store = SQLiteStore(db, group_linger=3600)
    await store.open()
    try:
        commits = _Commits(store)
        waiting = asyncio.create_task(store._write_grouped(_put("finish"), linger=True))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()
        assert await store._write_grouped(_put("event")) == "event"  # the journal: no wait
        assert await waiting == "finish"
        assert commits.count == 1
    finally:
        await store.close()


async def test_only_the_finish_of_a_beat_that_ran_lingers(db: Path) -> None:
    # A guard's skip is finished inside the scheduler's pass, which must not wait for a linger.
    store = SQLiteStore(db, group_linger=3600)
    await store.open()
    try:
        await store.upsert_agent(Agent(id="a", workspace=str(db.parent)))
        await store.add_thread(Thread(id="t1", agent_id="a", created_at=T0))
        await store.put_schedule("t1", "", next_due_at=T0, phase_seconds=0, fingerprint="f")
        [claim] = await store.claim_due(T0, "w1", timedelta(minutes=5))
        skipped = BeatResult("skipped", T0, T0, skip_reason="idle")
        record = await store.finish_beat(claim, skipped, next_due_at=T0 + timedelta(hours=1))
        assert (record.status, record.outcome) == ("finished", "skipped")  # at once
    finally:
        await store.close()
