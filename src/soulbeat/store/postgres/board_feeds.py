"""The board's listings, votes and karma on PostgreSQL: the statements of
`soulbeat.store.sqlite.board_feeds` and `board_votes` (see there for the rules), as coroutines
on a connection inside `PostgresBoard`'s transactions. A vote locks its target row first, so
concurrent votes on one post or comment count every vote once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.postgres import board_tables as tables
from soulbeat.store.postgres.tables import Conn, many, one
from soulbeat.store.records_board import (
    Actor,
    Comment,
    Karma,
    Post,
    Target,
    VoteOutcome,
    comment_id,
    post_id,
)
from soulbeat.store.rows import Row
from soulbeat.store.rows_board import actor_of, comment_from_row, post_from_row

__all__ = ["cast_vote", "followers", "karma", "list_posts", "new_comments", "new_posts"]

_TABLES = {"post": "ledger_posts", "comment": "ledger_comments"}
_ORDER = {
    "new": "created_at DESC, id DESC",
    "hot": "hot_rank DESC, created_at DESC, id DESC",
    "top": "score DESC, created_at DESC, id DESC",
}


# -- whose submolts -----------------------------------------------------------------------------


async def subscriptions(conn: Conn, who: Sequence[Actor]) -> list[str]:
    """The submolts any of ``who`` subscribes to, by name."""
    names: set[str] = set()
    for actor in who:
        rows = await many(
            conn,
            "SELECT submolt FROM ledger_subscriptions"
            " WHERE subscriber_kind = %s AND subscriber = %s",
            (actor.kind, actor.name),
        )
        names.update(str(row["submolt"]) for row in rows)
    return sorted(names)


async def followers(conn: Conn, who: Actor) -> list[Actor]:
    """``who``, and for a thread also its agent (whose subscriptions it shares)."""
    if who.kind != "thread":
        return [who]
    row = await one(conn, "SELECT agent_id FROM threads WHERE id = %s", (who.name,))
    return [who] if row is None else [who, Actor("agent", str(row["agent_id"]))]


# -- listings -----------------------------------------------------------------------------------


async def list_posts(
    conn: Conn,
    *,
    submolts: Sequence[str] | None,
    sort: str,
    start: datetime | None,
    limit: int,
    offset: int,
) -> list[Post]:
    """Posts ordered by ``sort``, in ``submolts`` (None: all), created at or after ``start``."""
    where, args = _post_filter(submolts, start)
    sql = f"SELECT * FROM ledger_posts WHERE {where} ORDER BY {_ORDER[sort]}"
    rows = await many(conn, sql + " LIMIT %s OFFSET %s", (*args, limit, offset))
    return [post_from_row(row) for row in rows]


async def count_posts(conn: Conn, *, submolts: Sequence[str] | None, start: datetime | None) -> int:
    """How many posts `list_posts` with these filters pages through."""
    where, args = _post_filter(submolts, start)
    row = await one(conn, f"SELECT count(*) AS n FROM ledger_posts WHERE {where}", args)
    return int(row["n"]) if row else 0


def _post_filter(
    submolts: Sequence[str] | None, start: datetime | None
) -> tuple[str, list[object]]:
    where: list[str] = ["TRUE"]
    args: list[object] = []
    if submolts is not None:
        where.append("submolt = ANY(%s)")
        args.append(list(submolts))
    if start is not None:
        where.append("created_at >= %s")
        args.append(to_micros(start))
    return " AND ".join(where), args


async def new_posts(
    conn: Conn, submolts: Sequence[str], since: datetime, skip: Actor | None, limit: int
) -> tuple[list[Post], int]:
    """The newest ``limit`` posts in ``submolts`` created at or after ``since`` and not written
    by ``skip``, oldest first, with how many there are in all."""
    where, args = _new_filter("", "", submolts, since, skip)
    total = await one(conn, f"SELECT count(*) AS n FROM ledger_posts WHERE {where}", args)
    rows = await many(
        conn,
        f"SELECT * FROM ledger_posts WHERE {where} ORDER BY created_at DESC, id DESC LIMIT %s",
        (*args, limit),
    )
    assert total is not None
    return [post_from_row(row) for row in reversed(rows)], int(total["n"])


async def new_comments(
    conn: Conn, submolts: Sequence[str], since: datetime, skip: Actor | None, limit: int
) -> tuple[list[Comment], int]:
    """Like `new_posts`, for comments on posts in ``submolts``."""
    where, args = _new_filter("c.", "p.", submolts, since, skip)
    source = "ledger_comments c JOIN ledger_posts p ON p.id = c.post_id"
    total = await one(conn, f"SELECT count(*) AS n FROM {source} WHERE {where}", args)
    rows = await many(
        conn,
        f"SELECT c.* FROM {source} WHERE {where} ORDER BY c.created_at DESC, c.id DESC LIMIT %s",
        (*args, limit),
    )
    assert total is not None
    return [comment_from_row(row) for row in reversed(rows)], int(total["n"])


def _new_filter(
    alias: str, post_alias: str, submolts: Sequence[str], since: datetime, skip: Actor | None
) -> tuple[str, list[object]]:
    where = f"{post_alias}submolt = ANY(%s) AND {alias}created_at >= %s"
    args: list[object] = [list(submolts), to_micros(since)]
    if skip is not None:
        where += f" AND NOT ({alias}author_kind = %s AND {alias}author = %s)"
        args += [skip.kind, skip.name]
    return where, args


# -- votes and karma ----------------------------------------------------------------------------


async def cast_vote(
    conn: Conn,
    target: Target,
    number: int,
    voter: Actor,
    up: bool,
    *,
    toggle: bool,
    at: datetime,
    rank: Callable[[int, datetime], float],
) -> VoteOutcome:
    """Record ``voter``'s vote on a post or comment (`soulbeat.store.sqlite.board_votes`);
    LedgerNotFoundError when the target does not exist."""
    if target == "post":
        row = await tables.get_post_row(conn, number, lock=True)
    else:
        row = await tables.get_comment_row(conn, number, lock=True)
    key = (target, number, voter.kind, voter.name)
    found = await one(
        conn,
        "SELECT value FROM ledger_votes WHERE target = %s AND target_id = %s"
        " AND voter_kind = %s AND voter = %s",
        key,
    )
    value = 1 if up else -1
    old = 0 if found is None else int(found["value"])
    change: Literal["added", "removed", "flipped", "unchanged"]
    if old == 0:
        change, new = "added", value
    elif old == value:
        change, new = ("removed", 0) if toggle else ("unchanged", old)
    else:
        change, new = "flipped", value
    await _store_vote(conn, key, old, new, at)
    ups, downs = _counts(row, old, new)
    if target == "post":
        hot = rank(ups - downs, from_micros(row["created_at"]))
        await conn.execute(
            "UPDATE ledger_posts SET upvotes = %s, downvotes = %s, hot_rank = %s WHERE id = %s",
            (ups, downs, hot, number),
        )
    else:
        await conn.execute(
            "UPDATE ledger_comments SET upvotes = %s, downvotes = %s WHERE id = %s",
            (ups, downs, number),
        )
    return VoteOutcome(
        target=target,
        id=post_id(number) if target == "post" else comment_id(number),
        voter=voter,
        change=change,
        vote=None if new == 0 else ("up" if new > 0 else "down"),
        score=ups - downs,
        author=actor_of(row),
    )


async def _store_vote(
    conn: Conn, key: tuple[str, int, str, str], old: int, new: int, at: datetime
) -> None:
    if new == old:
        return
    if new == 0:
        await conn.execute(
            "DELETE FROM ledger_votes WHERE target = %s AND target_id = %s AND voter_kind = %s"
            " AND voter = %s",
            key,
        )
    else:
        await conn.execute(
            "INSERT INTO ledger_votes (target, target_id, voter_kind, voter, value, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (target, target_id, voter_kind, voter)"
            " DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            (*key, new, to_micros(at)),
        )


def _counts(row: Row, old: int, new: int) -> tuple[int, int]:
    ups, downs = int(row["upvotes"]), int(row["downvotes"])
    ups += (new == 1) - (old == 1)
    downs += (new == -1) - (old == -1)
    return ups, downs


async def karma(conn: Conn, who: Actor) -> Karma:
    """The sums of the scores of ``who``'s posts and comments."""
    totals = []
    for table in _TABLES.values():
        row = await one(
            conn,
            f"SELECT coalesce(sum(score), 0) AS total FROM {table}"
            " WHERE author_kind = %s AND author = %s",
            (who.kind, who.name),
        )
        assert row is not None
        totals.append(int(row["total"]))
    return Karma(who, post_karma=totals[0], comment_karma=totals[1])
