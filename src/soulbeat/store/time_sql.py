"""The SQL of issue 16's tables (reminders, thread health), shared by both backends.

Written with ``?`` placeholders; the PostgreSQL store swaps them for ``%s`` (`pg`). Times are
epoch microseconds in and out (`soulbeat.store.codec`), as everywhere in the stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from soulbeat.store.codec import from_micros, opt_micros, to_micros
from soulbeat.store.records_time import NewReminder, Reminder, ThreadHealth

__all__ = [
    "ADD_REMINDER",
    "CANCEL_REMINDER",
    "CLAIM_ALERT",
    "COUNT_PENDING",
    "DEAD_THREADS",
    "DUE_REMINDERS",
    "EARLIEST_DEAD",
    "EARLIEST_REMINDER",
    "EARLIEST_REMINDER_AFTER",
    "GET_HEALTH",
    "GET_REMINDER",
    "LIST_HEALTH",
    "LIST_UNHEALTHY",
    "PUT_HEALTH",
    "RETIME_REMINDER",
    "SETTLE_REMINDER",
    "SET_EVENT",
    "health_args",
    "health_from_row",
    "pg",
    "reminder_args",
    "reminder_from_row",
]

ADD_REMINDER = """INSERT INTO reminders (thread_id, text, due_at, urgent, created_by, created_at)
    VALUES (?, ?, ?, ?, ?, ?)"""
COUNT_PENDING = "SELECT count(*) AS n FROM reminders WHERE thread_id = ? AND status = 'pending'"
GET_REMINDER = "SELECT * FROM reminders WHERE id = ?"
CANCEL_REMINDER = """UPDATE reminders SET status = 'cancelled', settled_at = ?
    WHERE id = ? AND status = 'pending'"""
DUE_REMINDERS = """SELECT * FROM reminders WHERE status = 'pending' AND due_at <= ?
    ORDER BY due_at, id LIMIT ?"""
EARLIEST_REMINDER = "SELECT min(due_at) AS due FROM reminders WHERE status = 'pending'"
EARLIEST_REMINDER_AFTER = EARLIEST_REMINDER + " AND due_at > ?"
SET_EVENT = "UPDATE reminders SET event_id = ? WHERE id = ? AND event_id IS NULL"
RETIME_REMINDER = "UPDATE reminders SET due_at = ? WHERE id = ? AND status = 'pending'"
SETTLE_REMINDER = """UPDATE reminders SET status = 'done', beat_key = ?, settled_at = ?
    WHERE id = ? AND status = 'pending'"""

GET_HEALTH = "SELECT * FROM thread_health WHERE thread_id = ?"
LIST_HEALTH = "SELECT * FROM thread_health ORDER BY thread_id"
# Served by the partial index thread_health_unhealthy (migration 011).
LIST_UNHEALTHY = """SELECT * FROM thread_health WHERE unhealthy_since IS NOT NULL
    ORDER BY thread_id LIMIT ?"""
PUT_HEALTH = """INSERT INTO thread_health (thread_id, failed_streak, last_ok_at, last_failed_at,
    dead_at, unhealthy_since, reason, episode, alerted_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (thread_id) DO UPDATE SET failed_streak = excluded.failed_streak,
    last_ok_at = excluded.last_ok_at, last_failed_at = excluded.last_failed_at,
    dead_at = excluded.dead_at, unhealthy_since = excluded.unhealthy_since,
    reason = excluded.reason, episode = excluded.episode, alerted_at = excluded.alerted_at,
    updated_at = excluded.updated_at"""
DEAD_THREADS = """SELECT * FROM thread_health WHERE unhealthy_since IS NULL AND dead_at <= ?
    ORDER BY dead_at LIMIT ?"""
EARLIEST_DEAD = "SELECT min(dead_at) AS due FROM thread_health WHERE unhealthy_since IS NULL"
CLAIM_ALERT = """UPDATE thread_health SET alerted_at = ?
    WHERE thread_id = ? AND episode = ? AND unhealthy_since IS NOT NULL AND alerted_at IS NULL"""


def pg(sql: str) -> str:
    """The statement with PostgreSQL's placeholders."""
    return sql.replace("?", "%s")


def reminder_args(new: NewReminder) -> tuple[Any, ...]:
    return (
        new.thread_id,
        new.text,
        to_micros(new.due_at),
        new.urgent,
        new.created_by,
        to_micros(new.created_at),
    )


def reminder_from_row(row: Mapping[str, Any]) -> Reminder:
    settled, event = row["settled_at"], row["event_id"]
    return Reminder(
        id=int(row["id"]),
        thread_id=row["thread_id"],
        text=row["text"],
        due_at=from_micros(row["due_at"]),
        created_at=from_micros(row["created_at"]),
        urgent=bool(row["urgent"]),
        created_by=row["created_by"],
        status=row["status"],
        event_id=None if event is None else int(event),
        beat_key=row["beat_key"],
        settled_at=None if settled is None else from_micros(settled),
    )


def health_args(health: ThreadHealth) -> tuple[Any, ...]:
    return (
        health.thread_id,
        health.failed_streak,
        opt_micros(health.last_ok_at),
        opt_micros(health.last_failed_at),
        opt_micros(health.dead_at),
        opt_micros(health.unhealthy_since),
        health.reason,
        health.episode,
        opt_micros(health.alerted_at),
        to_micros(health.updated_at),
    )


def health_from_row(row: Mapping[str, Any]) -> ThreadHealth:
    def at(name: str) -> Any:
        value = row[name]
        return None if value is None else from_micros(value)

    return ThreadHealth(
        thread_id=row["thread_id"],
        updated_at=from_micros(row["updated_at"]),
        failed_streak=int(row["failed_streak"]),
        last_ok_at=at("last_ok_at"),
        last_failed_at=at("last_failed_at"),
        dead_at=at("dead_at"),
        unhealthy_since=at("unhealthy_since"),
        reason=row["reason"],
        episode=int(row["episode"]),
        alerted_at=at("alerted_at"),
    )
