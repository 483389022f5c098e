"""`SQLiteBoard`: the `BoardStore` protocol (`soulbeat.store.base`) on the SQLite file.

Each method is one transaction over the ledger's tables (migration 003), made of the functions in
`board_tables`, `board_votes`, `board_feeds` and `board_activity`. A write runs its `BoardGuard`
inside its transaction: targets first (`LedgerNotFoundError`), then the duplicate guard, then the
rate limit, then the write and its counted activity. ``dry_run=True`` runs all of it, then rolls
the transaction back and returns what would have been written. A post or comment that carries a
beat's effect (SPEC §9.4) is noted on the effect's record in the same transaction; asked again
under that effect, the one written is returned and nothing is checked or written again.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TypeVar, cast

from soulbeat.store.codec import to_micros
from soulbeat.store.records import EffectRef
from soulbeat.store.records_board import (
    Actor,
    BoardGuard,
    BoardIds,
    Comment,
    Karma,
    NewActivity,
    NewComment,
    NewPost,
    NewVote,
    Post,
    Sort,
    Submolt,
    VoteOutcome,
    parse_id,
)
from soulbeat.store.rows_board import comment_from_row
from soulbeat.store.sqlite import board_activity as activity
from soulbeat.store.sqlite import board_feeds as feeds
from soulbeat.store.sqlite import board_tables as tables
from soulbeat.store.sqlite import board_votes as votes
from soulbeat.store.sqlite import effects
from soulbeat.store.sqlite.connection import Job, SQLiteConnection

__all__ = ["SQLiteBoard"]

T = TypeVar("T")


class _DryRun(Exception):
    """Raised at the end of a dry-run job: rolls the transaction back, carries the result."""

    def __init__(self, value: object) -> None:
        self.value = value


class SQLiteBoard(SQLiteConnection):
    """The board's part of `SQLiteStore` (module docstring)."""

    # -- reads ----------------------------------------------------------------------------------
    async def get_submolt(self, name: str) -> Submolt:
        return await self._read(lambda conn: tables.get_submolt(conn, name))

    async def list_submolts(self, *, limit: int, offset: int) -> list[Submolt]:
        return await self._read(lambda conn: tables.list_submolts(conn, limit, offset))

    async def count_submolts(self) -> int:
        return await self._read(tables.count_submolts)

    async def subscriptions(self, who: Actor) -> list[str]:
        return await self._read(lambda conn: feeds.subscriptions(conn, feeds.followers(conn, who)))

    async def get_post(self, number: int) -> Post:
        return await self._read(lambda conn: tables.get_post(conn, number))

    async def get_comment(self, number: int) -> Comment:
        row = await self._read(lambda conn: tables.get_comment_row(conn, number))
        return comment_from_row(row)

    async def post_comments(self, number: int) -> list[Comment]:
        def job(conn: sqlite3.Connection) -> list[Comment]:
            tables.get_post_row(conn, number)
            return tables.post_comments(conn, number)

        return await self._read(job)

    async def list_posts(
        self,
        *,
        submolt: str | None,
        subscriber: Actor | None,
        sort: Sort,
        start: datetime | None,
        limit: int,
        offset: int,
    ) -> list[Post]:
        def job(conn: sqlite3.Connection) -> list[Post]:
            names: list[str] | None = None
            if submolt is not None:
                names = [tables.get_submolt(conn, submolt).name]
            elif subscriber is not None:
                names = feeds.subscriptions(conn, feeds.followers(conn, subscriber))
            if names == []:
                return []
            return feeds.list_posts(
                conn, submolts=names, sort=sort, start=start, limit=limit, offset=offset
            )

        return await self._read(job)

    async def count_posts(
        self, *, submolt: str | None, subscriber: Actor | None, start: datetime | None
    ) -> int:
        def job(conn: sqlite3.Connection) -> int:
            names: list[str] | None = None
            if submolt is not None:
                names = [tables.get_submolt(conn, submolt).name]
            elif subscriber is not None:
                names = feeds.subscriptions(conn, feeds.followers(conn, subscriber))
            if names == []:
                return 0
            return feeds.count_posts(conn, submolts=names, start=start)

        return await self._read(job)

    async def karma(self, author: Actor) -> Karma:
        return await self._read(lambda conn: votes.karma(conn, author))

    async def new_activity(
        self, subscriber: Actor, since: datetime, *, skip: Actor | None, limit: int
    ) -> NewActivity:
        def job(conn: sqlite3.Connection) -> NewActivity:
            names = feeds.subscriptions(conn, feeds.followers(conn, subscriber))
            posts, total_posts = feeds.new_posts(conn, names, since, skip, limit)
            comments, total_comments = feeds.new_comments(conn, names, since, skip, limit)
            return NewActivity(
                tuple(names), since, tuple(posts), tuple(comments), total_posts, total_comments
            )

        return await self._read(job)

    async def board_ids_since(self, post: int, comment: int, submolt_mark: int) -> BoardIds:
        def job(conn: sqlite3.Connection) -> BoardIds:
            return BoardIds(
                tuple(tables.new_ids(conn, "ledger_posts", post)),
                tuple(tables.new_ids(conn, "ledger_comments", comment)),
                tuple(tables.submolt_names(conn, submolt_mark)),
            )

        return await self._read(job)

    # -- writes ---------------------------------------------------------------------------------
    async def create_submolt(
        self, name: str, display_name: str, description: str, created_by: Actor, at: datetime
    ) -> Submolt:
        def job(conn: sqlite3.Connection) -> Submolt:
            return tables.insert_submolt(conn, name, display_name, description, created_by, at)

        return await self._write(job)

    async def set_subscription(self, who: Actor, submolt: str, at: datetime, on: bool) -> bool:
        return await self._write(lambda conn: tables.set_subscription(conn, who, submolt, at, on))

    async def add_post(self, post: NewPost, guard: BoardGuard, *, dry_run: bool = False) -> Post:
        def job(conn: sqlite3.Connection) -> Post:
            kept = _kept(conn, post.effect, "post_id", dry_run)
            if kept is not None:  # written by an earlier attempt of the beat: not again
                return tables.get_post(conn, kept)
            tables.get_submolt(conn, post.submolt)
            _check_duplicate(conn, "ledger_posts", post.author, post.fingerprint, guard)
            _check_rate(conn, guard)
            made = tables.insert_post(
                conn,
                submolt=post.submolt,
                author=post.author,
                title=post.title,
                content=post.content,
                url=post.url,
                fingerprint=post.fingerprint,
                at=post.at,
                rank=post.rank,
                origin_thread=post.origin_thread,
            )
            _count(conn, guard)
            _note(conn, post.effect, {"post_id": parse_id(made.id, "post")}, post.at)
            return _finish(made, dry_run)

        return await self._guarded(job)

    async def add_comment(
        self, comment: NewComment, guard: BoardGuard, *, dry_run: bool = False
    ) -> Comment:
        def job(conn: sqlite3.Connection) -> Comment:
            kept = _kept(conn, comment.effect, "comment_id", dry_run)
            if kept is not None:  # written by an earlier attempt of the beat: not again
                return comment_from_row(tables.get_comment_row(conn, kept))
            tables.get_post_row(conn, comment.post)
            depth = tables.reply_depth(conn, comment.post, comment.parent, comment.max_depth)
            _check_duplicate(conn, "ledger_comments", comment.author, comment.fingerprint, guard)
            _check_rate(conn, guard)
            made = tables.insert_comment(
                conn,
                post=comment.post,
                parent=comment.parent,
                depth=depth,
                author=comment.author,
                content=comment.content,
                fingerprint=comment.fingerprint,
                at=comment.at,
                origin_thread=comment.origin_thread,
            )
            _count(conn, guard)
            _note(conn, comment.effect, {"comment_id": parse_id(made.id, "comment")}, comment.at)
            return _finish(made, dry_run)

        return await self._guarded(job)

    async def cast_vote(
        self, vote: NewVote, guard: BoardGuard, *, dry_run: bool = False
    ) -> VoteOutcome:
        def job(conn: sqlite3.Connection) -> VoteOutcome:
            _check_rate(conn, guard)
            outcome = votes.cast_vote(
                conn,
                vote.target,
                vote.number,
                vote.voter,
                vote.up,
                toggle=vote.toggle,
                at=vote.at,
                rank=vote.rank,
            )
            if outcome.change != "unchanged":
                _count(conn, guard)
            return _finish(outcome, dry_run)

        return await self._guarded(job)

    async def _guarded(self, job: Job[T]) -> T:
        try:
            return await self._write(job)
        except _DryRun as done:
            return cast(T, done.value)


