"""The board's SQL on PostgreSQL: submolts, subscriptions, posts, comments and the activity the
rate limits count, as coroutines on a connection inside `PostgresBoard`'s transactions. The
statements are those of `soulbeat.store.sqlite.board_tables` (same columns and encodings; the
rows become records through the shared `soulbeat.store.rows_board`); votes and listings are in
`board_feeds`.

Unlike SQLite's single writer, several transactions write at once here, so what a check reads
must not change before the write it allows: `lock_key` serialises the writes of one governance
key (its duplicate and rate checks), and a vote locks its target row. Post and comment numbers
are taken as the highest plus one under a lock per table, not from the identity's sequence: a
sequence is not rolled back, and a dry run or a refused write must not use up a number.
"""

from __future__ import annotations

from datetime import datetime

from psycopg import errors as pg_errors

from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.postgres.tables import Conn, many, one
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
from soulbeat.store.rows import Row
from soulbeat.store.rows_board import comment_from_row, post_from_row, submolt_from_row

__all__ = [
    "activity_times",
    "get_comment_row",
    "get_post",
    "get_post_row",
    "get_submolt",
    "insert_comment",
    "insert_post",
    "insert_submolt",
    "last_written",
    "list_submolts",
    "lock_key",
    "new_ids",
    "post_comments",
    "record_activity",
    "reply_depth",
    "set_subscription",
    "submolt_names",
]

_TABLES = frozenset({"ledger_posts", "ledger_comments"})


async def lock_key(conn: Conn, key: str) -> None:
    """Hold the board's lock on `key` (a governance key, an author) until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"board:{key}",))


# -- submolts and subscriptions ---------------------------------------------------------------

_SUBMOLT = """
SELECT s.*,
       (SELECT count(*) FROM ledger_subscriptions WHERE submolt = s.name) AS subscribers,
       (SELECT count(*) FROM ledger_posts WHERE submolt = s.name) AS posts
FROM ledger_submolts s
"""


async def insert_submolt(
    conn: Conn, name: str, display: str, description: str, by: Actor, at: datetime
) -> Submolt:
    """Raises LedgerConflictError when the name is taken."""
    try:
        async with conn.transaction():  # a savepoint: the conflict leaves the outer one usable
            await conn.execute(
                "INSERT INTO ledger_submolts (name, display_name, description, created_by_kind,"
                " created_by, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                (name, display, description, by.kind, by.name, to_micros(at)),
            )
    except pg_errors.UniqueViolation:
        raise LedgerConflictError(
            f"submolt {name!r} exists already", hint=f"post to it, or pick another name than {name}"
        ) from None
    return await get_submolt(conn, name)


async def get_submolt(conn: Conn, name: str) -> Submolt:
    row = await one(conn, _SUBMOLT + " WHERE s.name = %s", (name,))
    if row is None:
        raise LedgerNotFoundError("submolt", name)
    return submolt_from_row(row)


async def list_submolts(conn: Conn, limit: int, offset: int) -> list[Submolt]:
    rows = await many(conn, _SUBMOLT + " ORDER BY s.name LIMIT %s OFFSET %s", (limit, offset))
    return [submolt_from_row(row) for row in rows]


async def count_submolts(conn: Conn) -> int:
    row = await one(conn, "SELECT count(*) AS n FROM ledger_submolts")
    return int(row["n"]) if row else 0


async def submolt_names(conn: Conn, after_mark: int) -> list[tuple[int, str]]:
    """(mark, name) of submolts made after ``after_mark`` (for the id index). The mark is the
    creation order (migration 010), what SQLite's rowid is there."""
    rows = await many(
        conn,
        "SELECT mark, name FROM ledger_submolts WHERE mark > %s ORDER BY mark",
        (after_mark,),
    )
    return [(int(row["mark"]), str(row["name"])) for row in rows]


async def new_ids(conn: Conn, table: str, after: int) -> list[int]:
    """Ids of ``ledger_posts`` or ``ledger_comments`` above ``after`` (for the id index)."""
    assert table in _TABLES
    rows = await many(conn, f"SELECT id FROM {table} WHERE id > %s ORDER BY id", (after,))
    return [int(row["id"]) for row in rows]


async def set_subscription(conn: Conn, who: Actor, submolt: str, at: datetime, on: bool) -> bool:
    """Subscribe (``on``) or unsubscribe; True when that changed something."""
    await get_submolt(conn, submolt)
    if on:
        cursor = await conn.execute(
            "INSERT INTO ledger_subscriptions VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (who.kind, who.name, submolt, to_micros(at)),
        )
    else:
        cursor = await conn.execute(
            "DELETE FROM ledger_subscriptions WHERE subscriber_kind = %s AND subscriber = %s"
            " AND submolt = %s",
            (who.kind, who.name, submolt),
        )
    return cursor.rowcount > 0


