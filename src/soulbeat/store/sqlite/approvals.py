"""The approval queue's SQL (``approvals``, migration 004): plain functions on an open connection,
run inside `SQLiteActions`' transactions. The action, its problems and the result are JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from soulbeat.errors import NotFoundError
from soulbeat.store.records_actions import (
    Approval,
    ApprovalDecidedError,
    ApprovalStatus,
    NewApproval,
)
from soulbeat.store.rows_actions import APPROVAL_COLUMNS, approval_from_row, dump_problems

__all__ = ["claim", "insert", "list_approvals", "read", "set_result"]

_COLUMNS = APPROVAL_COLUMNS


def insert(conn: sqlite3.Connection, new: NewApproval, now: int) -> Approval:
    """A new pending approval; one for an action-log row that already has one is that one (a
    beat re-run after a crash re-uses its admitted row, so it asks a person once)."""
    if new.log_id is not None:
        found = conn.execute(
            "SELECT id FROM approvals WHERE log_id = ? ORDER BY id LIMIT 1", (new.log_id,)
        ).fetchone()
        if found is not None:
            return read(conn, found[0])
    values = (
        new.thread_id,
        new.agent_id,
        new.beat_id,
        new.skill,
        new.type,
        json.dumps(dict(new.action), ensure_ascii=False),
        dump_problems(new.problems),
        new.log_id,
        now,
    )
    cursor = conn.execute(
        "INSERT INTO approvals (thread_id, agent_id, beat_id, skill, type, action, "
        "problems, log_id, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        values,
    )
    assert cursor.lastrowid is not None
    return read(conn, cursor.lastrowid)


def _approval_filter(status: ApprovalStatus | None, thread_id: str | None) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if status is not None:
        where.append("status = ?")
        args.append(status)
    if thread_id is not None:
        where.append("thread_id = ?")
        args.append(thread_id)
    return (f" WHERE {' AND '.join(where)}" if where else ""), args


def count_approvals(
    conn: sqlite3.Connection, *, status: ApprovalStatus | None, thread_id: str | None
) -> int:
    """How many approvals `list_approvals` with these filters pages through."""
    clause, args = _approval_filter(status, thread_id)
    return int(conn.execute(f"SELECT count(*) FROM approvals{clause}", args).fetchone()[0])


def list_approvals(
    conn: sqlite3.Connection,
    *,
    status: ApprovalStatus | None,
    thread_id: str | None,
    limit: int,
    offset: int,
) -> list[Approval]:
    clause, args = _approval_filter(status, thread_id)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM approvals{clause} ORDER BY id DESC LIMIT ? OFFSET ?",
        (*args, limit, offset),
    ).fetchall()
    return [approval_from_row(row) for row in rows]


def claim(
    conn: sqlite3.Connection,
    approval_id: int,
    status: ApprovalStatus,
    reason: str | None,
    now: int,
) -> Approval:
    current = read(conn, approval_id)
    if current.status != "pending":
        raise ApprovalDecidedError(current)
    conn.execute(
        "UPDATE approvals SET status = ?, decided_at = ?, reason = ? WHERE id = ?",
        (status, now, reason, approval_id),
    )
    return read(conn, approval_id)


def set_result(conn: sqlite3.Connection, approval_id: int, result: Mapping[str, Any]) -> Approval:
    record = json.dumps(dict(result), ensure_ascii=False, default=str)
    cursor = conn.execute("UPDATE approvals SET result = ? WHERE id = ?", (record, approval_id))
    if cursor.rowcount == 0:
        raise NotFoundError(f"approval {approval_id} does not exist")
    return read(conn, approval_id)


def read(conn: sqlite3.Connection, approval_id: int) -> Approval:
    row = conn.execute(f"SELECT {_COLUMNS} FROM approvals WHERE id = ?", (approval_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"approval {approval_id} does not exist")
    return approval_from_row(row)
