"""`SQLiteJournal`: the `EventJournal` (`soulbeat.cluster.base`) on the SQLite store's
``event_log`` table (migration 010), so SSE ids of a SQLite-backed process are durable: after a
restart they go on from the last one, and a client's ``Last-Event-ID`` gets what it missed.

One process owns a SQLite file, so there is no one to signal but itself: `on_append` is called
after each append commits (wiring hands it to `LocalSignals`, which pokes the `EventFeed`).
Appends share their commit with other grouped writes (`_write_grouped`).

The store knows nothing above it: the journal reads and writes anything with an event's
``name``, ``at`` and ``data``, and `make` turns a row back into the caller's event type (wiring
passes `soulbeat.events.models.Event`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from soulbeat.store.codec import dump_json, from_micros, load_mapping, to_micros
from soulbeat.store.records_cluster import Journaled, MakeEvent
from soulbeat.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteJournal"]


class SQLiteJournal:
    """See the module docstring."""

    def __init__(
        self,
        store: SQLiteStore,
        make: MakeEvent,
        on_append: Callable[[], None] = lambda: None,
    ) -> None:
        self._store, self._make, self._on_append = store, make, on_append

    async def append_events(self, events: Sequence[Journaled], origin: str) -> list[int]:
        rows = [
            (event.name, to_micros(event.at), dump_json(dict(event.data), what="event data"))
            for event in events
        ]

        def job(conn: sqlite3.Connection) -> list[int]:
            ids = []
            for name, at, data in rows:
                cursor = conn.execute(
                    "INSERT INTO event_log (name, at, data, origin) VALUES (?, ?, ?, ?)",
                    (name, at, data, origin),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
            return ids

        # The store's own seam: the journal is a part of this store kept in its own module.
        ids = await self._store._write_grouped(job)
        self._on_append()
        return ids

    async def events_after(self, after_id: int, *, limit: int = 500) -> list[Any]:
        def job(conn: sqlite3.Connection) -> list[Any]:
            rows = conn.execute(
                "SELECT id, name, at, data FROM event_log WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            )
            return [
                self._make(row[0], row[1], from_micros(row[2]), dict(load_mapping(row[3])))
                for row in rows
            ]

        return await self._store._read(job)

    async def last_event_id(self) -> int:
        def job(conn: sqlite3.Connection) -> int:
            (newest,) = conn.execute("SELECT coalesce(max(id), 0) FROM event_log").fetchone()
            return int(newest)  # pruning keeps the newest entry (`tables.PRUNE_SQL`)

        return await self._store._read(job)
