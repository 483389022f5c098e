"""Decisions and effect records of beats (SPEC §9.4) for `SQLiteStore`, as plain functions on a
connection inside the store's write (or read) transaction.

`beat_decisions` keeps the model's answer of each round of a beat, first writer wins;
`beat_effects` keeps one row per effect, keyed by the beat key and the effect's index. A message
delivered under an effect ref is inserted in the same transaction as its ``done`` record
(`add_effect_message`), so it exists once whatever the number of attempts; so are a ledger post
or comment and an action-log row written for an effect (`note` in their transaction, `noted`
finds them again), see `soulbeat.store.sqlite.board` and `soulbeat.store.sqlite.actions`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from soulbeat.store.codec import dump_json, from_micros, load_mapping
from soulbeat.store.records import Effect, EffectRef, Message
from soulbeat.store.rows import message_from_row

__all__ = [
    "add_effect_message",
    "decisions",
    "effects",
    "finish_effect",
    "note",
    "noted",
    "record_decision",
    "start_effect",
]

_WHERE = "WHERE beat_key = ? AND idx = ?"


def record_decision(
    conn: sqlite3.Connection, key: str, round: int, decision: Mapping[str, Any], at: int
) -> dict[str, Any]:
    """Insert the answer of round `round` unless one is there; return the one kept."""
    conn.execute(
        """INSERT INTO beat_decisions (beat_key, round, decision, recorded_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (beat_key, round) DO NOTHING""",
        (key, round, dump_json(decision, what="the model's decision"), at),
    )
    row = conn.execute(
        "SELECT decision FROM beat_decisions WHERE beat_key = ? AND round = ?", (key, round)
    ).fetchone()
    return load_mapping(row["decision"])


def decisions(conn: sqlite3.Connection, key: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT decision FROM beat_decisions WHERE beat_key = ? ORDER BY round", (key,)
    )
    return [load_mapping(row["decision"]) for row in rows]


def _effect(row: sqlite3.Row) -> Effect:
    return Effect(
        key=row["beat_key"],
        index=row["idx"],
        kind=row["kind"],
        state=row["state"],
        data=load_mapping(row["data"]),
        attempts=row["attempts"],
        updated_at=from_micros(row["updated_at"]),
    )


def get_effect(conn: sqlite3.Connection, ref: EffectRef) -> Effect | None:
    row = conn.execute(f"SELECT * FROM beat_effects {_WHERE}", (ref.key, ref.index)).fetchone()
    return None if row is None else _effect(row)


def effects(conn: sqlite3.Connection, key: str) -> list[Effect]:
    rows = conn.execute("SELECT * FROM beat_effects WHERE beat_key = ? ORDER BY idx", (key,))
    return [_effect(row) for row in rows]


def start_effect(conn: sqlite3.Connection, ref: EffectRef, at: int) -> Effect:
    """A new record ``started``; a ``started`` one gets one more attempt; ``done`` is kept."""
    conn.execute(
        """INSERT INTO beat_effects (beat_key, idx, kind, state, data, attempts, updated_at)
        VALUES (?, ?, ?, 'started', '{}', 1, ?)
        ON CONFLICT (beat_key, idx) DO UPDATE SET attempts = attempts + 1,
            updated_at = excluded.updated_at WHERE state = 'started'""",
        (ref.key, ref.index, ref.kind, at),
    )
    found = get_effect(conn, ref)
    assert found is not None
    return found


def finish_effect(
    conn: sqlite3.Connection, ref: EffectRef, data: Mapping[str, Any], at: int
) -> Effect:
    """The record ``done``, `data` merged over what it held (made when missing)."""
    before = get_effect(conn, ref)
    merged = {**(before.data if before is not None else {}), **data}
    conn.execute(
        """INSERT INTO beat_effects (beat_key, idx, kind, state, data, attempts, updated_at)
        VALUES (?, ?, ?, 'done', ?, 1, ?)
        ON CONFLICT (beat_key, idx) DO UPDATE SET state = 'done', data = excluded.data,
            updated_at = excluded.updated_at""",
        (ref.key, ref.index, ref.kind, dump_json(merged, what="an effect's record"), at),
    )
    found = get_effect(conn, ref)
    assert found is not None
    return found


def add_effect_message(
    conn: sqlite3.Connection, ref: EffectRef, at: int, insert: Callable[[], Message]
) -> Message:
    """The message recorded under `ref`, or `insert()` it and record it ``done`` with its id."""
    before = get_effect(conn, ref)
    if before is not None and isinstance(before.data.get("message_id"), int):
        row = conn.execute(
            "SELECT * FROM messages WHERE id = ?", (before.data["message_id"],)
        ).fetchone()
        if row is not None:
            return message_from_row(row)
    message = insert()
    finish_effect(conn, ref, {"message_id": message.id}, at)
    return message


def noted(conn: sqlite3.Connection, ref: EffectRef, name: str) -> Any:
    """What an earlier attempt noted as ``name`` on the effect `ref` (a row id), or None."""
    found = get_effect(conn, ref)
    return None if found is None else found.data.get(name)


def note(conn: sqlite3.Connection, ref: EffectRef, data: Mapping[str, Any], at: int) -> None:
    """Merge `data` (the id of a row just written for the effect) into its record, in the
    transaction that wrote the row; a new record is ``started``: the effect as a whole is done
    only when the beat records its result."""
    before = get_effect(conn, ref)
    merged = {**(before.data if before is not None else {}), **data}
    conn.execute(
        """INSERT INTO beat_effects (beat_key, idx, kind, state, data, attempts, updated_at)
        VALUES (?, ?, ?, 'started', ?, 1, ?)
        ON CONFLICT (beat_key, idx) DO UPDATE SET data = excluded.data,
            updated_at = excluded.updated_at""",
        (ref.key, ref.index, ref.kind, dump_json(merged, what="an effect's record"), at),
    )
