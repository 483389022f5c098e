"""PostgreSQL's side of `soulbeat.cluster`: the event journal (`PostgresJournal`, on the
`event_log` table), wake requests (`PostgresWakes`, on `wake_requests`) and change signals
(`PostgresSignals`, LISTEN/NOTIFY).

Notifications are sent inside the writing transaction (`notify`), so PostgreSQL delivers them only
when it commits, to every listening session — the sender's own included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import psycopg

from soulbeat.clock import Clock
from soulbeat.store.codec import dump_json, from_micros, load_mapping, to_micros
from soulbeat.store.postgres.tables import Conn, many, one
from soulbeat.store.records_cluster import CHANGED, EVENTS, Journaled, MakeEvent, WakeRequest

if TYPE_CHECKING:
    from soulbeat.store.postgres.store import PostgresStore

__all__ = ["CHANNEL", "PostgresJournal", "PostgresSignals", "PostgresWakes", "notify"]

log = logging.getLogger(__name__)

CHANNEL = "soulbeat"
"""The one LISTEN/NOTIFY channel; the payload is the topic (`changed` or `events`)."""
JOURNAL_LOCK = 0x534F554C
"""The advisory lock writers of `event_log` hold, so ids commit in increasing order."""
RECONNECT_AFTER = timedelta(seconds=1)


async def notify(conn: Conn, topic: str) -> None:
    """Signal `topic` to every listener when the current transaction commits."""
    await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, topic))


class PostgresJournal:
    """`EventJournal` over a `PostgresStore` (its `run` seam); `make` turns a row back into the
    caller's event type (wiring passes `soulbeat.events.models.Event`)."""

    def __init__(self, store: PostgresStore, make: MakeEvent) -> None:
        self._store, self._make = store, make

    async def append_events(self, events: Sequence[Journaled], origin: str) -> list[int]:
        rows = [
            (event.name, to_micros(event.at), dump_json(dict(event.data), what="event data"))
            for event in events
        ]

        async def job(conn: Conn) -> list[int]:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (JOURNAL_LOCK,))
            ids: list[int] = []
            for name, at, data in rows:
                row = await one(
                    conn,
                    """INSERT INTO event_log (name, at, data, origin) VALUES (%s, %s, %s, %s)
                    RETURNING id""",
                    (name, at, data, origin),
                )
                assert row is not None
                ids.append(int(row["id"]))
            await notify(conn, EVENTS)
            return ids

        return await self._store.run(job)

    async def events_after(self, after_id: int, *, limit: int = 500) -> list[Any]:
        async def job(conn: Conn) -> list[Any]:
            rows = await many(
                conn,
                "SELECT * FROM event_log WHERE id > %s ORDER BY id LIMIT %s",
                (after_id, limit),
            )
            return [
                self._make(
                    row["id"], row["name"], from_micros(row["at"]), dict(load_mapping(row["data"]))
                )
                for row in rows
            ]

        return await self._store.run(job)

    async def last_event_id(self) -> int:
        async def job(conn: Conn) -> int:
            row = await one(conn, "SELECT coalesce(max(id), 0) AS id FROM event_log")
            assert row is not None
            return int(row["id"])

        return await self._store.run(job)


class PostgresWakes:
    """`WakeRequests` on the `wake_requests` table."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    async def request_wake(self, request: WakeRequest) -> None:
        async def job(conn: Conn) -> None:
            await conn.execute(
                """INSERT INTO wake_requests (thread_id, skill, reason, at)
                VALUES (%s, %s, %s, %s)""",
                (request.thread_id, request.skill, request.reason, to_micros(request.at)),
            )
            await notify(conn, CHANGED)

        await self._store.run(job)

    async def take_wakes(self, *, limit: int = 100) -> list[WakeRequest]:
        async def job(conn: Conn) -> list[WakeRequest]:
            rows = await many(
                conn,
                """DELETE FROM wake_requests WHERE id IN (
                    SELECT id FROM wake_requests ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
                RETURNING *""",
                (limit,),
            )
            rows.sort(key=lambda row: int(row["id"]))
            return [
                WakeRequest(row["thread_id"], row["skill"], row["reason"], from_micros(row["at"]))
                for row in rows
            ]

        return await self._store.run(job)


class PostgresSignals:
    """`ChangeSignals` on one dedicated connection that LISTENs on `CHANNEL`."""

    def __init__(self, url: str, clock: Clock) -> None:
        self._url, self._clock = url, clock

    async def listen(self) -> AsyncIterator[str]:
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
            except psycopg.Error as exc:
                log.warning("cannot LISTEN on PostgreSQL (%s); retrying", exc)
                await self._clock.sleep(RECONNECT_AFTER.total_seconds())
                continue
            try:
                await conn.execute(f"LISTEN {CHANNEL}")
                yield CHANGED  # whatever happened while not listening: catch up
                yield EVENTS
                async for notice in conn.notifies():
                    yield notice.payload
            except psycopg.Error as exc:
                log.warning("lost the PostgreSQL LISTEN connection (%s); reconnecting", exc)
            finally:
                await conn.close()
            await asyncio.sleep(0)
