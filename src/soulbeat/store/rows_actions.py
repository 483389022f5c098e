"""Rows of the action log and the approval queue turned back into records, and the JSON of their
problems, shared by both stores (`action_log` and `approvals` have the same columns and encodings
on SQLite and PostgreSQL; see `soulbeat.store.rows`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from soulbeat.store.codec import from_micros, opt_datetime
from soulbeat.store.records_actions import APPROVAL_STATUSES, Approval, LogEntry, Problem
from soulbeat.store.rows import Row

__all__ = [
    "APPROVAL_COLUMNS",
    "LOG_COLUMNS",
    "approval_from_row",
    "dump_problems",
    "entry_from_row",
    "load_problems",
]

LOG_COLUMNS = (
    "id, thread_id, agent_id, beat_id, skill, type, content_hash, status, dry_run, at, "
    "updated_at, action, problems, detail, retry_after"
)
APPROVAL_COLUMNS = (
    "id, thread_id, agent_id, beat_id, skill, type, action, problems, log_id, status, "
    "created_at, decided_at, reason, result"
)


def entry_from_row(row: Row) -> LogEntry:
    """An ``action_log`` row (`LOG_COLUMNS`)."""
    return LogEntry(
        id=row["id"],
        thread_id=row["thread_id"],
        agent_id=row["agent_id"],
        beat_id=row["beat_id"],
        skill=row["skill"],
        type=row["type"],
        content_hash=row["content_hash"],
        status=row["status"],
        dry_run=bool(row["dry_run"]),
        at=from_micros(row["at"]),
        updated_at=from_micros(row["updated_at"]),
        action=json.loads(row["action"]),
        problems=load_problems(row["problems"]),
        detail=row["detail"],
        retry_after=opt_datetime(row["retry_after"]),
    )


def approval_from_row(row: Row) -> Approval:
    """An ``approvals`` row (`APPROVAL_COLUMNS`)."""
    status = row["status"]
    assert status in APPROVAL_STATUSES, status
    result = row["result"]
    return Approval(
        id=row["id"],
        thread_id=row["thread_id"],
        agent_id=row["agent_id"],
        beat_id=row["beat_id"],
        skill=row["skill"],
        type=row["type"],
        action=json.loads(row["action"]),
        problems=load_problems(row["problems"]),
        log_id=row["log_id"],
        status=status,
        created_at=from_micros(row["created_at"]),
        decided_at=opt_datetime(row["decided_at"]),
        reason=row["reason"],
        result=json.loads(result) if result is not None else None,
    )


def dump_problems(problems: Sequence[Problem]) -> str:
    """JSON text of ``problems`` (field, message, level each)."""
    return json.dumps(
        [{"field": p.field, "message": p.message, "level": p.level} for p in problems],
        ensure_ascii=False,
    )


def load_problems(text: str) -> tuple[Problem, ...]:
    """The inverse of `dump_problems`."""
    return tuple(
        Problem(item["field"], item["message"], "info" if item.get("level") == "info" else "error")
        for item in json.loads(text)
    )
