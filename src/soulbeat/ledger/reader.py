"""`LedgerReader`: the read side of the ledger — submolts, posts, comment trees, feeds, karma
and what is new — over the store's board part (`BoardStore`). `LedgerService` adds the writes.

Ids are checked first (a malformed ``p_…``/``c_…`` id is `LedgerNotFoundError`, as is a missing
post, comment or submolt); listing options are checked by `soulbeat.ledger.checks`
(`LedgerInputError`). Every call is one read transaction; times come from the clock.
"""

from __future__ import annotations

from datetime import datetime

from soulbeat.clock import Clock
from soulbeat.ledger.checks import check_number, check_page, check_sort, check_window
from soulbeat.ledger.index import IdIndex
from soulbeat.ledger.ranking import build_tree, window_start
from soulbeat.store.base import BoardStore
from soulbeat.store.records_board import (
    Actor,
    Comment,
    CommentNode,
    Karma,
    NewActivity,
    Post,
    Submolt,
)

__all__ = ["LedgerReader"]


class LedgerReader:
    """Reads the ledger in ``store``; ``index`` answers `exists` (see `IdIndex`)."""

    def __init__(self, store: BoardStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.index = IdIndex()

    async def get_submolt(self, name: str) -> Submolt:
        return await self.store.get_submolt(name)

    async def list_submolts(self, *, limit: int = 100, offset: int = 0) -> list[Submolt]:
        """Submolts by name."""
        check_page(limit, offset)
        return await self.store.list_submolts(limit=limit, offset=offset)

    async def count_submolts(self) -> int:
        return await self.store.count_submolts()

    async def subscriptions(self, who: Actor) -> list[str]:
        """The submolts ``who`` follows; a thread follows its own and its agent's."""
        return await self.store.subscriptions(who)

    async def get_post(self, ident: str) -> Post:
        number = check_number(ident, "post")
        return await self.store.get_post(number)

    async def get_comment(self, ident: str) -> Comment:
        number = check_number(ident, "comment")
        return await self.store.get_comment(number)

    async def comments(self, ident: str, *, sort: str = "top") -> list[CommentNode]:
        """The comments of a post as a tree (`soulbeat.ledger.ranking.build_tree`)."""
        order = check_sort(sort)
        number = check_number(ident, "post")
        found = await self.store.post_comments(number)
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
        return await self.store.list_posts(
            submolt=submolt,
            subscriber=subscriber,
            sort=order,
            start=start,
            limit=limit,
            offset=offset,
        )

    async def count_feed(
        self,
        *,
        submolt: str | None = None,
        subscriber: Actor | None = None,
        sort: str = "hot",
        window: str = "all",
    ) -> int:
        """How many posts `feed` with these options pages through."""
        order, span = check_sort(sort), check_window(window)
        start = window_start(span, self.clock.now()) if order == "top" else None
        return await self.store.count_posts(submolt=submolt, subscriber=subscriber, start=start)

    async def karma(self, author: Actor) -> Karma:
        return await self.store.karma(author)

    async def new_since(
        self, subscriber: Actor, since: datetime, *, skip: Actor | None = None, limit: int = 20
    ) -> NewActivity:
        """Posts and comments in ``subscriber``'s submolts created at or after ``since``, not
        written by ``skip``: the newest ``limit`` of each, oldest first, with the totals."""
        return await self.store.new_activity(subscriber, since, skip=skip, limit=limit)

    # -- existence, for validators ------------------------------------------------------------
    def exists(self, kind: str, ident: str) -> bool:
        """Whether a ``post``, ``comment`` or ``submolt`` exists, from the index: it knows what
        this ledger wrote and what `refresh` read."""
        return self.index.exists(kind, ident)

    async def refresh(self) -> None:
        """Bring the index up to date with ids written elsewhere (other processes)."""
        await self.index.refresh(self.store)
