"""`BeatQuery` searches, buckets and thread facts for `PostgresStore`: the SQL of
`soulbeat.store.sqlite.search` on psycopg (``%s`` placeholders, ``ILIKE`` for text)."""

from __future__ import annotations

from collections.abc import Sequence

from soulbeat.store.codec import from_micros
from soulbeat.store.postgres.tables import Conn, many, one
from soulbeat.store.rows import beat_from_row
from soulbeat.store.search import (
    FLEET_SQL,
    BeatBucket,
    BeatPage,
    BeatQuery,
    FleetRow,
    ThreadFacts,
    beat_where,
    fleet_row,
)

_MAX_IDS = 500


async def search_beats(conn: Conn, query: BeatQuery, limit: int, offset: int) -> BeatPage:
    """As the SQLite store's: a text search counts with a window in the same scan."""
    clause, args = beat_where(query, "%s", "ILIKE")
    order = "ORDER BY due_at DESC, id DESC LIMIT %s OFFSET %s"
    page = [*args, max(0, limit), max(0, offset)]
    if query.text:
        rows = await many(
            conn,
            f"SELECT *, count(*) OVER () AS total_matches FROM beats WHERE {clause} {order}",
            page,
        )
        if rows:
            return BeatPage([beat_from_row(r) for r in rows], int(rows[0]["total_matches"]))
    counted = await one(conn, f"SELECT count(*) AS n FROM beats WHERE {clause}", args)
    rows = await many(conn, f"SELECT * FROM beats WHERE {clause} {order}", page)
    return BeatPage([beat_from_row(row) for row in rows], int(counted["n"]) if counted else 0)


async def beat_buckets(conn: Conn, query: BeatQuery, bucket_micros: int) -> list[BeatBucket]:
    clause, args = beat_where(query, "%s", "ILIKE")
    model = "prompt_tokens + completion_tokens > 0 AND started_at IS NOT NULL"
    rows = await many(
        conn,
        f"""SELECT due_at / %s AS slot, coalesce(outcome, 'pending') AS outcome, count(*) AS n,
                   sum(prompt_tokens + completion_tokens) AS tokens,
                   sum(CASE WHEN {model} AND finished_at IS NOT NULL THEN 1 ELSE 0 END) AS m,
                   sum(CASE WHEN {model} THEN finished_at - started_at END) AS micros,
                   max(CASE WHEN {model} THEN finished_at - started_at END) AS top
            FROM beats WHERE {clause} GROUP BY slot, 2 ORDER BY slot""",
        [bucket_micros, *args],
    )
    slots: dict[int, dict[str, object]] = {}
    for row in rows:
        slot = slots.setdefault(
            int(row["slot"]), {"outcomes": {}, "tokens": 0, "m": 0, "micros": 0, "top": None}
        )
        outcomes = slot["outcomes"]
        assert isinstance(outcomes, dict)
        outcomes[str(row["outcome"])] = int(row["n"])
        slot["tokens"] = _int(slot["tokens"]) + int(row["tokens"] or 0)
        slot["m"] = _int(slot["m"]) + int(row["m"] or 0)
        slot["micros"] = _int(slot["micros"]) + int(row["micros"] or 0)
        if row["top"] is not None:
            slot["top"] = max(int(row["top"]), _int(slot["top"] or 0))
    buckets = []
    for number, slot in sorted(slots.items()):
        count, micros, top = _int(slot["m"]), _int(slot["micros"]), slot["top"]
        outcomes = slot["outcomes"]
        assert isinstance(outcomes, dict)
        buckets.append(
            BeatBucket(
                start=from_micros(number * bucket_micros),
                outcomes=dict(outcomes),
                tokens=_int(slot["tokens"]),
                model_beats=count,
                avg_ms=round(micros / count / 1000, 1) if count else None,
                max_ms=round(_int(top) / 1000, 1) if top is not None else None,
            )
        )
    return buckets


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


async def thread_facts(
    conn: Conn, thread_ids: Sequence[str], since_micros: int
) -> dict[str, ThreadFacts]:
    facts: dict[str, ThreadFacts] = {}
    for thread_id in list(dict.fromkeys(thread_ids))[:_MAX_IDS]:
        row = await one(
            conn,
            """SELECT * FROM beats WHERE thread_id = %s AND finished_at IS NOT NULL
               ORDER BY finished_at DESC, id DESC LIMIT 1""",
            (thread_id,),
        )
        tokens = await one(
            conn,
            """SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS n FROM beats
               WHERE thread_id = %s AND finished_at >= %s""",
            (thread_id, since_micros),
        )
        facts[thread_id] = ThreadFacts(
            thread_id, beat_from_row(row) if row else None, int(tokens["n"]) if tokens else 0
        )
    return facts


async def fleet_rows(conn: Conn) -> list[FleetRow]:
    rows = await many(conn, FLEET_SQL)
    return [fleet_row(list(row.values())) for row in rows]
