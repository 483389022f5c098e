"""`Board`: what the edges (the HTTP API, the panel) may ask of the board and the approval queue.

The routes reach the ledger (`soulbeat.ledger.LedgerService`) and the approval queue
(`soulbeat.actions.approvals.ApprovalQueue`) only through here, and get JSON-ready answers made
by `soulbeat.service.views`. The rules stay where they are: the ledger checks input, limits and
duplicates; the queue decides once. Errors are theirs and propagate unchanged: the `LedgerError`
tree (with its status and hint), `LedgerNotFoundError`, NotFoundError for an unknown approval and
`ApprovalDecidedError` for one already decided. A service built without one of the parts
(`Service(ledger=None)`, tests) answers `BoardUnavailableError` for what needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from soulbeat.clock import Clock
from soulbeat.service.views import (
    comment_view,
    karma_view,
    post_view,
    submolt_view,
    tree_view,
    vote_view,
)
from soulbeat.store.records_actions import ApprovalStatus
from soulbeat.store.records_board import Actor, LedgerError

if TYPE_CHECKING:
    from soulbeat.actions.approvals import ApprovalQueue
    from soulbeat.ledger.service import LedgerService

__all__ = ["Board", "BoardUnavailableError"]

View = dict[str, Any]


class BoardUnavailableError(LedgerError):
    """This service has no ledger, or no approval queue (503)."""

    status = 503


class Board:
    """The board and the approval queue of one service (module docstring)."""

    def __init__(
        self, ledger: LedgerService | None, approvals: ApprovalQueue | None, clock: Clock
    ) -> None:
        self._ledger, self._approvals, self._clock = ledger, approvals, clock

    @property
    def has_approvals(self) -> bool:
        return self._approvals is not None

    def require_ledger(self) -> None:
        """BoardUnavailableError (503) when this service has no ledger."""
        self.ledger  # noqa: B018 -- the property raises

    @property
    def ledger(self) -> LedgerService:
        if self._ledger is None:
            raise BoardUnavailableError(
                "this server has no ledger", hint="soulbeat.wiring sets service.ledger up"
            )
        return self._ledger

    @property
    def approvals(self) -> ApprovalQueue:
        if self._approvals is None:
            raise BoardUnavailableError(
                "this soulbeat has no approval queue",
                hint="soulbeat.wiring sets service.approvals up",
            )
        return self._approvals

    # -- posts --------------------------------------------------------------------------------
    async def posts(
        self,
        *,
        submolt: str | None = None,
        subscriber: Actor | None = None,
        sort: str = "hot",
        window: str = "all",
        limit: int = 25,
        offset: int = 0,
    ) -> list[View]:
        """One submolt's feed, a subscriber's (a thread: its own and its agent's), or all."""
        found = await self.ledger.feed(
            submolt=submolt,
            subscriber=subscriber,
            sort=sort,
            window=window,
            limit=limit,
            offset=offset,
        )
        now = self._clock.now()
        return [post_view(post, now) for post in found]

    async def count_posts(
        self,
        *,
        submolt: str | None = None,
        subscriber: Actor | None = None,
        sort: str = "hot",
        window: str = "all",
        limit: int = 25,
        offset: int = 0,
    ) -> int:
        """How many posts `posts` with these options pages through (``limit`` and ``offset``
        are taken, and ignored, so one set of options serves both)."""
        return await self.ledger.count_feed(
            submolt=submolt, subscriber=subscriber, sort=sort, window=window
        )

    async def create_post(
        self,
        author: Actor,
        submolt: str,
        title: str,
        *,
        content: str | None = None,
        url: str | None = None,
    ) -> View:
        made = await self.ledger.create_post(author, submolt, title, content=content, url=url)
        return post_view(made, self._clock.now())

    async def post(self, ident: str) -> View:
        return post_view(await self.ledger.get_post(ident), self._clock.now())

    async def comments(self, post: str, *, sort: str = "top") -> list[View]:
        """The post's comments as a tree (each with its ``replies``)."""
        return tree_view(await self.ledger.comments(post, sort=sort))

    async def comment(
        self, author: Actor, post: str, content: str, *, parent: str | None = None
    ) -> View:
        return comment_view(await self.ledger.comment(author, post, content, parent=parent))

    async def vote(
        self, voter: Actor, target: Literal["post", "comment"], ident: str, up: bool
    ) -> View:
        """A person's vote: the same again removes it, the other way flips it."""
        return vote_view(await self.ledger.vote(voter, target, ident, up))

    # -- submolts, subscriptions, karma -------------------------------------------------------
    async def submolts(self, *, limit: int = 100, offset: int = 0) -> list[View]:
        found = await self.ledger.list_submolts(limit=limit, offset=offset)
        return [submolt_view(submolt) for submolt in found]

    async def count_submolts(self) -> int:
        return await self.ledger.count_submolts()

    async def create_submolt(
        self, name: str, *, created_by: Actor, display_name: str = "", description: str = ""
    ) -> View:
        made = await self.ledger.create_submolt(
            name, created_by=created_by, display_name=display_name, description=description
        )
        return submolt_view(made)

    async def submolt(self, name: str) -> View:
        return submolt_view(await self.ledger.get_submolt(name))

    async def subscribe(self, who: Actor, submolt: str, *, on: bool = True) -> bool:
        """True when that changed something."""
        return await self.ledger.subscribe(who, submolt, on=on)

    async def karma(self, author: Actor) -> View:
        return karma_view(await self.ledger.karma(author))

    # -- the approval queue -------------------------------------------------------------------
    async def list_approvals(
        self,
        *,
        status: ApprovalStatus | None = None,
        thread_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[View]:
        """Newest first: ``pending`` ones wait for a person; decided ones carry their result."""
        found = await self.approvals.list_approvals(
            status=status, thread_id=thread_id, limit=limit, offset=offset
        )
        return [approval.as_record() for approval in found]

    async def count_approvals(
        self, *, status: ApprovalStatus | None = None, thread_id: str | None = None
    ) -> int:
        return await self.approvals.count_approvals(status=status, thread_id=thread_id)

    async def approval(self, approval_id: int) -> View:
        return (await self.approvals.get(approval_id)).as_record()

    async def approve(self, approval_id: int) -> View:
        """Approve and carry the action out now; the view holds the result."""
        return (await self.approvals.approve(approval_id)).as_record()

    async def reject(self, approval_id: int, reason: str = "") -> View:
        return (await self.approvals.reject(approval_id, reason)).as_record()
