"""Plain reads and writes for `SQLiteStore`: settings, agents, threads, messages, queued events and
the beat audit, as functions on a connection inside the store's transaction.

Arguments arrive already checked and encoded where the store's method says so; each function raises
NotFoundError / StoreError naming what was missing or in the way.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any

from soulbeat.errors import NotFoundError, StoreError
from soulbeat.store.records import Agent, BeatRecord, Message, Role, SystemEvent, Thread
from soulbeat.store.rows import (
    agent_from_row,
    beat_from_row,
    event_from_row,
    message_from_row,
    thread_from_row,
)
from soulbeat.store.sqlite.claims import delete_schedules, require_thread

ThreadRow = tuple[Any, ...]
"""The `threads` columns in insert order: id, agent_id, title, enabled, config (JSON),
created_at, last_user_message_at, last_channel (datetimes as epoch microseconds)."""


def _exists(conn: sqlite3.Connection, table: str, row_id: object) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None


# -- settings -----------------------------------------------------------------------------------


def install_seed(conn: sqlite3.Connection) -> str:
    """The install seed, made (random, 128 bits) by the first call on a database."""
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('install_seed', ?)",
        (secrets.token_hex(16),),
    )
    return str(conn.execute("SELECT value FROM meta WHERE key = 'install_seed'").fetchone()[0])


def get_flag(conn: sqlite3.Connection, name: str) -> bool | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"flag:{name}",)).fetchone()
    return None if row is None else row["value"] == "1"


def set_flag(conn: sqlite3.Connection, name: str, value: bool) -> None:
    conn.execute(
        """INSERT INTO meta (key, value) VALUES (?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
        (f"flag:{name}", "1" if value else "0"),
    )


# -- agents and threads -------------------------------------------------------------------------


def upsert_agent(conn: sqlite3.Connection, agent: Agent, config: str) -> None:
    conn.execute(
        """INSERT INTO agents (id, workspace, config, user_timezone) VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET workspace = excluded.workspace,
            config = excluded.config, user_timezone = excluded.user_timezone""",
        (agent.id, agent.workspace, config, agent.user_timezone),
    )


