"""`LedgerReader`: the read side of the ledger — submolts, posts, comment trees, feeds, karma
and what is new — over the store's `run_read` seam. `LedgerService` adds the writes.

Ids are checked first (a malformed ``p_…``/``c_…`` id is `LedgerNotFoundError`, as is a missing
post, comment or submolt); listing options are checked by `soulbeat.ledger.checks`
(`LedgerInputError`). Every call is one read transaction; times come from the clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from soulbeat.clock import Clock
from soulbeat.ledger import feeds, tables, votes
from soulbeat.ledger.checks import check_number, check_page, check_sort, check_window
from soulbeat.ledger.index import IdIndex
from soulbeat.ledger.models import (
    Actor,
    Comment,
    CommentNode,
    Karma,
    NewActivity,
    Post,
    Submolt,
)
from soulbeat.ledger.ranking import build_tree, window_start

__all__ = ["LedgerReader", "SQLRunner"]

T = TypeVar("T")


class SQLRunner(Protocol):
    """The store seam the ledger needs (`SQLiteStore` has it)."""

    async def run_read(self, job: Callable[[sqlite3.Connection], T]) -> T: ...

    async def run_write(self, job: Callable[[sqlite3.Connection], T]) -> T: ...


class LedgerReader:
    """Reads the ledger in ``store``; ``index`` answers `exists` (see `IdIndex`)."""

    def __init__(self, store: SQLRunner, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.index = IdIndex()

    async def get_submolt(self, name: str) -> Submolt:
        return await self.store.run_read(lambda conn: tables.get_submolt(conn, name))

    async def list_submolts(self, *, limit: int = 100, offset: int = 0) -> list[Submolt]:
        """Submolts by name."""
        check_page(limit, offset)
        return await self.store.run_read(lambda conn: tables.list_submolts(conn, limit, offset))

    async def subscriptions(self, who: Actor) -> list[str]:
        """The submolts ``who`` follows; a thread follows its own and its agent's."""
        return await self.store.run_read(
            lambda conn: feeds.subscriptions(conn, feeds.followers(conn, who))
        )

    async def get_post(self, ident: str) -> Post:
        number = check_number(ident, "post")
        return await self.store.run_read(lambda conn: tables.get_post(conn, number))

    async def get_comment(self, ident: str) -> Comment:
        number = check_number(ident, "comment")
        row = await self.store.run_read(lambda conn: tables.get_comment_row(conn, number))
        return tables.to_comment(row)

    async def comments(self, ident: str, *, sort: str = "top") -> list[CommentNode]:
        """The comments of a post as a tree (`soulbeat.ledger.ranking.build_tree`)."""
        order = check_sort(sort)
        number = check_number(ident, "post")

        def job(conn: sqlite3.Connection) -> list[Comment]:
            tables.get_post_row(conn, number)
            return tables.post_comments(conn, number)

        found = await self.store.run_read(job)
        return build_tree(found, order, self.clock.now())

    async def feed(
        self,
        *,
        submolt: str | None = None,
        subscriber: Actor | None = None,
        sort: str = "hot",
        window: str = "all",
        limit: int = 25,
        offset: int = 0,
    ) -> list[Post]:
        """Posts of one submolt, of a subscriber's submolts, or of all; ``window`` applies to
        ``top`` (`soulbeat.ledger.ranking`)."""
        order, span = check_sort(sort), check_window(window)
        check_page(limit, offset)
        start = window_start(span, self.clock.now()) if order == "top" else None

        def job(conn: sqlite3.Connection) -> list[Post]:
            names: list[str] | None = None
            if submolt is not None:
                names = [tables.get_submolt(conn, submolt).name]
            elif subscriber is not None:
                names = feeds.subscriptions(conn, feeds.followers(conn, subscriber))
            if names == []:
                return []
            return feeds.list_posts(
                conn, submolts=names, sort=order, start=start, limit=limit, offset=offset
            )

        return await self.store.run_read(job)

    async def karma(self, author: Actor) -> Karma:
        return await self.store.run_read(lambda conn: votes.karma(conn, author))

    async def new_since(
        self, subscriber: Actor, since: datetime, *, skip: Actor | None = None, limit: int = 20
    ) -> NewActivity:
        """Posts and comments in ``subscriber``'s submolts created at or after ``since``, not
        written by ``skip``: the newest ``limit`` of each, oldest first, with the totals."""

        def job(conn: sqlite3.Connection) -> NewActivity:
            names = feeds.subscriptions(conn, feeds.followers(conn, subscriber))
            posts, total_posts = feeds.new_posts(conn, names, since, skip, limit)
            comments, total_comments = feeds.new_comments(conn, names, since, skip, limit)
            return NewActivity(
                tuple(names), since, tuple(posts), tuple(comments), total_posts, total_comments
            )

        return await self.store.run_read(job)

    # -- existence, for validators ------------------------------------------------------------
    def exists(self, kind: str, ident: str) -> bool:
        """Whether a ``post``, ``comment`` or ``submolt`` exists, from the index: it knows what
        this ledger wrote and what `refresh` read."""
        return self.index.exists(kind, ident)

    async def refresh(self) -> None:
        """Bring the index up to date with ids written elsewhere (other processes)."""
        await self.index.refresh(self.store.run_read)
