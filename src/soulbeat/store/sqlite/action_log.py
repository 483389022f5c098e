"""The action log's SQL (``action_log``, migration 004): plain functions on an open connection,
run inside `SQLiteActions`' transactions. Problems are stored as JSON
(`soulbeat.store.rows_actions.dump_problems`), the action as JSON in seed 000's shape, times as
epoch microseconds. Rows are never deleted here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from soulbeat.errors import NotFoundError
from soulbeat.store.codec import from_micros, opt_datetime, opt_micros, to_micros
from soulbeat.store.records_actions import ActionQuota, LogEntry, LogRow, Problem
from soulbeat.store.rows_actions import LOG_COLUMNS, dump_problems, entry_from_row

__all__ = [
    "admit",
    "entries",
    "get_entry",
    "insert",
    "settle",
]

_COLUMNS = LOG_COLUMNS


def admit(conn: sqlite3.Connection, row: LogRow, quota: ActionQuota, now: datetime) -> LogRow:
    """The row `quota` decides to write, from the counted rows of the same thread and type."""
    statuses = ", ".join("?" * len(quota.statuses))
    times: list[datetime] = []
    if quota.window is not None:
        times = [
            from_micros(value)
            for (value,) in conn.execute(
                f"SELECT at FROM action_log WHERE thread_id = ? AND type = ? AND at > ? "
                f"AND status IN ({statuses})",
                (row.thread_id, row.type, to_micros(now - quota.window), *quota.statuses),
            )
        ]
    last = None
    if row.content_hash is not None:
        (found,) = conn.execute(
            f"SELECT max(at) FROM action_log WHERE thread_id = ? AND type = ? "
            f"AND content_hash = ? AND at > ? AND status IN ({statuses})",
            (
                row.thread_id,
                row.type,
                row.content_hash,
                to_micros(now - quota.duplicate_window),
                *quota.statuses,
            ),
        ).fetchone()
        last = opt_datetime(found)
    return quota.decide(times, last)


def insert(conn: sqlite3.Connection, row: LogRow, now: int) -> int:
    cursor = conn.execute(
        "INSERT INTO action_log (thread_id, agent_id, beat_id, skill, type, content_hash, "
        "status, dry_run, at, updated_at, action, problems, detail, retry_after) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.thread_id,
            row.agent_id,
            row.beat_id,
            row.skill,
            row.type,
            row.content_hash,
            row.status,
            int(row.dry_run),
            now,
            now,
            json.dumps(dict(row.action), ensure_ascii=False, default=str),
            dump_problems(row.problems),
            row.detail,
            opt_micros(row.retry_after),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def settle(
    conn: sqlite3.Connection,
    entry_id: int,
    status: str,
    now: int,
    detail: str | None,
    problems: Sequence[Problem] | None,
) -> None:
    sets, args = ["status = ?", "updated_at = ?"], [status, now]
    if detail is not None:
        sets.append("detail = ?")
        args.append(detail)
    if problems is not None:
        sets.append("problems = ?")
        args.append(dump_problems(problems))
    cursor = conn.execute(
        f"UPDATE action_log SET {', '.join(sets)} WHERE id = ?", (*args, entry_id)
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"action log entry {entry_id} does not exist")


def get_entry(conn: sqlite3.Connection, entry_id: int) -> LogEntry:
    found = conn.execute(f"SELECT {_COLUMNS} FROM action_log WHERE id = ?", (entry_id,)).fetchone()
    if found is None:
        raise NotFoundError(f"action log entry {entry_id} does not exist")
    return entry_from_row(found)


def entries(
    conn: sqlite3.Connection,
    *,
    thread_id: str | None,
    type: str | None,
    status: str | None,
    limit: int,
) -> list[LogEntry]:
    where, args = _filters(thread_id=thread_id, type=type, status=status)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM action_log{where} ORDER BY id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [entry_from_row(row) for row in rows]


def _filters(**equal: str | None) -> tuple[str, list[Any]]:
    pairs = [(column, value) for column, value in equal.items() if value is not None]
    if not pairs:
        return "", []
    return " WHERE " + " AND ".join(f"{column} = ?" for column, _ in pairs), [
        value for _, value in pairs
    ]
