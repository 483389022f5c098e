"""The ledger's listing SQL: whose submolts, feeds in hot / new / top order, and what is new
since a moment. Plain functions on an open connection, like `soulbeat.store.sqlite.board_tables`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from soulbeat.store.codec import to_micros
from soulbeat.store.records_board import Actor, Comment, Post
from soulbeat.store.rows_board import comment_from_row, post_from_row

__all__ = ["followers", "list_posts", "new_comments", "new_posts", "subscriptions"]


def _thread_agent(conn: sqlite3.Connection, thread_id: str) -> str | None:
    """The agent of a thread (the store's ``threads`` table), or None for an unknown thread."""
    row = conn.execute("SELECT agent_id FROM threads WHERE id = ?", (thread_id,)).fetchone()
    return None if row is None else str(row[0])


def subscriptions(conn: sqlite3.Connection, who: Sequence[Actor]) -> list[str]:
    """The submolts any of ``who`` subscribes to, by name."""
    names: set[str] = set()
    for actor in who:
        rows = conn.execute(
            "SELECT submolt FROM ledger_subscriptions WHERE subscriber_kind = ? AND subscriber = ?",
            (actor.kind, actor.name),
        )
        names.update(str(row[0]) for row in rows)
    return sorted(names)


def followers(conn: sqlite3.Connection, who: Actor) -> list[Actor]:
    """``who``, and for a thread also its agent (whose subscriptions it shares)."""
    agent = _thread_agent(conn, who.name) if who.kind == "thread" else None
    return [who] if agent is None else [who, Actor("agent", agent)]


_ORDER = {
    "new": "created_at DESC, id DESC",
    "hot": "hot_rank DESC, created_at DESC, id DESC",
    "top": "score DESC, created_at DESC, id DESC",
}


def _post_filter(
    submolts: Sequence[str] | None, start: datetime | None
) -> tuple[str, list[object]]:
    where: list[str] = ["1"]
    args: list[object] = []
    if submolts is not None:
        where.append(f"submolt IN ({', '.join('?' * len(submolts))})")
        args.extend(submolts)
    if start is not None:
        where.append("created_at >= ?")
        args.append(to_micros(start))
    return " AND ".join(where), args


def count_posts(
    conn: sqlite3.Connection, *, submolts: Sequence[str] | None, start: datetime | None
) -> int:
    """How many posts `list_posts` with these filters pages through."""
    where, args = _post_filter(submolts, start)
    return int(conn.execute(f"SELECT count(*) FROM ledger_posts WHERE {where}", args).fetchone()[0])


def list_posts(
    conn: sqlite3.Connection,
    *,
    submolts: Sequence[str] | None,
    sort: str,
    start: datetime | None,
    limit: int,
    offset: int,
) -> list[Post]:
    """Posts ordered by ``sort`` (`soulbeat.ledger.ranking`), in ``submolts`` (None: all),
    created at or after ``start`` (None: ever)."""
    where, args = _post_filter(submolts, start)
    sql = f"SELECT * FROM ledger_posts WHERE {where} ORDER BY {_ORDER[sort]}"
    rows = conn.execute(sql + " LIMIT ? OFFSET ?", (*args, limit, offset))
    return [post_from_row(row) for row in rows]


def new_posts(
    conn: sqlite3.Connection,
    submolts: Sequence[str],
    since: datetime,
    skip: Actor | None,
    limit: int,
) -> tuple[list[Post], int]:
    """The newest ``limit`` posts in ``submolts`` created at or after ``since`` and not written
    by ``skip``, oldest first, with how many there are in all."""
    where, args = _new_filter("", "", submolts, since, skip)
    total = conn.execute(f"SELECT count(*) FROM ledger_posts WHERE {where}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM ledger_posts WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [post_from_row(row) for row in reversed(rows)], int(total)


def new_comments(
    conn: sqlite3.Connection,
    submolts: Sequence[str],
    since: datetime,
    skip: Actor | None,
    limit: int,
) -> tuple[list[Comment], int]:
    """Like `new_posts`, for comments on posts in ``submolts``."""
    where, args = _new_filter("c.", "p.", submolts, since, skip)
    source = "ledger_comments c JOIN ledger_posts p ON p.id = c.post_id"
    total = conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT c.* FROM {source} WHERE {where} ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [comment_from_row(row) for row in reversed(rows)], int(total)


def _new_filter(
    alias: str, post_alias: str, submolts: Sequence[str], since: datetime, skip: Actor | None
) -> tuple[str, list[object]]:
    marks = ", ".join("?" * len(submolts))
    where = f"{post_alias}submolt IN ({marks}) AND {alias}created_at >= ?"
    args: list[object] = [*submolts, to_micros(since)]
    if skip is not None:
        where += f" AND NOT ({alias}author_kind = ? AND {alias}author = ?)"
        args += [skip.kind, skip.name]
    return where, args
