"""`PostgresTime`: the `TimeStore` part (`soulbeat.store.base`) on PostgreSQL: reminders and
thread health (migration 007), the SQL of `soulbeat.store.time_sql` with PostgreSQL's
placeholders, each method one transaction of the store's `_run`. Reminder rows are locked
(``FOR UPDATE``) where two workers could race: firing one queues its event once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from soulbeat.errors import NotFoundError
from soulbeat.store import time_sql as q
from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.postgres import tables
from soulbeat.store.postgres.connection import PostgresConnection
from soulbeat.store.postgres.signals import notify
from soulbeat.store.postgres.tables import Conn, many, one
from soulbeat.store.records import SystemEvent
from soulbeat.store.records_cluster import CHANGED
from soulbeat.store.records_time import NewReminder, Reminder, ReminderStatus, ThreadHealth
from soulbeat.store.rows import event_from_row

__all__ = ["PostgresTime"]

T = TypeVar("T")


async def _reminder(conn: Conn, reminder_id: int, *, lock: bool = False) -> Reminder:
    sql = q.pg(q.GET_REMINDER) + (" FOR UPDATE" if lock else "")
    row = await one(conn, sql, (reminder_id,))
    if row is None:
        raise NotFoundError(f"no reminder {reminder_id}")
    return q.reminder_from_row(row)


async def _execute(conn: Conn, sql: str, args: tuple[Any, ...]) -> int:
    cursor = await conn.execute(q.pg(sql), args)
    return cursor.rowcount


class PostgresTime(PostgresConnection):
    """Reminders and thread health (module docstring); a part of `PostgresStore`, over the
    pool of `PostgresConnection` like its board and action parts."""

    async def add_reminder(self, new: NewReminder, *, max_pending: int) -> Reminder | None:
        async def job(conn: Conn) -> Reminder | None:
            await tables.require_thread(conn, new.thread_id)
            # the thread row is the lock that keeps two adds from both passing the cap
            await conn.execute("SELECT 1 FROM threads WHERE id = %s FOR UPDATE", (new.thread_id,))
            counted = await one(conn, q.pg(q.COUNT_PENDING), (new.thread_id,))
            if counted is not None and counted["n"] >= max_pending:
                return None
            row = await one(conn, q.pg(q.ADD_REMINDER) + " RETURNING *", q.reminder_args(new))
            assert row is not None
            await notify(conn, CHANGED)  # every worker's scheduler plans the new reminder
            return q.reminder_from_row(row)

        return await self._run(job)

    async def get_reminder(self, reminder_id: int) -> Reminder:
        return await self._run(lambda conn: _reminder(conn, reminder_id))

    async def list_reminders(
        self,
        thread_id: str | None = None,
        *,
        status: ReminderStatus | None = None,
        limit: int = 100,
    ) -> list[Reminder]:
        clauses, args = [], []
        if thread_id is not None:
            clauses.append("thread_id = %s")
            args.append(thread_id)
        if status is not None:
            clauses.append("status = %s")
            args.append(status)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT * FROM reminders {where} ORDER BY due_at, id LIMIT %s"

        async def job(conn: Conn) -> list[Reminder]:
            return [q.reminder_from_row(row) for row in await many(conn, sql, (*args, limit))]

        return await self._run(job)

    async def cancel_reminder(self, reminder_id: int, at: datetime) -> Reminder:
        async def job(conn: Conn) -> Reminder:
            await _reminder(conn, reminder_id, lock=True)
            await _execute(conn, q.CANCEL_REMINDER, (to_micros(at), reminder_id))
            return await _reminder(conn, reminder_id)

        return await self._run(job)

    async def due_reminders(self, now: datetime, *, limit: int = 100) -> list[Reminder]:
        async def job(conn: Conn) -> list[Reminder]:
            rows = await many(conn, q.pg(q.DUE_REMINDERS), (to_micros(now), limit))
            return [q.reminder_from_row(row) for row in rows]

        return await self._run(job)

    async def earliest_reminder(self, *, after: datetime | None = None) -> datetime | None:
        async def job(conn: Conn) -> datetime | None:
            if after is None:
                row = await one(conn, q.EARLIEST_REMINDER)
            else:
                row = await one(conn, q.pg(q.EARLIEST_REMINDER_AFTER), (to_micros(after),))
            return None if row is None or row["due"] is None else from_micros(row["due"])

        return await self._run(job)

    async def fire_reminder(self, reminder_id: int, at: datetime) -> SystemEvent:
        async def job(conn: Conn) -> SystemEvent:
            reminder = await _reminder(conn, reminder_id, lock=True)
            if reminder.event_id is not None:
                found = await one(conn, "SELECT * FROM events WHERE id = %s", (reminder.event_id,))
                if found is not None:
                    return event_from_row(found)
            text = f"Reminder: {reminder.text}"
            event = await tables.queue_event(
                conn, reminder.thread_id, text, to_micros(at), "reminder"
            )
            await conn.execute(
                "UPDATE reminders SET event_id = %s WHERE id = %s", (event.id, reminder_id)
            )
            return event

        return await self._run(job)

    async def retime_reminder(self, reminder_id: int, due_at: datetime) -> None:
        async def job(conn: Conn) -> None:
            await _execute(conn, q.RETIME_REMINDER, (to_micros(due_at), reminder_id))

        await self._run(job)

    async def settle_reminder(self, reminder_id: int, beat_key: str, at: datetime) -> None:
        async def job(conn: Conn) -> None:
            await _execute(conn, q.SETTLE_REMINDER, (beat_key, to_micros(at), reminder_id))

        await self._run(job)

    async def get_health(self, thread_id: str) -> ThreadHealth | None:
        async def job(conn: Conn) -> ThreadHealth | None:
            row = await one(conn, q.pg(q.GET_HEALTH), (thread_id,))
            return None if row is None else q.health_from_row(row)

        return await self._run(job)

    async def list_health(self) -> list[ThreadHealth]:
        async def job(conn: Conn) -> list[ThreadHealth]:
            return [q.health_from_row(row) for row in await many(conn, q.LIST_HEALTH)]

        return await self._run(job)

    async def unhealthy_health(self, *, limit: int = 1000) -> list[ThreadHealth]:
        async def job(conn: Conn) -> list[ThreadHealth]:
            rows = await many(conn, q.pg(q.LIST_UNHEALTHY), (limit,))
            return [q.health_from_row(row) for row in rows]

        return await self._run(job)

    async def put_health(self, health: ThreadHealth) -> None:
        async def job(conn: Conn) -> None:
            await tables.require_thread(conn, health.thread_id)
            await _execute(conn, q.PUT_HEALTH, q.health_args(health))

        await self._run(job)

    async def dead_threads(self, now: datetime, *, limit: int = 100) -> list[ThreadHealth]:
        async def job(conn: Conn) -> list[ThreadHealth]:
            rows = await many(conn, q.pg(q.DEAD_THREADS), (to_micros(now), limit))
            return [q.health_from_row(row) for row in rows]

        return await self._run(job)

    async def earliest_dead(self) -> datetime | None:
        async def job(conn: Conn) -> datetime | None:
            row = await one(conn, q.EARLIEST_DEAD)
            return None if row is None or row["due"] is None else from_micros(row["due"])

        return await self._run(job)

    async def claim_alert(self, thread_id: str, episode: int, at: datetime) -> bool:
        async def job(conn: Conn) -> bool:
            return await _execute(conn, q.CLAIM_ALERT, (to_micros(at), thread_id, episode)) == 1

        return await self._run(job)