def _check_duplicate(
    conn: sqlite3.Connection, table: str, who: Actor, mark: str, guard: BoardGuard
) -> None:
    since, check = guard.duplicate_since, guard.check_duplicate
    if since is None or check is None:
        return
    check(tables.last_written(conn, table, who, mark, since))


def _check_rate(conn: sqlite3.Connection, guard: BoardGuard) -> None:
    if guard.window:
        since = guard.at - guard.window
        guard.check_rate(activity.activity_times(conn, guard.key, guard.kind, since))


def _count(conn: sqlite3.Connection, guard: BoardGuard) -> None:
    if guard.window:
        activity.record_activity(conn, guard.key, guard.kind, guard.at, guard.at - guard.window)


def _finish(value: T, dry_run: bool) -> T:
    if dry_run:
        raise _DryRun(value)
    return value


def _kept(conn: sqlite3.Connection, ref: EffectRef | None, name: str, dry_run: bool) -> int | None:
    """The row an earlier attempt wrote for the effect `ref` (SPEC §9.4), or None."""
    if ref is None or dry_run:
        return None
    found = effects.noted(conn, ref, name)
    return found if isinstance(found, int) else None


def _note(
    conn: sqlite3.Connection, ref: EffectRef | None, data: dict[str, int | None], at: datetime
) -> None:
    """Record the row written for the effect `ref` in the same transaction (rolled back with a
    dry run)."""
    if ref is not None:
        effects.note(conn, ref, data, to_micros(at))
