"""The board's SQL: plain functions on an open connection, run inside the store's transactions
(`soulbeat.store.sqlite.board.SQLiteBoard`). Schema: ``store/sqlite/migrations/003_ledger.sql``.

Each function takes already-checked values (names, lengths and kinds are `LedgerService`'s
business) and integer ids; it returns records from `soulbeat.store.records_board` and raises
`LedgerNotFoundError` for a missing submolt, post or comment. Votes and karma are in
`board_votes`, the listings in `board_feeds`, the counted activity of rate limits in
`board_activity`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime

from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.records_board import (
    Actor,
    Comment,
    LedgerConflictError,
    LedgerInputError,
    LedgerNotFoundError,
    Post,
    Submolt,
    comment_id,
    post_id,
)
from soulbeat.store.rows_board import comment_from_row, post_from_row, submolt_from_row

Row = sqlite3.Row


# -- submolts and subscriptions ---------------------------------------------------------------

_SUBMOLT = """
SELECT s.*,
       (SELECT count(*) FROM ledger_subscriptions WHERE submolt = s.name) AS subscribers,
       (SELECT count(*) FROM ledger_posts WHERE submolt = s.name) AS posts
FROM ledger_submolts s
"""


def insert_submolt(
    conn: sqlite3.Connection, name: str, display: str, description: str, by: Actor, at: datetime
) -> Submolt:
    """Raises LedgerConflictError when the name is taken."""
    try:
        conn.execute(
            "INSERT INTO ledger_submolts (name, display_name, description, created_by_kind,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, display, description, by.kind, by.name, to_micros(at)),
        )
    except sqlite3.IntegrityError:
        raise LedgerConflictError(
            f"submolt {name!r} exists already", hint=f"post to it, or pick another name than {name}"
        ) from None
    return get_submolt(conn, name)


def get_submolt(conn: sqlite3.Connection, name: str) -> Submolt:
    row = conn.execute(_SUBMOLT + " WHERE s.name = ?", (name,)).fetchone()
    if row is None:
        raise LedgerNotFoundError("submolt", name)
    return submolt_from_row(row)


def list_submolts(conn: sqlite3.Connection, limit: int, offset: int) -> list[Submolt]:
    rows = conn.execute(_SUBMOLT + " ORDER BY s.name LIMIT ? OFFSET ?", (limit, offset))
    return [submolt_from_row(row) for row in rows]


def count_submolts(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM ledger_submolts").fetchone()[0])


def submolt_names(conn: sqlite3.Connection, after_rowid: int) -> list[tuple[int, str]]:
    """(rowid, name) of submolts made after ``after_rowid`` (for the id index)."""
    rows = conn.execute(
        "SELECT rowid, name FROM ledger_submolts WHERE rowid > ? ORDER BY rowid", (after_rowid,)
    )
    return [(int(rowid), str(name)) for rowid, name in rows]


def new_ids(conn: sqlite3.Connection, table: str, after: int) -> list[int]:
    """Ids of ``ledger_posts`` or ``ledger_comments`` above ``after`` (for the id index)."""
    assert table in ("ledger_posts", "ledger_comments")
    rows = conn.execute(f"SELECT id FROM {table} WHERE id > ? ORDER BY id", (after,))
    return [int(row[0]) for row in rows]


def set_subscription(
    conn: sqlite3.Connection, who: Actor, submolt: str, at: datetime, on: bool
) -> bool:
    """Subscribe (``on``) or unsubscribe; True when that changed something."""
    get_submolt(conn, submolt)
    if on:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO ledger_subscriptions VALUES (?, ?, ?, ?)",
            (who.kind, who.name, submolt, to_micros(at)),
        )
    else:
        cursor = conn.execute(
            "DELETE FROM ledger_subscriptions WHERE subscriber_kind = ? AND subscriber = ?"
            " AND submolt = ?",
            (who.kind, who.name, submolt),
        )
    return cursor.rowcount > 0


# -- posts and comments -----------------------------------------------------------------------


def _insert(table: str, values: Mapping[str, object]) -> str:
    """``INSERT`` of ``values`` (column names chosen in this module, never by a caller)."""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


def insert_post(
    conn: sqlite3.Connection,
    *,
    submolt: str,
    author: Actor,
    title: str,
    content: str | None,
    url: str | None,
    fingerprint: str,
    at: datetime,
    rank: float,
    origin_thread: str | None,
) -> Post:
    get_submolt(conn, submolt)
    values = {
        "submolt": submolt,
        "author_kind": author.kind,
        "author": author.name,
        "origin_thread": origin_thread,
        "title": title,
        "content": content,
        "url": url,
        "fingerprint": fingerprint,
        "created_at": to_micros(at),
        "hot_rank": rank,
    }
    cursor = conn.execute(_insert("ledger_posts", values), values)
    assert cursor.lastrowid is not None
    return get_post(conn, cursor.lastrowid)


def get_post_row(conn: sqlite3.Connection, number: int) -> Row:
    row = conn.execute("SELECT * FROM ledger_posts WHERE id = ?", (number,)).fetchone()
    if row is None:
        raise LedgerNotFoundError("post", post_id(number))
    return row  # type: ignore[no-any-return]


def get_post(conn: sqlite3.Connection, number: int) -> Post:
    return post_from_row(get_post_row(conn, number))


def get_comment_row(conn: sqlite3.Connection, number: int) -> Row:
    row = conn.execute("SELECT * FROM ledger_comments WHERE id = ?", (number,)).fetchone()
    if row is None:
        raise LedgerNotFoundError("comment", comment_id(number))
    return row  # type: ignore[no-any-return]


def insert_comment(
    conn: sqlite3.Connection,
    *,
    post: int,
    parent: int | None,
    depth: int,
    author: Actor,
    content: str,
    fingerprint: str,
    at: datetime,
    origin_thread: str | None,
) -> Comment:
    values = {
        "post_id": post,
        "parent_id": parent,
        "depth": depth,
        "author_kind": author.kind,
        "author": author.name,
        "origin_thread": origin_thread,
        "content": content,
        "fingerprint": fingerprint,
        "created_at": to_micros(at),
    }
    cursor = conn.execute(_insert("ledger_comments", values), values)
    conn.execute("UPDATE ledger_posts SET comment_count = comment_count + 1 WHERE id = ?", (post,))
    assert cursor.lastrowid is not None
    return comment_from_row(get_comment_row(conn, cursor.lastrowid))


def post_comments(conn: sqlite3.Connection, post: int) -> list[Comment]:
    """Every comment of a post, oldest first."""
    rows = conn.execute(
        "SELECT * FROM ledger_comments WHERE post_id = ? ORDER BY created_at, id", (post,)
    )
    return [comment_from_row(row) for row in rows]


def reply_depth(conn: sqlite3.Connection, post: int, parent: int | None, limit: int) -> int:
    """The depth of a new comment on ``post`` replying to ``parent`` (None: to the post, 0).
    LedgerInputError when the parent belongs to another post or the reply would sit deeper
    than ``limit``; LedgerNotFoundError when the parent does not exist."""
    if parent is None:
        return 0
    row = get_comment_row(conn, parent)
    if row["post_id"] != post:
        raise LedgerInputError(
            f"comment {comment_id(parent)} belongs to {post_id(row['post_id'])}, "
            f"not {post_id(post)}",
            hint="reply to a comment of the same post, or leave parent_id out",
            field="parent_id",
        )
    depth = int(row["depth"]) + 1
    if depth > limit:
        raise LedgerInputError(
            f"replies go at most {limit} levels deep",
            hint="reply higher up the thread",
            field="parent_id",
        )
    return depth


def last_written(
    conn: sqlite3.Connection, table: str, who: Actor, fingerprint: str, since: datetime
) -> datetime | None:
    """When ``who`` last wrote a post or comment with this fingerprint after ``since``."""
    assert table in ("ledger_posts", "ledger_comments")
    (last,) = conn.execute(
        f"SELECT max(created_at) FROM {table} WHERE author_kind = ? AND author = ?"
        " AND fingerprint = ? AND created_at > ?",
        (who.kind, who.name, fingerprint, to_micros(since)),
    ).fetchone()
    return None if last is None else from_micros(last)
