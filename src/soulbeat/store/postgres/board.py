"""`PostgresBoard`: the `BoardStore` protocol (`soulbeat.store.base`) on PostgreSQL.

Each method is one transaction over the ledger's tables (migration 003), made of the coroutines
in `board_tables` and `board_feeds`, in the order `soulbeat.store.sqlite.board` gives: targets
first (`LedgerNotFoundError`), then the duplicate guard, then the rate limit, then the write and
its counted activity; ``dry_run=True`` runs all of it, then rolls the transaction back and
returns what would have been written. A post or comment that carries a beat's effect (SPEC §9.4)
is noted on the effect's record in the same transaction; asked again under that effect, the one
written is returned and nothing is checked or written again.

Writers in several processes run at once here, so a write first takes its locks, always in one
order: the effect's record, then the board keys (the guard's governance key and the author,
sorted), then rows (a vote's target). Two writers of one key therefore check and count one
after the other, and two attempts of one beat's effect cannot both write it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar, cast

from soulbeat.store.codec import to_micros
from soulbeat.store.postgres import board_feeds as feeds
from soulbeat.store.postgres import board_tables as tables
from soulbeat.store.postgres import effects
from soulbeat.store.postgres.connection import Job, PostgresConnection
from soulbeat.store.postgres.tables import Conn
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

__all__ = ["PostgresBoard"]

T = TypeVar("T")


class _DryRun(Exception):
    """Raised at the end of a dry-run job: rolls the transaction back, carries the result."""

    def __init__(self, value: object) -> None:
        self.value = value


class PostgresBoard(PostgresConnection):
    """The board's part of `PostgresStore` (module docstring)."""

    # -- reads ----------------------------------------------------------------------------------
    async def get_submolt(self, name: str) -> Submolt:
        return await self._run(lambda conn: tables.get_submolt(conn, name))

    async def list_submolts(self, *, limit: int, offset: int) -> list[Submolt]:
        return await self._run(lambda conn: tables.list_submolts(conn, limit, offset))

    async def count_submolts(self) -> int:
        return await self._run(tables.count_submolts)

    async def subscriptions(self, who: Actor) -> list[str]:
        async def job(conn: Conn) -> list[str]:
            return await feeds.subscriptions(conn, await feeds.followers(conn, who))

        return await self._run(job)

    async def get_post(self, number: int) -> Post:
        return await self._run(lambda conn: tables.get_post(conn, number))

    async def get_comment(self, number: int) -> Comment:
        return comment_from_row(await self._run(lambda conn: tables.get_comment_row(conn, number)))

    async def post_comments(self, number: int) -> list[Comment]:
        async def job(conn: Conn) -> list[Comment]:
            await tables.get_post_row(conn, number)
            return await tables.post_comments(conn, number)

        return await self._run(job)

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
        async def job(conn: Conn) -> list[Post]:
            names: list[str] | None = None
            if submolt is not None:
                names = [(await tables.get_submolt(conn, submolt)).name]
            elif subscriber is not None:
                names = await feeds.subscriptions(conn, await feeds.followers(conn, subscriber))
            if names == []:
                return []
            return await feeds.list_posts(
                conn, submolts=names, sort=sort, start=start, limit=limit, offset=offset
            )

        return await self._run(job)

    async def count_posts(
        self, *, submolt: str | None, subscriber: Actor | None, start: datetime | None
    ) -> int:
        async def job(conn: Conn) -> int:
            names: list[str] | None = None
            if submolt is not None:
                names = [(await tables.get_submolt(conn, submolt)).name]
            elif subscriber is not None:
                names = await feeds.subscriptions(conn, await feeds.followers(conn, subscriber))
            if names == []:
                return 0
            return await feeds.count_posts(conn, submolts=names, start=start)

        return await self._run(job)

    async def karma(self, author: Actor) -> Karma:
        return await self._run(lambda conn: feeds.karma(conn, author))

    async def new_activity(
        self, subscriber: Actor, since: datetime, *, skip: Actor | None, limit: int
    ) -> NewActivity:
        async def job(conn: Conn) -> NewActivity:
            names = await feeds.subscriptions(conn, await feeds.followers(conn, subscriber))
            posts, total_posts = await feeds.new_posts(conn, names, since, skip, limit)
            comments, total_comments = await feeds.new_comments(conn, names, since, skip, limit)
            return NewActivity(
                tuple(names), since, tuple(posts), tuple(comments), total_posts, total_comments
            )

        return await self._run(job)

    async def board_ids_since(self, post: int, comment: int, submolt_mark: int) -> BoardIds:
        async def job(conn: Conn) -> BoardIds:
            return BoardIds(
                tuple(await tables.new_ids(conn, "ledger_posts", post)),
                tuple(await tables.new_ids(conn, "ledger_comments", comment)),
                tuple(await tables.submolt_names(conn, submolt_mark)),
            )

        return await self._run(job)

    # -- writes ---------------------------------------------------------------------------------
    async def create_submolt(
        self, name: str, display_name: str, description: str, created_by: Actor, at: datetime
    ) -> Submolt:
        return await self._run(
            lambda conn: tables.insert_submolt(
                conn, name, display_name, description, created_by, at
            )
        )

    async def set_subscription(self, who: Actor, submolt: str, at: datetime, on: bool) -> bool:
        return await self._run(lambda conn: tables.set_subscription(conn, who, submolt, at, on))

    async def add_post(self, post: NewPost, guard: BoardGuard, *, dry_run: bool = False) -> Post:
        async def job(conn: Conn) -> Post:
            kept = await _kept(conn, post.effect, "post_id", dry_run)
            if kept is not None:  # written by an earlier attempt of the beat: not again
                return await tables.get_post(conn, kept)
            await _lock(conn, guard, post.author)
            await tables.get_submolt(conn, post.submolt)
            await _check_duplicate(conn, "ledger_posts", post.author, post.fingerprint, guard)
            await _check_rate(conn, guard)
            made = await tables.insert_post(
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
            await _count(conn, guard)
            await _note(conn, post.effect, {"post_id": parse_id(made.id, "post")}, post.at)
            return _finish(made, dry_run)

        return await self._guarded(job)

    async def add_comment(
        self, comment: NewComment, guard: BoardGuard, *, dry_run: bool = False
    ) -> Comment:
        async def job(conn: Conn) -> Comment:
            kept = await _kept(conn, comment.effect, "comment_id", dry_run)
            if kept is not None:  # written by an earlier attempt of the beat: not again
                return comment_from_row(await tables.get_comment_row(conn, kept))
            await _lock(conn, guard, comment.author)
            await tables.get_post_row(conn, comment.post)
            depth = await tables.reply_depth(conn, comment.post, comment.parent, comment.max_depth)
            await _check_duplicate(
                conn, "ledger_comments", comment.author, comment.fingerprint, guard
            )
            await _check_rate(conn, guard)
            made = await tables.insert_comment(
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
            await _count(conn, guard)
            made_id = {"comment_id": parse_id(made.id, "comment")}
            await _note(conn, comment.effect, made_id, comment.at)
            return _finish(made, dry_run)

        return await self._guarded(job)

    async def cast_vote(
        self, vote: NewVote, guard: BoardGuard, *, dry_run: bool = False
    ) -> VoteOutcome:
        async def job(conn: Conn) -> VoteOutcome:
            await _lock(conn, guard, None)
            await _check_rate(conn, guard)
            outcome = await feeds.cast_vote(
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
                await _count(conn, guard)
            return _finish(outcome, dry_run)

        return await self._guarded(job)

    async def _guarded(self, job: Job[T]) -> T:
        try:
            return await self._run(job)
        except _DryRun as done:
            return cast(T, done.value)


async def _lock(conn: Conn, guard: BoardGuard, author: Actor | None) -> None:
    """The board keys this write checks (module docstring), in sorted order."""
    keys = {guard.key} if guard.window else set()
    if author is not None and guard.duplicate_since is not None:
        keys.add(f"{author.kind}:{author.name}")
    for key in sorted(keys):
        await tables.lock_key(conn, key)


async def _check_duplicate(
    conn: Conn, table: str, who: Actor, mark: str, guard: BoardGuard
) -> None:
    since, check = guard.duplicate_since, guard.check_duplicate
    if since is None or check is None:
        return
    check(await tables.last_written(conn, table, who, mark, since))


async def _check_rate(conn: Conn, guard: BoardGuard) -> None:
    if guard.window:
        since = guard.at - guard.window
        guard.check_rate(await tables.activity_times(conn, guard.key, guard.kind, since))


async def _count(conn: Conn, guard: BoardGuard) -> None:
    if guard.window:
        forget = guard.at - guard.window
        await tables.record_activity(conn, guard.key, guard.kind, guard.at, forget)


def _finish(value: T, dry_run: bool) -> T:
    if dry_run:
        raise _DryRun(value)
    return value


async def _kept(conn: Conn, ref: EffectRef | None, name: str, dry_run: bool) -> int | None:
    """The row an earlier attempt wrote for the effect `ref` (SPEC §9.4), or None."""
    if ref is None or dry_run:
        return None
    found = await effects.noted(conn, ref, name)
    return found if isinstance(found, int) else None


async def _note(
    conn: Conn, ref: EffectRef | None, data: dict[str, int | None], at: datetime
) -> None:
    """Record the row written for the effect `ref` in the same transaction."""
    if ref is not None:
        await effects.note(conn, ref, data, to_micros(at))
