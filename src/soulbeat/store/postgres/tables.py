"""Plain reads and writes of `PostgresStore`: settings, agents, threads, messages, queued events,
the beat audit and file versions, as coroutines on a connection inside the store's transaction.

The SQL mirrors the SQLite store's `sqlite.tables` (same columns, same encodings); the errors are
the same NotFoundError / StoreError, naming what was missing or in the way.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from soulbeat.errors import NotFoundError, StoreError
from soulbeat.store.records import Agent, BeatRecord, FileVersion, Message, SystemEvent, Thread
from soulbeat.store.rows import (
    agent_from_row,
    beat_from_row,
    event_from_row,
    file_version_from_row,
    message_from_row,
    thread_from_row,
)

Conn = AsyncConnection[dict[str, Any]]
ThreadRow = tuple[Any, ...]
"""The `threads` columns in insert order: id, agent_id, title, enabled (bool), config (JSON),
created_at, last_user_message_at, last_channel (datetimes as epoch microseconds)."""


async def one(conn: Conn, sql: str, args: Sequence[Any] = ()) -> dict[str, Any] | None:
    cursor = await conn.execute(sql, args)
    return await cursor.fetchone()


async def many(conn: Conn, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = await conn.execute(sql, args)
    return await cursor.fetchall()


async def exists(conn: Conn, table: str, row_id: object) -> bool:
    return await one(conn, f"SELECT 1 AS x FROM {table} WHERE id = %s", (row_id,)) is not None


async def require_thread(conn: Conn, thread_id: str) -> None:
    """Raise NotFoundError unless the thread exists."""
    if not await exists(conn, "threads", thread_id):
        raise NotFoundError(f"thread {thread_id!r} does not exist")


# -- settings -----------------------------------------------------------------------------------


async def install_seed(conn: Conn) -> str:
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES ('install_seed', %s) ON CONFLICT DO NOTHING",
        (secrets.token_hex(16),),
    )
    row = await one(conn, "SELECT value FROM meta WHERE key = 'install_seed'")
    assert row is not None
    return str(row["value"])


async def get_flag(conn: Conn, name: str) -> bool | None:
    row = await one(conn, "SELECT value FROM meta WHERE key = %s", (f"flag:{name}",))
    return None if row is None else row["value"] == "1"


async def set_flag(conn: Conn, name: str, value: bool) -> None:
    await conn.execute(
        """INSERT INTO meta (key, value) VALUES (%s, %s)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
        (f"flag:{name}", "1" if value else "0"),
    )


# -- agents and threads -------------------------------------------------------------------------


async def upsert_agent(conn: Conn, agent: Agent, config: str) -> None:
    await conn.execute(
        """INSERT INTO agents (id, workspace, config, user_timezone) VALUES (%s, %s, %s, %s)
        ON CONFLICT (id) DO UPDATE SET workspace = excluded.workspace,
            config = excluded.config, user_timezone = excluded.user_timezone""",
        (agent.id, agent.workspace, config, agent.user_timezone),
    )


async def get_agent(conn: Conn, agent_id: str) -> Agent:
    row = await one(conn, "SELECT * FROM agents WHERE id = %s", (agent_id,))
    if row is None:
        raise NotFoundError(f"agent {agent_id!r} does not exist")
    return agent_from_row(row)


async def list_agents(conn: Conn) -> list[Agent]:
    return [agent_from_row(row) for row in await many(conn, "SELECT * FROM agents ORDER BY id")]