def get_agent(conn: sqlite3.Connection, agent_id: str) -> Agent:
    row = conn.execute("SELECT * FROM agents WHERE id = ?", (agent_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"agent {agent_id!r} does not exist")
    return agent_from_row(row)


def list_agents(conn: sqlite3.Connection) -> list[Agent]:
    return [agent_from_row(row) for row in conn.execute("SELECT * FROM agents ORDER BY id")]


def insert_thread(conn: sqlite3.Connection, values: ThreadRow) -> None:
    """Insert one `threads` row; StoreError when the id is taken, NotFoundError for its agent."""
    thread_id, agent_id = values[0], values[1]
    if _exists(conn, "threads", thread_id):
        raise StoreError(f"thread {thread_id!r} already exists")
    if not _exists(conn, "agents", agent_id):
        raise NotFoundError(f"agent {agent_id!r} of thread {thread_id!r} does not exist")
    conn.execute(
        f"""INSERT INTO threads (id, agent_id, title, enabled, config, created_at,
        last_user_message_at, last_channel, revision)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, {NEXT_REVISION})""",
        values,
    )


def insert_threads(conn: sqlite3.Connection, rows: Sequence[ThreadRow]) -> None:
    """`insert_thread` for many rows: one statement, revisions numbered in order; the same
    errors (found row by row only when the statement fails)."""
    for agent_id in {row[1] for row in rows}:
        if not _exists(conn, "agents", agent_id):
            thread_id = next(row[0] for row in rows if row[1] == agent_id)
            raise NotFoundError(f"agent {agent_id!r} of thread {thread_id!r} does not exist")
    base = thread_revision(conn)
    conn.execute("SAVEPOINT insert_threads")
    try:
        conn.executemany(
            """INSERT INTO threads (id, agent_id, title, enabled, config, created_at,
            last_user_message_at, last_channel, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [(*row, base + n) for n, row in enumerate(rows, 1)],
        )
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO insert_threads")  # back to before the batch, to find why
        seen: set[object] = set()
        for row in rows:
            if row[0] in seen or _exists(conn, "threads", row[0]):
                raise StoreError(f"thread {row[0]!r} already exists") from None
            seen.add(row[0])
        raise
    finally:
        conn.execute("RELEASE insert_threads")


NEXT_REVISION = "(SELECT coalesce(max(revision), 0) + 1 FROM threads)"
"""The next thread revision: one index lookup (`threads_by_revision`)."""


def threads_changed_since(
    conn: sqlite3.Connection, revision: int, limit: int | None = None
) -> list[Thread]:
    """Threads added or changed after `revision`, oldest change first (an index range)."""
    sql = "SELECT * FROM threads WHERE revision > ? ORDER BY revision LIMIT ?"
    rows = conn.execute(sql, (revision, -1 if limit is None else max(0, limit)))
    return [thread_from_row(row) for row in rows]


def thread_revision(conn: sqlite3.Connection) -> int:
    """The highest thread revision so far (0 when there are no threads)."""
    return int(conn.execute("SELECT coalesce(max(revision), 0) FROM threads").fetchone()[0])


def get_thread(conn: sqlite3.Connection, thread_id: str) -> Thread:
    row = conn.execute("SELECT * FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"thread {thread_id!r} does not exist")
    return thread_from_row(row)


def list_threads(
    conn: sqlite3.Connection, agent_id: str | None, limit: int | None = None, offset: int = 0
) -> list[Thread]:
    where = "WHERE agent_id = ?" if agent_id is not None else ""
    args: list[object] = [agent_id] if agent_id is not None else []
    page = ""
    if limit is not None:
        page, args = " LIMIT ? OFFSET ?", [*args, max(0, limit), max(0, offset)]
    sql = f"SELECT * FROM threads {where} ORDER BY created_at, id{page}"
    return [thread_from_row(row) for row in conn.execute(sql, args)]


def count_threads(conn: sqlite3.Connection, agent_id: str | None) -> int:
    where, args = ("WHERE agent_id = ?", (agent_id,)) if agent_id is not None else ("", ())
    return int(conn.execute(f"SELECT count(*) FROM threads {where}", args).fetchone()[0])


def update_thread(conn: sqlite3.Connection, thread_id: str, column: str, value: object) -> Thread:
    """Set one column (`enabled` or `config`, a trusted name), give the thread a new revision
    and return it."""
    conn.execute(
        f"UPDATE threads SET {column} = ?, revision = {NEXT_REVISION} WHERE id = ?",
        (value, thread_id),
    )
    return get_thread(conn, thread_id)


def delete_thread(conn: sqlite3.Connection, thread_id: str) -> None:
    """Delete the thread; its messages, schedules and events go with it, its beats stay."""
    require_thread(conn, thread_id)
    delete_schedules(conn, thread_id, None)
    conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,))


# -- messages -----------------------------------------------------------------------------------


def add_message(
    conn: sqlite3.Connection,
    thread_id: str,
    role: Role,
    text: str,
    created: int,
    channel: str | None,
    beat_id: int | None,
) -> Message:
    require_thread(conn, thread_id)
    if beat_id is not None and not _exists(conn, "beats", beat_id):
        raise NotFoundError(f"beat {beat_id} does not exist")
    message_id = conn.execute(
        """INSERT INTO messages (thread_id, role, text, created_at, channel, beat_id)
        VALUES (?, ?, ?, ?, ?, ?)""",
        (thread_id, role, text, created, channel, beat_id),
    ).lastrowid
    if role == "user":  # only when it is the newest: an imported older message changes nothing
        conn.execute(
            """UPDATE threads SET last_user_message_at = ?, last_channel = coalesce(?, last_channel)
            WHERE id = ? AND coalesce(last_user_message_at, ?) <= ?""",
            (created, channel, thread_id, created, created),
        )
    return message_from_row(
        conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    )


def count_messages(conn: sqlite3.Connection, thread_id: str) -> int:
    sql = "SELECT count(*) FROM messages WHERE thread_id = ?"
    return int(conn.execute(sql, (thread_id,)).fetchone()[0])


def messages(
    conn: sqlite3.Connection, thread_id: str, since: int | None, limit: int | None, offset: int = 0
) -> list[Message]:
    """Oldest first; with `limit`, the newest `limit` (picked newest first, then re-ordered)."""
    where = "WHERE thread_id = ?"
    args: list[object] = [thread_id]
    if since is not None:
        where += " AND created_at >= ?"
        args.append(since)
    newest = f"SELECT * FROM messages {where} ORDER BY created_at DESC, id DESC"
    if limit is not None or offset:
        newest += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
    sql = f"SELECT * FROM ({newest}) ORDER BY created_at, id"
    return [message_from_row(row) for row in conn.execute(sql, args)]


# -- system events ------------------------------------------------------------------------------


def queue_event(
    conn: sqlite3.Connection, thread_id: str, text: str, created: int, source: str
) -> SystemEvent:
    require_thread(conn, thread_id)
    event_id = conn.execute(
        "INSERT INTO events (thread_id, text, source, created_at) VALUES (?, ?, ?, ?)",
        (thread_id, text, source, created),
    ).lastrowid
    return event_from_row(conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone())


def pending_events(conn: sqlite3.Connection, thread_id: str) -> list[SystemEvent]:
    sql = """SELECT * FROM events WHERE thread_id = ? AND consumed_at IS NULL
        ORDER BY created_at, id"""
    return [event_from_row(row) for row in conn.execute(sql, (thread_id,))]


def consume_events(conn: sqlite3.Connection, event_ids: Sequence[int], consumed: int) -> None:
    conn.executemany(
        "UPDATE events SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
        [(consumed, int(event_id)) for event_id in event_ids],
    )


# -- retention ----------------------------------------------------------------------------------


PRUNE_SQL = {
    # finished beats (the audit trail) older than the cut, except one a schedule still points at
    "beats": """DELETE FROM beats WHERE status = 'finished' AND finished_at < :before
        AND id NOT IN (SELECT last_beat_id FROM schedules WHERE last_beat_id IS NOT NULL)
        AND id NOT IN (SELECT lease_beat_id FROM schedules WHERE lease_beat_id IS NOT NULL)""",
    # the action log, except actions still waiting for a person or being carried out
    "action_log": """DELETE FROM action_log WHERE at < :before
        AND status NOT IN ('pending-approval', 'admitted')""",
    # system events shown to a beat and consumed
    "events": "DELETE FROM events WHERE consumed_at IS NOT NULL AND consumed_at < :before",
    # the event journal behind SSE ids (a client resuming from before the cut gets what is
    # left); the newest entry stays, so the newest id is still known after a restart
    "event_log": """DELETE FROM event_log WHERE at < :before
        AND id < (SELECT max(id) FROM event_log)""",
}


def prune(conn: sqlite3.Connection, before: int) -> dict[str, int]:
    """Delete what `PRUNE_SQL` names older than `before`; returns the rows deleted per table."""
    return {
        table: conn.execute(sql, {"before": before}).rowcount for table, sql in PRUNE_SQL.items()
    }


# -- beats --------------------------------------------------------------------------------------


def get_beat(conn: sqlite3.Connection, beat_id: int) -> BeatRecord:
    row = conn.execute("SELECT * FROM beats WHERE id = ?", (beat_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"beat {beat_id} does not exist")
    return beat_from_row(row)


def get_beat_by_key(conn: sqlite3.Connection, key: str) -> BeatRecord | None:
    row = conn.execute("SELECT * FROM beats WHERE key = ?", (key,)).fetchone()
    return None if row is None else beat_from_row(row)


def list_beats(
    conn: sqlite3.Connection,
    filters: dict[str, object | None],
    limit: int,
    offset: int,
) -> list[BeatRecord]:
    """Newest first by due time then id. `filters` maps a trusted SQL condition with one `?`
    (e.g. `"due_at >= ?"`) to its value; None values are left out."""
    used = [(clause, value) for clause, value in filters.items() if value is not None]
    where = " AND ".join(clause for clause, _ in used) or "1"
    sql = f"SELECT * FROM beats WHERE {where} ORDER BY due_at DESC, id DESC LIMIT ? OFFSET ?"
    args = [value for _, value in used] + [max(0, limit), max(0, offset)]
    return [beat_from_row(row) for row in conn.execute(sql, args)]


def count_beats(conn: sqlite3.Connection, filters: dict[str, object | None]) -> int:
    """`list_beats`'s filters, counted."""
    used = [(clause, value) for clause, value in filters.items() if value is not None]
    where = " AND ".join(clause for clause, _ in used) or "1"
    sql = f"SELECT count(*) FROM beats WHERE {where}"
    return int(conn.execute(sql, [value for _, value in used]).fetchone()[0])


def tokens_used(conn: sqlite3.Connection, thread_id: str, since: int) -> int:
    row = conn.execute(
        """SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM beats
        WHERE thread_id = ? AND finished_at >= ? AND status = 'finished'""",
        (thread_id, since),
    ).fetchone()
    return int(row[0])


def last_alert(conn: sqlite3.Connection, thread_id: str, since: int) -> str | None:
    row = conn.execute(
        """SELECT alert_text FROM beats WHERE thread_id = ? AND finished_at >= ?
        AND status = 'finished' AND alert_text IS NOT NULL
        ORDER BY finished_at DESC, id DESC LIMIT 1""",
        (thread_id, since),
    ).fetchone()
    return None if row is None else str(row[0])
