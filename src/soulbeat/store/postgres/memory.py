"""The scratch table (migration 008) and the quiet-thread check for `PostgresStore`: the SQL of
`soulbeat.store.sqlite.memory` inside the store's transaction. A write locks the thread's
scratch row (or, before the first write, an advisory lock on the thread) so two writers cannot
both pass the compare-and-swap; under an effect ref the effect's row is locked first."""

from __future__ import annotations

from soulbeat.errors import ScratchConflictError
from soulbeat.store.codec import from_micros
from soulbeat.store.postgres import effects as effects_sql
from soulbeat.store.postgres.tables import Conn, one
from soulbeat.store.records import EffectRef
from soulbeat.store.records_memory import Scratch, ThreadChanges

__all__ = ["get_scratch", "thread_changes", "write_scratch"]


async def get_scratch(conn: Conn, thread_id: str, *, lock: bool = False) -> Scratch:
    sql = "SELECT revision, content, beat_key, updated_at FROM scratch WHERE thread_id = %s"
    row = await one(conn, sql + (" FOR UPDATE" if lock else ""), (thread_id,))
    if row is None:
        return Scratch(thread_id)
    return Scratch(
        thread_id, row["revision"], row["content"], row["beat_key"], from_micros(row["updated_at"])
    )


async def write_scratch(
    conn: Conn,
    thread_id: str,
    content: str,
    at: int,
    *,
    expected_revision: int | None,
    beat_key: str | None,
    effect: EffectRef | None,
) -> Scratch:
    if effect is not None:
        before = await effects_sql.get_effect(conn, effect, lock=True)
        if before is not None and before.data.get("scratch_revision") is not None:
            return await get_scratch(conn, thread_id)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"scratch:{thread_id}",))
    current = await get_scratch(conn, thread_id, lock=True)
    if expected_revision is not None and expected_revision != current.revision:
        raise ScratchConflictError(thread_id, expected_revision, current.revision)
    revision = current.revision + 1
    await conn.execute(
        """INSERT INTO scratch (thread_id, revision, content, beat_key, updated_at)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (thread_id) DO UPDATE SET revision = excluded.revision,
            content = excluded.content, beat_key = excluded.beat_key,
            updated_at = excluded.updated_at""",
        (thread_id, revision, content, beat_key, at),
    )
    if effect is not None:
        await effects_sql.finish_effect(conn, effect, {"scratch_revision": revision}, at)
    return await get_scratch(conn, thread_id)


async def thread_changes(conn: Conn, thread_id: str, agent_id: str, after: int) -> ThreadChanges:
    async def count(sql: str, *args: object) -> int:
        row = await one(conn, sql, args)
        assert row is not None
        return int(row["n"])

    return ThreadChanges(
        messages=await count(
            "SELECT count(*) AS n FROM messages WHERE thread_id = %s AND created_at > %s "
            "AND role != 'assistant'",
            thread_id,
            after,
        ),
        events=await count(
            "SELECT count(*) AS n FROM events WHERE thread_id = %s AND consumed_at IS NULL",
            thread_id,
        ),
        scratch_edits=await count(
            "SELECT count(*) AS n FROM scratch WHERE thread_id = %s AND updated_at > %s",
            thread_id,
            after,
        ),
        memory_edits=await count(
            "SELECT count(*) AS n FROM file_versions WHERE agent_id = %s AND created_at > %s",
            agent_id,
            after,
        ),
        board_posts=await count(
            "SELECT count(*) AS n FROM ledger_posts WHERE created_at > %s", after
        )
        + await count("SELECT count(*) AS n FROM ledger_comments WHERE created_at > %s", after),
    )