async def insert_thread(conn: Conn, values: ThreadRow) -> None:
    """Insert one `threads` row; StoreError when the id is taken, NotFoundError for its agent."""
    thread_id, agent_id = values[0], values[1]
    if await exists(conn, "threads", thread_id):
        raise StoreError(f"thread {thread_id!r} already exists")
    if not await exists(conn, "agents", agent_id):
        raise NotFoundError(f"agent {agent_id!r} of thread {thread_id!r} does not exist")
    revision = await next_revision(conn)
    await conn.execute(
        """INSERT INTO threads (id, agent_id, title, enabled, config, created_at,
        last_user_message_at, last_channel, revision)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (*values, revision),
    )


REVISION_LOCK = 0x50B3A7
"""The advisory lock that orders thread revisions: held from taking a revision to commit."""


async def next_revision(conn: Conn) -> int:
    """The next thread revision. Taken under a transaction-scoped advisory lock, so a revision
    is visible before any higher one is taken (readers of `threads_changed_since` miss none)."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (REVISION_LOCK,))
    return await thread_revision(conn) + 1


async def thread_revision(conn: Conn) -> int:
    row = await one(conn, "SELECT coalesce(max(revision), 0) AS n FROM threads")
    assert row is not None
    return int(row["n"])


async def threads_changed_since(
    conn: Conn, revision: int, limit: int | None = None
) -> list[Thread]:
    rows = await many(
        conn,
        "SELECT * FROM threads WHERE revision > %s ORDER BY revision LIMIT %s",
        (revision, None if limit is None else max(0, limit)),
    )
    return [thread_from_row(row) for row in rows]


PRUNE_SQL = {
    "beats": """DELETE FROM beats WHERE status = 'finished' AND finished_at < %(before)s
        AND id NOT IN (SELECT last_beat_id FROM schedules WHERE last_beat_id IS NOT NULL)
        AND id NOT IN (SELECT lease_beat_id FROM schedules WHERE lease_beat_id IS NOT NULL)""",
    "action_log": """DELETE FROM action_log WHERE at < %(before)s
        AND status NOT IN ('pending-approval', 'admitted')""",
    "events": "DELETE FROM events WHERE consumed_at IS NOT NULL AND consumed_at < %(before)s",
    "event_log": """DELETE FROM event_log WHERE at < %(before)s
        AND id < (SELECT max(id) FROM event_log)""",
}


async def prune(conn: Conn, before: int) -> dict[str, int]:
    """The SQLite store's retention, table by table (a table not created yet counts 0)."""
    deleted: dict[str, int] = {}
    for table, sql in PRUNE_SQL.items():
        if await one(conn, "SELECT to_regclass(%s) AS t", (table,)) in (None, {"t": None}):
            deleted[table] = 0
            continue
        cursor = await conn.execute(sql, {"before": before})
        deleted[table] = max(cursor.rowcount, 0)
    return deleted


async def get_thread(conn: Conn, thread_id: str) -> Thread:
    row = await one(conn, "SELECT * FROM threads WHERE id = %s", (thread_id,))
    if row is None:
        raise NotFoundError(f"thread {thread_id!r} does not exist")
    return thread_from_row(row)


async def list_threads(
    conn: Conn, agent_id: str | None, limit: int | None = None, offset: int = 0
) -> list[Thread]:
    where = "WHERE agent_id = %s" if agent_id is not None else ""
    args: list[object] = [agent_id] if agent_id is not None else []
    page = ""
    if limit is not None:
        page, args = " LIMIT %s OFFSET %s", [*args, max(0, limit), max(0, offset)]
    sql = f"SELECT * FROM threads {where} ORDER BY created_at, id{page}"
    return [thread_from_row(row) for row in await many(conn, sql, args)]


async def count_threads(conn: Conn, agent_id: str | None) -> int:
    where, args = ("WHERE agent_id = %s", (agent_id,)) if agent_id is not None else ("", ())
    row = await one(conn, f"SELECT count(*) AS n FROM threads {where}", args)
    assert row is not None
    return int(row["n"])


async def count_beats(conn: Conn, filters: dict[str, object | None]) -> int:
    used = [(clause, value) for clause, value in filters.items() if value is not None]
    where = " AND ".join(clause for clause, _ in used) or "TRUE"
    row = await one(conn, f"SELECT count(*) AS n FROM beats WHERE {where}", [v for _, v in used])
    assert row is not None
    return int(row["n"])


async def update_thread(conn: Conn, thread_id: str, column: str, value: object) -> Thread:
    """Set one column (`enabled` or `config`, a trusted name), give the thread a new revision
    and return it."""
    revision = await next_revision(conn)
    await conn.execute(
        f"UPDATE threads SET {column} = %s, revision = %s WHERE id = %s",
        (value, revision, thread_id),
    )
    return await get_thread(conn, thread_id)


# -- messages -----------------------------------------------------------------------------------


async def add_message(
    conn: Conn,
    thread_id: str,
    role: str,
    text: str,
    created: int,
    channel: str | None,
    beat_id: int | None,
) -> Message:
    await require_thread(conn, thread_id)
    if beat_id is not None and not await exists(conn, "beats", beat_id):
        raise NotFoundError(f"beat {beat_id} does not exist")
    row = await one(
        conn,
        """INSERT INTO messages (thread_id, role, text, created_at, channel, beat_id)
        VALUES (%s, %s, %s, %s, %s, %s) RETURNING *""",
        (thread_id, role, text, created, channel, beat_id),
    )
    assert row is not None
    if role == "user":  # only when it is the newest: an imported older message changes nothing
        await conn.execute(
            """UPDATE threads SET last_user_message_at = %s,
            last_channel = coalesce(%s, last_channel)
            WHERE id = %s AND coalesce(last_user_message_at, %s) <= %s""",
            (created, channel, thread_id, created, created),
        )
    return message_from_row(row)


async def count_messages(conn: Conn, thread_id: str) -> int:
    row = await one(conn, "SELECT count(*) AS n FROM messages WHERE thread_id = %s", [thread_id])
    return int(row["n"]) if row is not None else 0


async def messages(
    conn: Conn, thread_id: str, since: int | None, limit: int | None, offset: int = 0
) -> list[Message]:
    """Oldest first; with `limit`, the newest `limit` (picked newest first, then re-ordered)."""
    where = "WHERE thread_id = %s"
    args: list[object] = [thread_id]
    if since is not None:
        where += " AND created_at >= %s"
        args.append(since)
    newest = f"SELECT * FROM messages {where} ORDER BY created_at DESC, id DESC"
    if limit is not None:
        newest += f" LIMIT {int(limit)}"
    if offset:
        newest += f" OFFSET {int(offset)}"
    sql = f"SELECT * FROM ({newest}) AS newest ORDER BY created_at, id"
    return [message_from_row(row) for row in await many(conn, sql, args)]


# -- system events ------------------------------------------------------------------------------


async def queue_event(
    conn: Conn, thread_id: str, text: str, created: int, source: str
) -> SystemEvent:
    await require_thread(conn, thread_id)
    row = await one(
        conn,
        """INSERT INTO events (thread_id, text, source, created_at) VALUES (%s, %s, %s, %s)
        RETURNING *""",
        (thread_id, text, source, created),
    )
    assert row is not None
    return event_from_row(row)


async def pending_events(conn: Conn, thread_id: str) -> list[SystemEvent]:
    sql = """SELECT * FROM events WHERE thread_id = %s AND consumed_at IS NULL
        ORDER BY created_at, id"""
    return [event_from_row(row) for row in await many(conn, sql, (thread_id,))]


async def consume_events(conn: Conn, event_ids: Sequence[int], consumed: int) -> None:
    await conn.execute(
        "UPDATE events SET consumed_at = %s WHERE id = ANY(%s) AND consumed_at IS NULL",
        (consumed, [int(event_id) for event_id in event_ids]),
    )


# -- beats --------------------------------------------------------------------------------------


async def get_beat(conn: Conn, beat_id: int) -> BeatRecord:
    row = await one(conn, "SELECT * FROM beats WHERE id = %s", (beat_id,))
    if row is None:
        raise NotFoundError(f"beat {beat_id} does not exist")
    return beat_from_row(row)


async def get_beat_by_key(conn: Conn, key: str) -> BeatRecord | None:
    row = await one(conn, "SELECT * FROM beats WHERE key = %s", (key,))
    return None if row is None else beat_from_row(row)


async def list_beats(
    conn: Conn, filters: dict[str, object | None], limit: int, offset: int
) -> list[BeatRecord]:
    """Newest first by due time then id. `filters` maps a trusted SQL condition with one `%s`
    to its value; None values are left out."""
    used = [(clause, value) for clause, value in filters.items() if value is not None]
    where = " AND ".join(clause for clause, _ in used) or "TRUE"
    sql = f"SELECT * FROM beats WHERE {where} ORDER BY due_at DESC, id DESC LIMIT %s OFFSET %s"
    args = [value for _, value in used] + [max(0, limit), max(0, offset)]
    return [beat_from_row(row) for row in await many(conn, sql, args)]


async def tokens_used(conn: Conn, thread_id: str, since: int) -> int:
    row = await one(
        conn,
        """SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS n FROM beats
        WHERE thread_id = %s AND finished_at >= %s AND status = 'finished'""",
        (thread_id, since),
    )
    assert row is not None
    return int(row["n"])


async def last_alert(conn: Conn, thread_id: str, since: int) -> str | None:
    row = await one(
        conn,
        """SELECT alert_text FROM beats WHERE thread_id = %s AND finished_at >= %s
        AND status = 'finished' AND alert_text IS NOT NULL
        ORDER BY finished_at DESC, id DESC LIMIT 1""",
        (thread_id, since),
    )
    return None if row is None else str(row["alert_text"])


# -- workspace file versions --------------------------------------------------------------------

_FILE_COLUMNS = "agent_id, kind, version, content, sha256, source, created_at"


async def add_file_version(
    conn: Conn, agent_id: str, kind: str, content: str, created: int, source: str
) -> FileVersion:
    """Append the next version number for (agent, kind); the advisory lock on the pair keeps two
    writers from picking the same number."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"file_versions:{agent_id}:{kind}",)
    )
    row = await one(
        conn,
        """SELECT coalesce(max(version), 0) + 1 AS v FROM file_versions
        WHERE agent_id = %s AND kind = %s""",
        (agent_id, kind),
    )
    assert row is not None
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    inserted = await one(
        conn,
        f"""INSERT INTO file_versions ({_FILE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)
        RETURNING {_FILE_COLUMNS}""",
        (agent_id, kind, int(row["v"]), content, digest, source, created),
    )
    assert inserted is not None
    return file_version_from_row(inserted)


async def file_versions(
    conn: Conn, agent_id: str, kind: str, limit: int | None
) -> list[FileVersion]:
    rows = await many(
        conn,
        f"""SELECT {_FILE_COLUMNS} FROM file_versions WHERE agent_id = %s AND kind = %s
        ORDER BY version DESC LIMIT %s""",
        (agent_id, kind, limit),
    )
    return [file_version_from_row(row) for row in rows]


async def get_file_version(conn: Conn, agent_id: str, kind: str, version: int) -> FileVersion:
    row = await one(
        conn,
        f"""SELECT {_FILE_COLUMNS} FROM file_versions
        WHERE agent_id = %s AND kind = %s AND version = %s""",
        (agent_id, kind, version),
    )
    if row is None:
        raise NotFoundError(f"{kind} version {version} of agent {agent_id} does not exist")
    return file_version_from_row(row)
