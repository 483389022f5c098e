"""The action log's and the approval queue's SQL on PostgreSQL (``action_log``, ``approvals``,
migration 003): the statements of `soulbeat.store.sqlite.action_log` and `approvals`, as
coroutines on a connection inside `PostgresActions`' transactions; rows become records through
the shared `soulbeat.store.rows_actions`.

`admit` first takes a lock on the row's (thread, type), so two writers in any processes read
the counted rows one after the other and cannot both take the last slot of a limit; a decision
locks its approval's row, so it is decided once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from soulbeat.errors import NotFoundError
from soulbeat.store.codec import from_micros, opt_datetime, opt_micros, to_micros
from soulbeat.store.postgres.tables import Conn, many, one
from soulbeat.store.records_actions import (
    ActionQuota,
    Approval,
    ApprovalDecidedError,
    ApprovalStatus,
    LogEntry,
    LogRow,
    NewApproval,
    Problem,
)
from soulbeat.store.rows_actions import (
    APPROVAL_COLUMNS,
    LOG_COLUMNS,
    approval_from_row,
    dump_problems,
    entry_from_row,
)

__all__ = [
    "admit",
    "claim_approval",
    "entries",
    "get_entry",
    "insert_approval",
    "insert_entry",
    "list_approvals",
    "read_approval",
    "set_result",
    "settle",
]


# -- the action log -----------------------------------------------------------------------------


async def admit(conn: Conn, row: LogRow, quota: ActionQuota, now: datetime) -> LogRow:
    """The row `quota` decides to write, from the counted rows of the same thread and type."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"actions:{row.thread_id}:{row.type}",)
    )
    statuses = list(quota.statuses)
    times: list[datetime] = []
    if quota.window is not None:
        found = await many(
            conn,
            "SELECT at FROM action_log WHERE thread_id = %s AND type = %s AND at > %s"
            " AND status = ANY(%s)",
            (row.thread_id, row.type, to_micros(now - quota.window), statuses),
        )
        times = [from_micros(item["at"]) for item in found]
    last = None
    if row.content_hash is not None:
        latest = await one(
            conn,
            "SELECT max(at) AS last FROM action_log WHERE thread_id = %s AND type = %s"
            " AND content_hash = %s AND at > %s AND status = ANY(%s)",
            (
                row.thread_id,
                row.type,
                row.content_hash,
                to_micros(now - quota.duplicate_window),
                statuses,
            ),
        )
        last = None if latest is None else opt_datetime(latest["last"])
    return quota.decide(times, last)


