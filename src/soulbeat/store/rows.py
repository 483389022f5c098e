"""Rows of the stores' tables turned back into records, shared by both backends.

The SQLite and PostgreSQL schemas have the same columns and encodings (`soulbeat.store.codec`:
epoch microseconds, JSON text), so one mapper per table serves both. Each function takes a row
selected with `SELECT *` from its table, as anything indexable by column name: a `sqlite3.Row`
or a psycopg `dict_row`. The board's rows are in `rows_board`, the action log's in
`rows_actions`.
"""

from __future__ import annotations

from typing import Any, Protocol

from soulbeat.store.codec import (
    from_micros,
    load_instant_list,
    load_instants,
    load_mapping,
    opt_datetime,
)
from soulbeat.store.records import (
    Agent,
    BeatRecord,
    Effect,
    FileVersion,
    Message,
    Schedule,
    SystemEvent,
    Thread,
)


class Row(Protocol):
    """A selected row: its columns by name (`sqlite3.Row`, a psycopg `dict_row`)."""

    def __getitem__(self, key: str, /) -> Any: ...


def agent_from_row(row: Row) -> Agent:
    return Agent(
        id=row["id"],
        workspace=row["workspace"],
        config=load_mapping(row["config"]),
        user_timezone=row["user_timezone"],
    )


def thread_from_row(row: Row) -> Thread:
    return Thread(
        id=row["id"],
        agent_id=row["agent_id"],
        created_at=from_micros(row["created_at"]),
        title=row["title"],
        enabled=bool(row["enabled"]),
        config=load_mapping(row["config"]),
        last_user_message_at=opt_datetime(row["last_user_message_at"]),
        last_channel=row["last_channel"],
        revision=row["revision"],
    )


def message_from_row(row: Row) -> Message:
    return Message(
        id=row["id"],
        thread_id=row["thread_id"],
        role=row["role"],
        text=row["text"],
        created_at=from_micros(row["created_at"]),
        channel=row["channel"],
        beat_id=row["beat_id"],
    )


def schedule_from_row(row: Row) -> Schedule:
    return Schedule(
        thread_id=row["thread_id"],
        skill=row["skill"],
        next_due_at=opt_datetime(row["next_due_at"]),
        phase_seconds=float(row["phase_seconds"]),
        fingerprint=row["fingerprint"],
        not_before=opt_datetime(row["not_before"]),
        last_started_at=opt_datetime(row["last_started_at"]),
        last_finished_at=opt_datetime(row["last_finished_at"]),
        task_last_run=load_instants(row["task_last_run"]),
        recent_starts=load_instant_list(row["recent_starts"]),
        lease_owner=row["lease_owner"],
        lease_expires_at=opt_datetime(row["lease_expires_at"]),
        inputs=row["inputs"],
    )


def event_from_row(row: Row) -> SystemEvent:
    return SystemEvent(
        id=row["id"],
        thread_id=row["thread_id"],
        text=row["text"],
        created_at=from_micros(row["created_at"]),
        source=row["source"],
        consumed_at=opt_datetime(row["consumed_at"]),
    )


def beat_from_row(row: Row) -> BeatRecord:
    return BeatRecord(
        id=row["id"],
        key=row["key"],
        thread_id=row["thread_id"],
        skill=row["skill"],
        reason=row["reason"],
        due_at=from_micros(row["due_at"]),
        status=row["status"],
        attempt=row["attempt"],
        started_at=opt_datetime(row["started_at"]),
        finished_at=opt_datetime(row["finished_at"]),
        outcome=row["outcome"],
        skip_reason=row["skip_reason"],
        error=row["error"],
        audit=load_mapping(row["audit"]),
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        alert_text=row["alert_text"],
        repeats=row["repeats"],
        last_due_at=opt_datetime(row["last_due_at"]),
    )


def file_version_from_row(row: Row) -> FileVersion:
    return FileVersion(
        agent_id=row["agent_id"],
        kind=row["kind"],
        version=row["version"],
        content=row["content"],
        sha256=row["sha256"],
        source=row["source"],
        created_at=from_micros(row["created_at"]),
    )


def effect_from_row(row: Row) -> Effect:
    return Effect(
        key=row["beat_key"],
        index=row["idx"],
        kind=row["kind"],
        state=row["state"],
        data=load_mapping(row["data"]),
        attempts=row["attempts"],
        updated_at=from_micros(row["updated_at"]),
    )
