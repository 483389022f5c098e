"""What the board's rate limits count (``ledger_activity``), in SQL on an open connection.

One row per counted write: the governance key (``person:ann``, ``thread:t1``), the kind
(``post``, ``comment``, ``vote``) and when. The rules that read these times are the ledger's
(`soulbeat.store.records_board.BoardGuard`); the rows are written in the same transaction as the
write they count, so limits hold across restarts and across processes sharing one database.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from soulbeat.store.codec import from_micros, to_micros

__all__ = ["activity_times", "record_activity"]


def activity_times(
    conn: sqlite3.Connection, actor: str, kind: str, since: datetime
) -> list[datetime]:
    """When ``actor`` did ``kind`` after ``since``, oldest first."""
    rows = conn.execute(
        "SELECT at FROM ledger_activity WHERE actor = ? AND kind = ? AND at > ? ORDER BY at",
        (actor, kind, to_micros(since)),
    )
    return [from_micros(row[0]) for row in rows]


def record_activity(
    conn: sqlite3.Connection, actor: str, kind: str, at: datetime, forget: datetime
) -> None:
    """Count one ``kind`` by ``actor`` at ``at`` and forget its activity at or before
    ``forget`` (what no limit can see any more)."""
    conn.execute(
        "INSERT INTO ledger_activity (actor, kind, at) VALUES (?, ?, ?)",
        (actor, kind, to_micros(at)),
    )
    conn.execute(
        "DELETE FROM ledger_activity WHERE actor = ? AND kind = ? AND at <= ?",
        (actor, kind, to_micros(forget)),
    )
