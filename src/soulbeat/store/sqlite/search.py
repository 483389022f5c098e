"""`BeatQuery` searches, buckets and thread facts for `SQLiteStore`, as functions on a
connection inside the store's read transaction (see `soulbeat.store.search`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from soulbeat.store.codec import from_micros
from soulbeat.store.rows import beat_from_row
from soulbeat.store.search import BeatBucket, BeatPage, BeatQuery, ThreadFacts, beat_where

_MAX_IDS = 500
"""Thread ids per `IN (...)`: well under SQLite's variable limit."""


def where(query: BeatQuery) -> tuple[str, list[object]]:
    return beat_where(query, "?", "LIKE")


def search_beats(conn: sqlite3.Connection, query: BeatQuery, limit: int, offset: int) -> BeatPage:
    """A text search scans the beats once, counting with a window; other filters are index
    range reads, where a separate count is cheaper than a window over every match."""
    clause, args = where(query)
    order = "ORDER BY due_at DESC, id DESC LIMIT ? OFFSET ?"
    page = [*args, max(0, limit), max(0, offset)]
    if query.text:
        rows = conn.execute(
            f"SELECT *, count(*) OVER () AS total_matches FROM beats WHERE {clause} {order}", page
        ).fetchall()
        if rows:
            return BeatPage([beat_from_row(r) for r in rows], int(rows[0]["total_matches"]))
    total = conn.execute(f"SELECT count(*) FROM beats WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM beats WHERE {clause} {order}", page).fetchall()
    return BeatPage([beat_from_row(row) for row in rows], int(total))


class _Slot:
    """One bucket being summed over its outcome rows."""

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}
        self.tokens = 0
        self.model_beats = 0
        self.micros = 0
        self.max_micros: int | None = None


def beat_buckets(
    conn: sqlite3.Connection, query: BeatQuery, bucket_micros: int
) -> list[BeatBucket]:
    """Per bucket of due time (aligned to the epoch, so days are UTC days), oldest first."""
    clause, args = where(query)
    model = "prompt_tokens + completion_tokens > 0 AND started_at IS NOT NULL"
    rows = conn.execute(
        f"""SELECT due_at / ? AS slot, coalesce(outcome, 'pending') AS outcome, count(*) AS n,
                   sum(prompt_tokens + completion_tokens) AS tokens,
                   sum(CASE WHEN {model} AND finished_at IS NOT NULL THEN 1 ELSE 0 END) AS m,
                   sum(CASE WHEN {model} THEN finished_at - started_at END) AS micros,
                   max(CASE WHEN {model} THEN finished_at - started_at END) AS top
            FROM beats WHERE {clause} GROUP BY slot, outcome ORDER BY slot""",
        [bucket_micros, *args],
    )
    slots: dict[int, _Slot] = {}
    for row in rows:
        slot = slots.setdefault(int(row["slot"]), _Slot())
        slot.outcomes[str(row["outcome"])] = int(row["n"])
        slot.tokens += int(row["tokens"] or 0)
        slot.model_beats += int(row["m"] or 0)
        slot.micros += int(row["micros"] or 0)
        if row["top"] is not None:
            slot.max_micros = max(int(row["top"]), slot.max_micros or 0)
    return [
        BeatBucket(
            start=from_micros(number * bucket_micros),
            outcomes=slot.outcomes,
            tokens=slot.tokens,
            model_beats=slot.model_beats,
            avg_ms=round(slot.micros / slot.model_beats / 1000, 1) if slot.model_beats else None,
            max_ms=round(slot.max_micros / 1000, 1) if slot.max_micros is not None else None,
        )
        for number, slot in sorted(slots.items())
    ]


def thread_facts(
    conn: sqlite3.Connection, thread_ids: Sequence[str], since_micros: int
) -> dict[str, ThreadFacts]:
    """Per thread: its latest finished beat and its tokens on beats finished since `since`.
    Index lookups per thread (`beats_by_thread_finished`), so a page costs a page's worth."""
    facts: dict[str, ThreadFacts] = {}
    for thread_id in list(dict.fromkeys(thread_ids))[:_MAX_IDS]:
        row = conn.execute(
            """SELECT * FROM beats WHERE thread_id = ? AND finished_at IS NOT NULL
               ORDER BY finished_at DESC, id DESC LIMIT 1""",
            (thread_id,),
        ).fetchone()
        tokens = conn.execute(
            """SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM beats
               WHERE thread_id = ? AND finished_at >= ?""",
            (thread_id, since_micros),
        ).fetchone()[0]
        facts[thread_id] = ThreadFacts(
            thread_id, beat_from_row(row) if row is not None else None, int(tokens)
        )
    return facts
