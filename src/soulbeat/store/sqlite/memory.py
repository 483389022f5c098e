"""The scratch table (migration 008) and the quiet-thread check for `SQLiteStore`, as functions
on a connection inside the store's transaction.

A scratch write under an effect ref (a beat's write) is recorded ``done`` in the same
transaction, so a beat re-run after a crash finds the record and does not write again (nor fails
the compare-and-swap against its own earlier write)."""

from __future__ import annotations

import sqlite3

from soulbeat.errors import ScratchConflictError
from soulbeat.store.codec import from_micros
from soulbeat.store.records import EffectRef
from soulbeat.store.records_memory import Scratch, ThreadChanges
from soulbeat.store.sqlite import effects as effects_sql

__all__ = ["get_scratch", "thread_changes", "write_scratch"]


def get_scratch(conn: sqlite3.Connection, thread_id: str) -> Scratch:
    row = conn.execute(
        "SELECT revision, content, beat_key, updated_at FROM scratch WHERE thread_id = ?",
        (thread_id,),
    ).fetchone()
    if row is None:
        return Scratch(thread_id)
    return Scratch(
        thread_id, row["revision"], row["content"], row["beat_key"], from_micros(row["updated_at"])
    )


def write_scratch(
    conn: sqlite3.Connection,
    thread_id: str,
    content: str,
    at: int,
    *,
    expected_revision: int | None,
    beat_key: str | None,
    effect: EffectRef | None,
) -> Scratch:
    """Write the scratch when its revision is `expected_revision` (None: any); raise
    `ScratchConflictError` otherwise. Under `effect`, a write already recorded is not made again."""
    if effect is not None and effects_sql.noted(conn, effect, "scratch_revision") is not None:
        return get_scratch(conn, thread_id)
    current = get_scratch(conn, thread_id)
    if expected_revision is not None and expected_revision != current.revision:
        raise ScratchConflictError(thread_id, expected_revision, current.revision)
    revision = current.revision + 1
    conn.execute(
        """INSERT INTO scratch (thread_id, revision, content, beat_key, updated_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (thread_id) DO UPDATE SET revision = excluded.revision,
            content = excluded.content, beat_key = excluded.beat_key,
            updated_at = excluded.updated_at""",
        (thread_id, revision, content, beat_key, at),
    )
    if effect is not None:
        effects_sql.finish_effect(conn, effect, {"scratch_revision": revision}, at)
    return get_scratch(conn, thread_id)


def thread_changes(
    conn: sqlite3.Connection, thread_id: str, agent_id: str, after: int
) -> ThreadChanges:
    """What arrived after `after` (see `BeatStore.thread_changes`)."""

    def count(sql: str, *args: object) -> int:
        return int(conn.execute(sql, args).fetchone()[0])

    return ThreadChanges(
        messages=count(
            "SELECT count(*) FROM messages WHERE thread_id = ? AND created_at > ? "
            "AND role != 'assistant'",
            thread_id,
            after,
        ),
        events=count(
            "SELECT count(*) FROM events WHERE thread_id = ? AND consumed_at IS NULL", thread_id
        ),
        scratch_edits=count(
            "SELECT count(*) FROM scratch WHERE thread_id = ? AND updated_at > ?", thread_id, after
        ),
        memory_edits=count(
            "SELECT count(*) FROM file_versions WHERE agent_id = ? AND created_at > ?",
            agent_id,
            after,
        ),
        board_posts=count("SELECT count(*) FROM ledger_posts WHERE created_at > ?", after)
        + count("SELECT count(*) FROM ledger_comments WHERE created_at > ?", after),
    )
