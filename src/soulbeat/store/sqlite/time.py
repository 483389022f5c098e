"""`SQLiteTime`: the `TimeStore` part (`soulbeat.store.base`) on the SQLite file: reminders and
thread health (migration 007), each method one transaction of `soulbeat.store.time_sql`."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from soulbeat.errors import NotFoundError
from soulbeat.store import time_sql as q
from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.records import SystemEvent
from soulbeat.store.records_time import NewReminder, Reminder, ReminderStatus, ThreadHealth
from soulbeat.store.rows import event_from_row
from soulbeat.store.sqlite import tables
from soulbeat.store.sqlite.claims import require_thread
from soulbeat.store.sqlite.connection import SQLiteConnection

__all__ = ["SQLiteTime"]


def _reminder(conn: sqlite3.Connection, reminder_id: int) -> Reminder:
    row = conn.execute(q.GET_REMINDER, (reminder_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no reminder {reminder_id}")
    return q.reminder_from_row(row)


class SQLiteTime(SQLiteConnection):
    """Reminders and thread health (module docstring)."""

    async def add_reminder(self, new: NewReminder, *, max_pending: int) -> Reminder | None:
        def job(conn: sqlite3.Connection) -> Reminder | None:
            require_thread(conn, new.thread_id)
            if conn.execute(q.COUNT_PENDING, (new.thread_id,)).fetchone()["n"] >= max_pending:
                return None
            cursor = conn.execute(q.ADD_REMINDER, q.reminder_args(new))
            assert cursor.lastrowid is not None
            return _reminder(conn, cursor.lastrowid)

        return await self._write(job)

    async def get_reminder(self, reminder_id: int) -> Reminder:
        return await self._read(lambda conn: _reminder(conn, reminder_id))

    async def list_reminders(
        self,
        thread_id: str | None = None,
        *,
        status: ReminderStatus | None = None,
        limit: int = 100,
    ) -> list[Reminder]:
        where, args = _filters(thread_id, status)
        sql = f"SELECT * FROM reminders {where} ORDER BY due_at, id LIMIT ?"

        def job(conn: sqlite3.Connection) -> list[Reminder]:
            return [q.reminder_from_row(row) for row in conn.execute(sql, (*args, limit))]

        return await self._read(job)

    async def cancel_reminder(self, reminder_id: int, at: datetime) -> Reminder:
        def job(conn: sqlite3.Connection) -> Reminder:
            _reminder(conn, reminder_id)
            conn.execute(q.CANCEL_REMINDER, (to_micros(at), reminder_id))
            return _reminder(conn, reminder_id)

        return await self._write(job)

    async def due_reminders(self, now: datetime, *, limit: int = 100) -> list[Reminder]:
        def job(conn: sqlite3.Connection) -> list[Reminder]:
            rows = conn.execute(q.DUE_REMINDERS, (to_micros(now), limit))
            return [q.reminder_from_row(row) for row in rows]

        return await self._peek(job)  # a probe of every pass or beat: no hop (issue 12)

    async def earliest_reminder(self, *, after: datetime | None = None) -> datetime | None:
        def job(conn: sqlite3.Connection) -> datetime | None:
            if after is None:
                due = conn.execute(q.EARLIEST_REMINDER).fetchone()["due"]
            else:
                due = conn.execute(q.EARLIEST_REMINDER_AFTER, (to_micros(after),)).fetchone()["due"]
            return None if due is None else from_micros(due)

        return await self._peek(job)  # a probe of every pass or beat: no hop (issue 12)

    async def fire_reminder(self, reminder_id: int, at: datetime) -> SystemEvent:
        def job(conn: sqlite3.Connection) -> SystemEvent:
            reminder = _reminder(conn, reminder_id)
            if reminder.event_id is not None:
                row = conn.execute("SELECT * FROM events WHERE id = ?", (reminder.event_id,))
                found = row.fetchone()
                if found is not None:
                    return event_from_row(found)
            text = f"Reminder: {reminder.text}"
            event = tables.queue_event(conn, reminder.thread_id, text, to_micros(at), "reminder")
            conn.execute("UPDATE reminders SET event_id = ? WHERE id = ?", (event.id, reminder_id))
            return event

        return await self._write(job)

    async def retime_reminder(self, reminder_id: int, due_at: datetime) -> None:
        await self._write(
            lambda conn: conn.execute(q.RETIME_REMINDER, (to_micros(due_at), reminder_id))
        )

    async def settle_reminder(self, reminder_id: int, beat_key: str, at: datetime) -> None:
        await self._write(
            lambda conn: conn.execute(q.SETTLE_REMINDER, (beat_key, to_micros(at), reminder_id))
        )

    async def get_health(self, thread_id: str) -> ThreadHealth | None:
        def job(conn: sqlite3.Connection) -> ThreadHealth | None:
            row = conn.execute(q.GET_HEALTH, (thread_id,)).fetchone()
            return None if row is None else q.health_from_row(row)

        return await self._peek(job)  # a probe of every pass or beat: no hop (issue 12)

    async def list_health(self) -> list[ThreadHealth]:
        return await self._read(
            lambda conn: [q.health_from_row(row) for row in conn.execute(q.LIST_HEALTH)]
        )

    async def unhealthy_health(self, *, limit: int = 1000) -> list[ThreadHealth]:
        return await self._read(
            lambda conn: [
                q.health_from_row(row) for row in conn.execute(q.LIST_UNHEALTHY, (limit,))
            ]
        )

    async def put_health(self, health: ThreadHealth) -> None:
        def job(conn: sqlite3.Connection) -> None:
            require_thread(conn, health.thread_id)
            conn.execute(q.PUT_HEALTH, q.health_args(health))

        await self._write_grouped(job)  # once per beat: shares the finishes' transactions

    async def dead_threads(self, now: datetime, *, limit: int = 100) -> list[ThreadHealth]:
        def job(conn: sqlite3.Connection) -> list[ThreadHealth]:
            rows = conn.execute(q.DEAD_THREADS, (to_micros(now), limit))
            return [q.health_from_row(row) for row in rows]

        return await self._peek(job)  # a probe of every pass or beat: no hop (issue 12)

    async def earliest_dead(self) -> datetime | None:
        def job(conn: sqlite3.Connection) -> datetime | None:
            due = conn.execute(q.EARLIEST_DEAD).fetchone()["due"]
            return None if due is None else from_micros(due)

        return await self._peek(job)  # a probe of every pass or beat: no hop (issue 12)

    async def claim_alert(self, thread_id: str, episode: int, at: datetime) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(q.CLAIM_ALERT, (to_micros(at), thread_id, episode)).rowcount == 1

        return await self._write(job)


def _filters(thread_id: str | None, status: ReminderStatus | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if thread_id is not None:
        clauses.append("thread_id = ?")
        args.append(thread_id)
    if status is not None:
        clauses.append("status = ?")
        args.append(status)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args
