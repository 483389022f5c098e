"""Decisions and effect records of beats (SPEC §9.4) for `PostgresStore`: the SQL of
`soulbeat.store.sqlite.effects`, inside the store's transaction. A message delivered under an
effect ref locks that effect's row first, so two attempts of one beat cannot both insert it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from soulbeat.store.codec import dump_json, from_micros, load_mapping
from soulbeat.store.postgres.tables import Conn, many, one
from soulbeat.store.records import Effect, EffectRef, Message
from soulbeat.store.rows import Row, message_from_row

_WHERE = "WHERE beat_key = %s AND idx = %s"


async def record_decision(
    conn: Conn, key: str, round: int, decision: Mapping[str, Any], at: int
) -> dict[str, Any]:
    await conn.execute(
        """INSERT INTO beat_decisions (beat_key, round, decision, recorded_at)
        VALUES (%s, %s, %s, %s) ON CONFLICT (beat_key, round) DO NOTHING""",
        (key, round, dump_json(decision, what="the model's decision"), at),
    )
    row = await one(
        conn,
        "SELECT decision FROM beat_decisions WHERE beat_key = %s AND round = %s",
        (key, round),
    )
    assert row is not None
    return load_mapping(row["decision"])


async def decisions(conn: Conn, key: str) -> list[dict[str, Any]]:
    rows = await many(
        conn, "SELECT decision FROM beat_decisions WHERE beat_key = %s ORDER BY round", (key,)
    )
    return [load_mapping(row["decision"]) for row in rows]


def _effect(row: Row) -> Effect:
    return Effect(
        key=row["beat_key"],
        index=row["idx"],
        kind=row["kind"],
        state=row["state"],
        data=load_mapping(row["data"]),
        attempts=row["attempts"],
        updated_at=from_micros(row["updated_at"]),
    )


async def get_effect(conn: Conn, ref: EffectRef, *, lock: bool = False) -> Effect | None:
    sql = f"SELECT * FROM beat_effects {_WHERE}" + (" FOR UPDATE" if lock else "")
    row = await one(conn, sql, (ref.key, ref.index))
    return None if row is None else _effect(row)


async def effects(conn: Conn, key: str) -> list[Effect]:
    rows = await many(conn, "SELECT * FROM beat_effects WHERE beat_key = %s ORDER BY idx", (key,))
    return [_effect(row) for row in rows]


async def start_effect(conn: Conn, ref: EffectRef, at: int) -> Effect:
    await conn.execute(
        """INSERT INTO beat_effects (beat_key, idx, kind, state, data, attempts, updated_at)
        VALUES (%s, %s, %s, 'started', '{}', 1, %s)
        ON CONFLICT (beat_key, idx) DO UPDATE SET attempts = beat_effects.attempts + 1,
            updated_at = excluded.updated_at WHERE beat_effects.state = 'started'""",
        (ref.key, ref.index, ref.kind, at),
    )
    found = await get_effect(conn, ref)
    assert found is not None
    return found


async def finish_effect(conn: Conn, ref: EffectRef, data: Mapping[str, Any], at: int) -> Effect:
    before = await get_effect(conn, ref, lock=True)
    merged = {**(before.data if before is not None else {}), **data}
    await conn.execute(
        """INSERT INTO beat_effects (beat_key, idx, kind, state, data, attempts, updated_at)
        VALUES (%s, %s, %s, 'done', %s, 1, %s)
        ON CONFLICT (beat_key, idx) DO UPDATE SET state = 'done', data = excluded.data,
            updated_at = excluded.updated_at""",
        (ref.key, ref.index, ref.kind, dump_json(merged, what="an effect's record"), at),
    )
    found = await get_effect(conn, ref)
    assert found is not None
    return found


async def add_effect_message(
    conn: Conn, ref: EffectRef, at: int, insert: Callable[[], Awaitable[Message]]
) -> Message:
    """The message recorded under `ref`, or `insert()` it and record it ``done`` with its id."""
    await conn.execute(
        """INSERT INTO beat_effects (beat_key, idx, kind, state, data, attempts, updated_at)
        VALUES (%s, %s, %s, 'started', '{}', 1, %s) ON CONFLICT (beat_key, idx) DO NOTHING""",
        (ref.key, ref.index, ref.kind, at),
    )
    before = await get_effect(conn, ref, lock=True)
    if before is not None and isinstance(before.data.get("message_id"), int):
        row = await one(conn, "SELECT * FROM messages WHERE id = %s", (before.data["message_id"],))
        if row is not None:
            return message_from_row(row)
    message = await insert()
    await finish_effect(conn, ref, {"message_id": message.id}, at)
    return message