# -- posts and comments -----------------------------------------------------------------------


async def _next_id(conn: Conn, table: str) -> int:
    """The number the next row of `table` gets; the table's number lock is held until the
    transaction ends (module docstring)."""
    assert table in _TABLES
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"board-ids:{table}",))
    row = await one(conn, f"SELECT coalesce(max(id), 0) + 1 AS next FROM {table}")
    assert row is not None
    return int(row["next"])


async def insert_post(
    conn: Conn,
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
    row = await one(
        conn,
        """INSERT INTO ledger_posts (id, submolt, author_kind, author, origin_thread, title,
            content, url, fingerprint, created_at, hot_rank)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *""",
        (
            await _next_id(conn, "ledger_posts"),
            submolt,
            author.kind,
            author.name,
            origin_thread,
            title,
            content,
            url,
            fingerprint,
            to_micros(at),
            rank,
        ),
    )
    assert row is not None
    return post_from_row(row)


async def get_post_row(conn: Conn, number: int, *, lock: bool = False) -> Row:
    sql = "SELECT * FROM ledger_posts WHERE id = %s" + (" FOR UPDATE" if lock else "")
    row = await one(conn, sql, (number,))
    if row is None:
        raise LedgerNotFoundError("post", post_id(number))
    return row


async def get_post(conn: Conn, number: int) -> Post:
    return post_from_row(await get_post_row(conn, number))


async def get_comment_row(conn: Conn, number: int, *, lock: bool = False) -> Row:
    sql = "SELECT * FROM ledger_comments WHERE id = %s" + (" FOR UPDATE" if lock else "")
    row = await one(conn, sql, (number,))
    if row is None:
        raise LedgerNotFoundError("comment", comment_id(number))
    return row


async def insert_comment(
    conn: Conn,
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
    row = await one(
        conn,
        """INSERT INTO ledger_comments (id, post_id, parent_id, depth, author_kind, author,
            origin_thread, content, fingerprint, created_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *""",
        (
            await _next_id(conn, "ledger_comments"),
            post,
            parent,
            depth,
            author.kind,
            author.name,
            origin_thread,
            content,
            fingerprint,
            to_micros(at),
        ),
    )
    await conn.execute(
        "UPDATE ledger_posts SET comment_count = comment_count + 1 WHERE id = %s", (post,)
    )
    assert row is not None
    return comment_from_row(row)


async def post_comments(conn: Conn, post: int) -> list[Comment]:
    """Every comment of a post, oldest first."""
    rows = await many(
        conn, "SELECT * FROM ledger_comments WHERE post_id = %s ORDER BY created_at, id", (post,)
    )
    return [comment_from_row(row) for row in rows]


async def reply_depth(conn: Conn, post: int, parent: int | None, limit: int) -> int:
    """The depth of a new comment on ``post`` replying to ``parent`` (None: to the post, 0);
    the errors of `soulbeat.store.sqlite.board_tables.reply_depth`."""
    if parent is None:
        return 0
    row = await get_comment_row(conn, parent)
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


async def last_written(
    conn: Conn, table: str, who: Actor, fingerprint: str, since: datetime
) -> datetime | None:
    """When ``who`` last wrote a post or comment with this fingerprint after ``since``."""
    assert table in _TABLES
    row = await one(
        conn,
        f"SELECT max(created_at) AS last FROM {table} WHERE author_kind = %s AND author = %s"
        " AND fingerprint = %s AND created_at > %s",
        (who.kind, who.name, fingerprint, to_micros(since)),
    )
    last = None if row is None else row["last"]
    return None if last is None else from_micros(last)


# -- what the rate limits count (see `soulbeat.store.sqlite.board_activity`) -----------------


async def activity_times(conn: Conn, actor: str, kind: str, since: datetime) -> list[datetime]:
    """When ``actor`` did ``kind`` after ``since``, oldest first."""
    rows = await many(
        conn,
        "SELECT at FROM ledger_activity WHERE actor = %s AND kind = %s AND at > %s ORDER BY at",
        (actor, kind, to_micros(since)),
    )
    return [from_micros(row["at"]) for row in rows]


async def record_activity(
    conn: Conn, actor: str, kind: str, at: datetime, forget: datetime
) -> None:
    """Count one ``kind`` by ``actor`` at ``at``; forget what no limit can see any more."""
    await conn.execute(
        "INSERT INTO ledger_activity (actor, kind, at) VALUES (%s, %s, %s)",
        (actor, kind, to_micros(at)),
    )
    await conn.execute(
        "DELETE FROM ledger_activity WHERE actor = %s AND kind = %s AND at <= %s",
        (actor, kind, to_micros(forget)),
    )