async def insert_entry(conn: Conn, row: LogRow, now: int) -> int:
    made = await one(
        conn,
        "INSERT INTO action_log (thread_id, agent_id, beat_id, skill, type, content_hash, "
        "status, dry_run, at, updated_at, action, problems, detail, retry_after) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
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
    assert made is not None
    return int(made["id"])


async def settle(
    conn: Conn,
    entry_id: int,
    status: str,
    now: int,
    detail: str | None,
    problems: Sequence[Problem] | None,
) -> None:
    sets, args = ["status = %s", "updated_at = %s"], [status, now]
    if detail is not None:
        sets.append("detail = %s")
        args.append(detail)
    if problems is not None:
        sets.append("problems = %s")
        args.append(dump_problems(problems))
    cursor = await conn.execute(
        f"UPDATE action_log SET {', '.join(sets)} WHERE id = %s", (*args, entry_id)
    )
    if cursor.rowcount == 0:
        raise NotFoundError(f"action log entry {entry_id} does not exist")


async def get_entry(conn: Conn, entry_id: int) -> LogEntry:
    found = await one(conn, f"SELECT {LOG_COLUMNS} FROM action_log WHERE id = %s", (entry_id,))
    if found is None:
        raise NotFoundError(f"action log entry {entry_id} does not exist")
    return entry_from_row(found)


async def entries(
    conn: Conn, *, thread_id: str | None, type: str | None, status: str | None, limit: int
) -> list[LogEntry]:
    where, args = _filters(thread_id=thread_id, type=type, status=status)
    rows = await many(
        conn,
        f"SELECT {LOG_COLUMNS} FROM action_log{where} ORDER BY id DESC LIMIT %s",
        (*args, limit),
    )
    return [entry_from_row(row) for row in rows]


def _filters(**equal: str | None) -> tuple[str, list[Any]]:
    pairs = [(column, value) for column, value in equal.items() if value is not None]
    if not pairs:
        return "", []
    clause = " WHERE " + " AND ".join(f"{column} = %s" for column, _ in pairs)
    return clause, [value for _, value in pairs]


# -- the approval queue -------------------------------------------------------------------------


async def insert_approval(conn: Conn, new: NewApproval, now: int) -> Approval:
    """A new pending approval; one for an action-log row that already has one is that one (a
    beat re-run after a crash re-uses its admitted row, so it asks a person once)."""
    if new.log_id is not None:
        # the log row is locked so two attempts of one beat cannot both add an approval for it
        await one(conn, "SELECT id FROM action_log WHERE id = %s FOR UPDATE", (new.log_id,))
        found = await one(
            conn, "SELECT id FROM approvals WHERE log_id = %s ORDER BY id LIMIT 1", (new.log_id,)
        )
        if found is not None:
            return await read_approval(conn, int(found["id"]))
    made = await one(
        conn,
        "INSERT INTO approvals (thread_id, agent_id, beat_id, skill, type, action, problems, "
        "log_id, status, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s) "
        f"RETURNING {APPROVAL_COLUMNS}",
        (
            new.thread_id,
            new.agent_id,
            new.beat_id,
            new.skill,
            new.type,
            json.dumps(dict(new.action), ensure_ascii=False),
            dump_problems(new.problems),
            new.log_id,
            now,
        ),
    )
    assert made is not None
    return approval_from_row(made)


async def list_approvals(
    conn: Conn,
    *,
    status: ApprovalStatus | None,
    thread_id: str | None,
    limit: int,
    offset: int,
) -> list[Approval]:
    where, args = _filters(status=status, thread_id=thread_id)
    rows = await many(
        conn,
        f"SELECT {APPROVAL_COLUMNS} FROM approvals{where} ORDER BY id DESC LIMIT %s OFFSET %s",
        (*args, limit, offset),
    )
    return [approval_from_row(row) for row in rows]


async def count_approvals(
    conn: Conn, *, status: ApprovalStatus | None, thread_id: str | None
) -> int:
    """How many approvals `list_approvals` with these filters pages through."""
    where, args = _filters(status=status, thread_id=thread_id)
    row = await one(conn, f"SELECT count(*) AS n FROM approvals{where}", args)
    return int(row["n"]) if row else 0


async def claim_approval(
    conn: Conn, approval_id: int, status: ApprovalStatus, reason: str | None, now: int
) -> Approval:
    current = await read_approval(conn, approval_id, lock=True)
    if current.status != "pending":
        raise ApprovalDecidedError(current)
    row = await one(
        conn,
        "UPDATE approvals SET status = %s, decided_at = %s, reason = %s WHERE id = %s "
        f"RETURNING {APPROVAL_COLUMNS}",
        (status, now, reason, approval_id),
    )
    assert row is not None
    return approval_from_row(row)


async def set_result(conn: Conn, approval_id: int, result: Mapping[str, Any]) -> Approval:
    record = json.dumps(dict(result), ensure_ascii=False, default=str)
    row = await one(
        conn,
        f"UPDATE approvals SET result = %s WHERE id = %s RETURNING {APPROVAL_COLUMNS}",
        (record, approval_id),
    )
    if row is None:
        raise NotFoundError(f"approval {approval_id} does not exist")
    return approval_from_row(row)


async def read_approval(conn: Conn, approval_id: int, *, lock: bool = False) -> Approval:
    sql = f"SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = %s" + (
        " FOR UPDATE" if lock else ""
    )
    row = await one(conn, sql, (approval_id,))
    if row is None:
        raise NotFoundError(f"approval {approval_id} does not exist")
    return approval_from_row(row)
