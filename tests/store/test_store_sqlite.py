"""What is particular to `SQLiteStore`: connection settings, migrations, the on-disk encoding, and
claiming from two real processes. The behaviour every backend shares is in test_store_contract.py.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soulbeat.errors import StoreError
from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.records import MAIN, Agent, Schedule, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.store.sqlite.migrate import apply_migrations, load_migrations, split_statements

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "soulbeat.db"


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


async def _pragma(store: SQLiteStore, name: str) -> Any:
    # Reaches into the store's own connection: these settings are per connection.
    return await store._read(lambda conn: conn.execute(f"PRAGMA {name}").fetchone()[0])


# -- connection -------------------------------------------------------------------------------


async def test_connection_settings(db: Path) -> None:
    store = SQLiteStore(db, busy_timeout=2.5)
    await store.open()  # `db` is in a folder that does not exist yet: the store makes it
    try:
        assert await _pragma(store, "journal_mode") == "wal"
        assert await _pragma(store, "foreign_keys") == 1
        # The connection never waits itself: the store waits for a lock off the event loop's
        # thread, for up to busy_timeout (tests/store/test_store_sqlite_inline.py).
        assert await _pragma(store, "busy_timeout") == 0
        assert store.busy_timeout == 2.5
        assert await _pragma(store, "wal_autocheckpoint") == 0  # the `Checkpointer`'s
        assert await _pragma(store, "synchronous") == 1  # NORMAL: under WAL, durable across kill -9
    finally:
        await store.close()


async def test_calls_outside_open_and_close_are_refused(db: Path) -> None:
    store = SQLiteStore(db)
    with pytest.raises(StoreError, match="not open"):
        await store.list_threads()
    await store.open()
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="not open"):
        await store.get_flag("x", True)
    await store.open()  # and it opens again
    assert await store.list_threads() == []
    await store.close()


async def test_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open"):
        await SQLiteStore(tmp_path / "file" / "soulbeat.db").open()


async def test_sqlite_failures_surface_as_store_errors(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    try:
        with pytest.raises(StoreError, match="no such table"):
            await store._read(lambda conn: conn.execute("SELECT * FROM nowhere"))
    finally:
        await store.close()


# -- migrations -------------------------------------------------------------------------------


async def test_migrations_are_recorded_once_across_reopen(db: Path) -> None:
    for _ in range(3):
        store = SQLiteStore(db)
        await store.open()
        await store.open()
        await store.close()
    recorded = _rows(db, "SELECT version, name, typeof(applied_at) FROM schema_migrations")
    shipped = [(m.version, m.name, "integer") for m in load_migrations()]
    assert recorded == shipped
    assert recorded[:2] == [(1, "initial", "integer"), (2, "file_versions", "integer")]
    tables = {name for (name,) in _rows(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "agents", "threads", "messages", "schedules", "events", "beats"} <= tables
    assert "file_versions" in tables
    assert not tables & {"submolts", "posts", "comments", "votes"}  # the ledger comes later


def test_packaged_migrations_are_numbered_in_order() -> None:
    migrations = load_migrations()
    versions = [m.version for m in migrations]
    # in order and unique; gaps are allowed (parallel branches each own a number)
    assert versions == sorted(set(versions)) and versions[0] == 1
    assert migrations[0].name == "initial"


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(parents=True)
    for name, sql in files.items():
        (folder / name).write_text(sql)
    return folder


def test_pending_migrations_apply_in_order_and_only_once(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "002_second.sql": "ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'x;y';",
            "001_first.sql": "-- the first\nCREATE TABLE a (x INTEGER);",
            "README.txt": "not a migration",
        },
    )
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    first = apply_migrations(conn, load_migrations(folder))
    assert [(m.version, m.name) for m in first] == [(1, "first"), (2, "second")]
    assert apply_migrations(conn, load_migrations(folder)) == []
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (2,)
    conn.close()


def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {"001_first.sql": "CREATE TABLE a (x);", "002_bad.sql": "CREATE TABLE b (x); NONSENSE;"},
    )
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    with pytest.raises(StoreError, match="002_bad"):
        apply_migrations(conn, load_migrations(folder))
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables
    assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [(1,)]
    conn.close()


def test_misnamed_or_repeated_migrations_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="NNN_name"):
        load_migrations(_folder(tmp_path / "a", {"1_first.sql": ""}))
    with pytest.raises(StoreError, match="used twice"):
        load_migrations(_folder(tmp_path / "b", {"001_a.sql": "", "001_b.sql": ""}))


async def test_a_database_from_a_newer_soulbeat_is_refused(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    await store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)")
    with pytest.raises(StoreError, match="newer"):
        await SQLiteStore(db).open()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("CREATE TABLE a (x); CREATE TABLE b (y);", ["CREATE TABLE a (x);", "CREATE TABLE b (y);"]),
        ("INSERT INTO a VALUES ('x;y');", ["INSERT INTO a VALUES ('x;y');"]),
        ("-- a; comment\nSELECT 1;\n-- trailing; comment\n", ["-- a; comment\nSELECT 1;"]),
        (
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; DELETE FROM c; END;",
            ["CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; DELETE FROM c; END;"],
        ),
        ("SELECT 1", ["SELECT 1;"]),
        ("  \n", []),
    ],
)
def test_split_statements(script: str, expected: list[str]) -> None:
    assert split_statements(script) == expected


def test_split_statements_refuses_an_unfinished_one() -> None:
    with pytest.raises(StoreError, match="incomplete"):
        split_statements("SELECT 'unterminated")


# -- on-disk encoding -------------------------------------------------------------------------


async def test_datetimes_are_integer_microseconds_and_mappings_json(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    created = T0 + timedelta(microseconds=7)
    await store.add_thread(Thread(id="t1", agent_id="a1", created_at=created, config={"a": [1]}))
    await store.close()
    [(kind, value, config)] = _rows(
        db, "SELECT typeof(created_at), created_at, config FROM threads"
    )
    assert (kind, value) == ("integer", 1_767_225_600_000_007)
    assert json.loads(config) == {"a": [1]}


@given(st.datetimes(timezones=st.just(UTC)))
def test_datetime_codec_round_trips_and_keeps_order(moment: datetime) -> None:
    assert from_micros(to_micros(moment)) == moment
    assert to_micros(moment + timedelta(microseconds=1)) == to_micros(moment) + 1


def test_codec_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_micros(datetime(2026, 1, 1))


async def test_eligible_at_follows_next_due_and_not_before(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    await store.add_threads(Thread(id=f"t{i}", agent_id="a1", created_at=T0) for i in range(3))
    await store.put_schedules(
        [
            Schedule(thread_id="t0", skill=MAIN, next_due_at=T0),
            Schedule(thread_id="t1", skill=MAIN, next_due_at=None),
            Schedule(thread_id="t2", skill=MAIN, next_due_at=T0),
        ]
    )
    claim = (await store.claim_due(T0, "w1", timedelta(minutes=1), limit=1))[0]
    await store.defer_beat(claim, T0 + timedelta(seconds=1), "busy")
    await store.close()
    rows = _rows(db, "SELECT thread_id, eligible_at FROM schedules ORDER BY thread_id")
    assert rows == [("t0", to_micros(T0) + 1_000_000), ("t1", None), ("t2", to_micros(T0))]


async def test_bulk_inserts_are_all_or_nothing(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    threads = [Thread(id=f"t{i}", agent_id="a1", created_at=T0) for i in (1, 2, 1)]
    with pytest.raises(StoreError, match="'t1' already exists"):
        await store.add_threads(threads)
    assert await store.list_threads() == []
    await store.close()


# -- two processes ----------------------------------------------------------------------------

_WORKER = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
from soulbeat.store.records import BeatResult
from soulbeat.store.sqlite import SQLiteStore

async def main(path: str, worker: str) -> None:
    store = SQLiteStore(path)
    await store.open()
    print("ready", flush=True)
    sys.stdin.readline()  # the start line: both processes are open and go together
    now = datetime(2026, 1, 1, tzinfo=UTC)
    done = BeatResult(outcome="ok-token", started_at=now, finished_at=now)
    keys = []
    while claims := await store.claim_due(now, worker, timedelta(minutes=5), limit=2):
        for claim in claims:
            await store.finish_beat(claim, done, next_due_at=now + timedelta(days=1))
            keys.append(claim.key)
    await store.close()
    print(json.dumps(keys), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.slow
async def test_two_processes_never_claim_the_same_schedule(db: Path) -> None:
    """Two processes claim and finish 400 due schedules at once: each is run exactly once.
    (SQLite's write lock is not fair, so how the work splits between them varies.)"""
    store = SQLiteStore(db)
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    await store.add_threads(Thread(id=f"t{i:03}", agent_id="a1", created_at=T0) for i in range(400))
    await store.put_schedules(
        Schedule(thread_id=f"t{i:03}", skill=MAIN, next_due_at=T0) for i in range(400)
    )
    pipe = asyncio.subprocess.PIPE
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WORKER, str(db), name, stdin=pipe, stdout=pipe
        )
        for name in ("p1", "p2")
    ]
    for process in workers:
        assert process.stdout is not None
        assert await process.stdout.readline() == b"ready\n"
    outputs = await asyncio.gather(*(process.communicate(b"go\n") for process in workers))
    assert [process.returncode for process in workers] == [0, 0]
    first, second = (json.loads(out) for out, _ in outputs)
    assert len(first) + len(second) == len(set(first) | set(second)) == 400
    beats = await store.list_beats(limit=1000)
    assert len(beats) == 400
    assert {(beat.status, beat.attempt) for beat in beats} == {("finished", 1)}
    await store.close()


async def test_finished_beat_indexes_still_serve_their_queries(db: Path) -> None:
    # Migration 015 made them partial (finished beats only); each query that needs one implies
    # its WHERE, so SQLite still picks it.
    store = SQLiteStore(db)
    await store.open()

    def plan(sql: str, *args: object) -> str:
        return " ".join(str(row[-1]) for row in sqlite3.connect(db).execute(sql, args))

    try:
        by_outcome = plan("EXPLAIN QUERY PLAN SELECT * FROM beats WHERE outcome = ?", "sent")
        assert "beats_by_outcome_due" in by_outcome
        tokens = plan(
            """EXPLAIN QUERY PLAN SELECT sum(prompt_tokens) FROM beats
            WHERE thread_id = ? AND finished_at >= ? AND status = 'finished'""",
            "t1",
            0,
        )
        assert "beats_by_thread_finished" in tokens
    finally:
        await store.close()
