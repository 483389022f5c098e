"""What is particular to `PostgresStore`: connecting, its migrations, row locks (SKIP LOCKED) and
claiming from real processes. The behaviour every backend shares is in test_store_contract.py,
which runs against PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from soulbeat.errors import StoreError
from soulbeat.store.migrate import Migration
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.postgres.migrate import apply_migrations, load_postgres_migrations
from soulbeat.store.records import MAIN, Agent, Schedule, Thread
from soulbeat.testing.postgres import free_port

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=5)


async def _seeded(url: str, count: int) -> PostgresStore:
    store = PostgresStore(url)
    await store.open()
    await store.upsert_agent(Agent(id="a1", workspace="/w"))
    await store.add_threads(
        Thread(id=f"t{i:03}", agent_id="a1", created_at=T0) for i in range(count)
    )
    await store.put_schedules(
        Schedule(thread_id=f"t{i:03}", skill=MAIN, next_due_at=T0) for i in range(count)
    )
    return store


async def test_calls_outside_open_and_close_are_refused(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    with pytest.raises(StoreError, match="not open"):
        await store.list_agents()
    await store.open()
    await store.close()
    with pytest.raises(StoreError, match="not open"):
        await store.list_agents()


async def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    url = f"postgresql://soulbeat:s3cret@127.0.0.1:{free_port()}/soulbeat?connect_timeout=2"
    store = PostgresStore(url)
    with pytest.raises(StoreError, match=r"database soulbeat at 127\.0\.0\.1") as caught:
        await store.open()
    assert "s3cret" not in str(caught.value)


async def test_migrations_are_recorded_once_and_reopen_applies_nothing(postgres_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        assert await apply_migrations(conn, load_postgres_migrations()) == []
        cursor = await conn.execute("SELECT version, name FROM schema_migrations ORDER BY 1")
        rows = await cursor.fetchall()
    assert rows == [(m.version, m.name) for m in load_postgres_migrations()]


async def test_a_database_from_a_newer_soulbeat_is_refused(postgres_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"
        )
    with pytest.raises(StoreError, match="schema version 999, newer than this soulbeat knows"):
        await PostgresStore(postgres_url).open()


async def test_a_failing_migration_leaves_nothing_behind(postgres_url: str) -> None:
    broken = Migration(900, "broken", "CREATE TABLE half (id int); SELECT no_such_function();")
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        with pytest.raises(StoreError, match="migration 900_broken failed"):
            await apply_migrations(conn, [*load_postgres_migrations(), broken])
        cursor = await conn.execute(
            "SELECT to_regclass('half') IS NULL, max(version) FROM schema_migrations"
        )
        assert await cursor.fetchone() == (True, load_postgres_migrations()[-1].version)


async def test_concurrent_opens_migrate_once(postgres_server: object) -> None:
    from pg_support import PostgresDatabases, with_database

    assert isinstance(postgres_server, PostgresDatabases)
    name = "soulbeat_concurrent_open"
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = with_database(postgres_server.admin_url, name)
    stores = [PostgresStore(url, max_size=1) for _ in range(4)]
    await asyncio.gather(*(store.open() for store in stores))
    assert len({await store.install_seed() for store in stores}) == 1
    for store in stores:
        await store.close()
    postgres_server.drop(url)


async def test_a_locked_schedule_is_skipped_not_waited_for(postgres_url: str) -> None:
    """Another transaction holding a due schedule's row (a claim in progress elsewhere) does not
    block this claim: it takes the other due schedules at once."""
    store = await _seeded(postgres_url, 3)
    async with await psycopg.AsyncConnection.connect(postgres_url) as other:
        await other.execute("SELECT 1 FROM schedules WHERE thread_id = 't001' FOR UPDATE")
        claims = await asyncio.wait_for(store.claim_due(T0, "w1", LEASE), timeout=10)
        await other.rollback()
    assert sorted(claim.thread_id for claim in claims) == ["t000", "t002"]
    await store.close()


T_NOW = 1_767_225_600_000_000


async def test_claims_walk_the_eligible_index(postgres_url: str) -> None:
    store = await _seeded(postgres_url, 50)
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("ANALYZE")
        await conn.execute("SET enable_seqscan = off")
        from soulbeat.store.postgres.claims import DUE_SQL

        cursor = await conn.execute(
            f"EXPLAIN {DUE_SQL}",
            {"now": T_NOW, "due": T_NOW, "limit": 10},  # type: ignore[arg-type]
        )
        plan = "\n".join(str(row[0]) for row in await cursor.fetchall())
    assert "schedules_by_eligible" in plan, plan
    await store.close()


async def test_finished_beat_indexes_are_partial_and_still_serve_their_queries(
    postgres_url: str,
) -> None:
    """Migration 015: the indexes on outcome and finish time hold finished beats only, and the
    queries that need them (a strict comparison on the column) still use them."""
    store = await _seeded(postgres_url, 5)
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        cursor = await conn.execute(
            """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'beats'
            AND indexname IN ('beats_by_outcome_due', 'beats_by_thread_finished')"""
        )
        defs = dict(await cursor.fetchall())
        assert "WHERE (outcome IS NOT NULL)" in defs["beats_by_outcome_due"]
        assert "WHERE (finished_at IS NOT NULL)" in defs["beats_by_thread_finished"]
        await conn.execute("ANALYZE")
        await conn.execute("SET enable_seqscan = off")

        async def plan(sql: str, *args: object) -> str:
            cursor = await conn.execute(f"EXPLAIN {sql}", args)  # type: ignore[arg-type]
            return "\n".join(str(row[0]) for row in await cursor.fetchall())

        by_outcome = await plan("SELECT * FROM beats WHERE outcome = %s", "sent")
        assert "beats_by_outcome_due" in by_outcome, by_outcome
        tokens = await plan(
            """SELECT sum(prompt_tokens) FROM beats
            WHERE thread_id = %s AND finished_at >= %s AND status = 'finished'""",
            "t001",
            0,
        )
        assert "beats_by_thread_finished" in tokens, tokens
    await store.close()


# -- processes --------------------------------------------------------------------------------

_WORKER = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.records import BeatResult

async def main(url: str, worker: str) -> None:
    store = PostgresStore(url, max_size=2)
    await store.open()
    print("ready", flush=True)
    sys.stdin.readline()  # the start line: every process is open and they go together
    now = datetime(2026, 1, 1, tzinfo=UTC)
    done = BeatResult(outcome="ok-token", started_at=now, finished_at=now)
    keys = []
    while claims := await store.claim_due(now, worker, timedelta(minutes=5), limit=3):
        for claim in claims:
            await store.finish_beat(claim, done, next_due_at=now + timedelta(days=1))
            keys.append(claim.key)
    await store.close()
    print(json.dumps(keys), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.slow
async def test_three_processes_never_claim_the_same_schedule(postgres_url: str) -> None:
    """Three processes claim and finish 600 due schedules at once: each runs exactly once, and
    (no global write lock) every process gets a share."""
    store = await _seeded(postgres_url, 600)
    pipe = asyncio.subprocess.PIPE
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WORKER, postgres_url, name, stdin=pipe, stdout=pipe
        )
        for name in ("p1", "p2", "p3")
    ]
    for process in workers:
        assert process.stdout is not None
        assert await process.stdout.readline() == b"ready\n"
    outputs = await asyncio.gather(*(process.communicate(b"go\n") for process in workers))
    assert [process.returncode for process in workers] == [0, 0, 0]
    shares = [json.loads(out) for out, _ in outputs]
    everything = [key for share in shares for key in share]
    assert len(everything) == len(set(everything)) == 600
    assert all(share for share in shares), [len(share) for share in shares]
    beats = await store.list_beats(limit=1000)
    assert len(beats) == 600
    assert {(beat.status, beat.attempt) for beat in beats} == {("finished", 1)}
    await store.close()
