"""Votes and karma, in SQL on an open connection (see `soulbeat.store.sqlite.board_tables`).

One vote per (thing, voter). Voting again the other way flips the vote; voting the same way again
removes it when ``toggle`` is on (the board's button, the API) and changes nothing when it is off
(the model's ``vote`` action says what it wants, not "press the button again"). The target's
``upvotes``/``downvotes`` counters and, for a post, its stored hot rank follow in the same
transaction (`rank(score, created_at)` is the hot rank the ledger defines,
`soulbeat.ledger.ranking.hot_rank`). Karma is computed from the scores, so it is always in step
with them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.records_board import Actor, Karma, Target, VoteOutcome, comment_id, post_id
from soulbeat.store.rows_board import actor_of
from soulbeat.store.sqlite import board_tables as tables

__all__ = ["cast_vote", "karma"]

_TABLES = {"post": "ledger_posts", "comment": "ledger_comments"}


def cast_vote(
    conn: sqlite3.Connection,
    target: Target,
    number: int,
    voter: Actor,
    up: bool,
    *,
    toggle: bool,
    at: datetime,
    rank: Callable[[int, datetime], float],
) -> VoteOutcome:
    """Record ``voter``'s vote on a post or comment (module docstring); NotFoundError when the
    target does not exist."""
    if target == "post":
        row = tables.get_post_row(conn, number)
    else:
        row = tables.get_comment_row(conn, number)
    key = (target, number, voter.kind, voter.name)
    found = conn.execute(
        "SELECT value FROM ledger_votes WHERE target = ? AND target_id = ? AND voter_kind = ?"
        " AND voter = ?",
        key,
    ).fetchone()
    value = 1 if up else -1
    old = 0 if found is None else int(found[0])
    change: Literal["added", "removed", "flipped", "unchanged"]
    if old == 0:
        change, new = "added", value
    elif old == value:
        change, new = ("removed", 0) if toggle else ("unchanged", old)
    else:
        change, new = "flipped", value
    _store_vote(conn, key, old, new, at)
    ups, downs = _counts(row, old, new)
    table = _TABLES[target]
    conn.execute(
        f"UPDATE {table} SET upvotes = ?, downvotes = ? WHERE id = ?", (ups, downs, number)
    )
    if target == "post":
        hot = rank(ups - downs, from_micros(row["created_at"]))
        conn.execute("UPDATE ledger_posts SET hot_rank = ? WHERE id = ?", (hot, number))
    return VoteOutcome(
        target=target,
        id=post_id(number) if target == "post" else comment_id(number),
        voter=voter,
        change=change,
        vote=None if new == 0 else ("up" if new > 0 else "down"),
        score=ups - downs,
        author=actor_of(row),
    )


def _store_vote(
    conn: sqlite3.Connection, key: tuple[str, int, str, str], old: int, new: int, at: datetime
) -> None:
    if new == old:
        return
    if new == 0:
        conn.execute(
            "DELETE FROM ledger_votes WHERE target = ? AND target_id = ? AND voter_kind = ?"
            " AND voter = ?",
            key,
        )
    else:
        conn.execute(
            "INSERT INTO ledger_votes (target, target_id, voter_kind, voter, value, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (target, target_id, voter_kind, voter)"
            " DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            (*key, new, to_micros(at)),
        )


def _counts(row: sqlite3.Row, old: int, new: int) -> tuple[int, int]:
    ups, downs = int(row["upvotes"]), int(row["downvotes"])
    ups += (new == 1) - (old == 1)
    downs += (new == -1) - (old == -1)
    return ups, downs


def karma(conn: sqlite3.Connection, who: Actor) -> Karma:
    """The sums of the scores of ``who``'s posts and comments."""
    totals = []
    for table in _TABLES.values():
        row = conn.execute(
            f"SELECT coalesce(sum(score), 0) FROM {table} WHERE author_kind = ? AND author = ?",
            (who.kind, who.name),
        ).fetchone()
        totals.append(int(row[0]))
    return Karma(who, post_karma=totals[0], comment_karma=totals[1])
