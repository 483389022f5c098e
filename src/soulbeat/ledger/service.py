"""`LedgerService`: the board's operations on the store's database (SPEC §0 "ledger", §7.1).

Contract:

- Every operation is one transaction through the store's `run_read` / `run_write` seam, on the
  tables of migration 003. Times come from the injected clock (aware UTC).
- Input is checked first (`soulbeat.ledger.checks`: `LedgerInputError`, 422); then, inside the
  transaction, the target must exist (`LedgerNotFoundError`, 404), the text must not repeat what
  the same author wrote within 24 h (`LedgerConflictError`, 409) and the rate limit must allow
  it (`RateLimitedError`, 429, with ``retry_at``). Content is stored as given.
- Governance key: a write with ``origin_thread`` (a beat's action) is limited per thread with
  ``action_limits``; a person's own write per person with ``person_limits`` (default
  `PERSON_RATE_LIMITS`: a net against runaway scripts, not the agents' limits); any other (an
  agent writing through the API) per author with ``limits``. ``limits`` and ``action_limits``
  default to SPEC §7.1's (`soulbeat.ledger.governance`); ``{}`` turns a set off.
- ``dry_run=True`` runs every check and the write itself, then rolls the transaction back: the
  result is what would have been made, nothing is stored and no event is published.
- Events (`ledger.submolt_created`, `ledger.post_created`, `ledger.comment_created`,
  `ledger.vote_cast`) are published after the commit, for writes by people and agents alike
  (a name that `EVENT_NAMES` lacks is skipped, never an error after the commit).
- `exists(kind, id)` answers synchronously (the validators' `Exists`) from an index of ids that
  this service extends on every write; `await refresh()` reads the ids written since by others
  (another process, another `LedgerService` on the same database). Writes never rely on the
  index: they check their targets in SQL.
- As a `LedgerBackend`, ``apply`` (`soulbeat.ledger.backend`) turns the model's actions into the
  calls above, with problems instead of exceptions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from soulbeat.actions.executor import ActionContext, ActionResult, LedgerAction
from soulbeat.actions.models import Problem
from soulbeat.clock import Clock
from soulbeat.config.actions import PERSON_RATE_LIMITS
from soulbeat.events.models import EVENT_NAMES, EventSink
from soulbeat.ledger import governance, tables, votes
from soulbeat.ledger.backend import apply_action
from soulbeat.ledger.checks import (
    DESCRIPTION_LIMIT,
    DISPLAY_NAME_LIMIT,
    check_comment,
    check_number,
    check_post_body,
    check_submolt_name,
    check_text,
)
from soulbeat.ledger.governance import DEFAULT_RATE_LIMITS, DUPLICATE_WINDOW, Limits
from soulbeat.ledger.models import (
    Actor,
    Comment,
    LedgerConflictError,
    Post,
    Submolt,
    Target,
    VoteOutcome,
)
from soulbeat.ledger.ranking import MAX_DEPTH, hot_rank
from soulbeat.ledger.reader import LedgerReader, SQLRunner

__all__ = ["LedgerService", "SQLRunner"]

T = TypeVar("T")


class _DryRun(Exception):
    """Raised at the end of a dry-run job: rolls the transaction back, carries the result."""

    def __init__(self, value: object) -> None:
        self.value = value


class LedgerService(LedgerReader):
    """The ledger over ``store`` (module docstring); the reads are `LedgerReader`'s."""

    def __init__(
        self,
        store: SQLRunner,
        clock: Clock,
        events: EventSink | None = None,
        *,
        limits: Limits = DEFAULT_RATE_LIMITS,
        action_limits: Limits = DEFAULT_RATE_LIMITS,
        person_limits: Limits = PERSON_RATE_LIMITS,
        duplicate_window: timedelta = DUPLICATE_WINDOW,
    ) -> None:
        super().__init__(store, clock)
        self.events = events
        self.limits = limits
        self.action_limits = action_limits
        self.person_limits = person_limits
        self.duplicate_window = duplicate_window

    # -- submolts and subscriptions -----------------------------------------------------------
    async def create_submolt(
        self, name: str, *, created_by: Actor, display_name: str = "", description: str = ""
    ) -> Submolt:
        """A new community; LedgerConflictError (409) when the name is taken."""
        check_submolt_name(name)
        display = check_text("display_name", display_name or name, DISPLAY_NAME_LIMIT)
        check_text("description", description, DESCRIPTION_LIMIT, blank_ok=True)
        now = self.clock.now()
        made = await self.store.run_write(
            lambda conn: tables.insert_submolt(conn, name, display, description, created_by, now)
        )
        self.index.submolts.add(name)
        self._publish("ledger.submolt_created", {"name": name, "created_by": str(created_by)})
        return made

    async def subscribe(self, who: Actor, submolt: str, *, on: bool = True) -> bool:
        """Subscribe ``who`` (``on=False``: unsubscribe); True when that changed something."""
        now = self.clock.now()
        return await self.store.run_write(
            lambda conn: tables.set_subscription(conn, who, submolt, now, on)
        )

    async def unsubscribe(self, who: Actor, submolt: str) -> bool:
        return await self.subscribe(who, submolt, on=False)

    # -- posts, comments, votes ---------------------------------------------------------------
    async def create_post(
        self,
        author: Actor,
        submolt: str,
        title: str,
        *,
        content: str | None = None,
        url: str | None = None,
        origin_thread: str | None = None,
        dry_run: bool = False,
    ) -> Post:
        """A new post with ``content`` or a ``url`` (module docstring for the checks)."""
        check_submolt_name(submolt)
        check_post_body(title, content, url)
        now = self.clock.now()
        mark = governance.fingerprint(title, content if content is not None else url or "")
        key, limits = self._governance(author, origin_thread)

        def job(conn: sqlite3.Connection) -> Post:
            tables.get_submolt(conn, submolt)
            self._guard(conn, "ledger_posts", author, mark, now)
            governance.check_rate(conn, key, "post", limits, now)
            post = tables.insert_post(
                conn,
                submolt=submolt,
                author=author,
                title=title,
                content=content,
                url=url,
                fingerprint=mark,
                at=now,
                rank=hot_rank(0, now),
                origin_thread=origin_thread,
            )
            governance.record_activity(conn, key, "post", limits, now)
            return _finish(post, dry_run)

        post = await self._write(job)
        if not dry_run:
            self.index.posts.add(check_number(post.id, "post"))
            self._publish("ledger.post_created", _post_event(post))
        return post

    async def comment(
        self,
        author: Actor,
        post: str,
        content: str,
        *,
        parent: str | None = None,
        origin_thread: str | None = None,
        dry_run: bool = False,
    ) -> Comment:
        """A comment on ``post``, or a reply to its comment ``parent`` (which must belong to the
        same post and sit less than `MAX_DEPTH` deep: LedgerInputError otherwise)."""
        check_comment(content)
        number = check_number(post, "post")
        parent_number = None if parent is None else check_number(parent, "comment")
        now = self.clock.now()
        mark = governance.fingerprint(content)
        key, limits = self._governance(author, origin_thread)

        def job(conn: sqlite3.Connection) -> Comment:
            tables.get_post_row(conn, number)
            depth = tables.reply_depth(conn, number, parent_number, MAX_DEPTH)
            self._guard(conn, "ledger_comments", author, mark, now)
            governance.check_rate(conn, key, "comment", limits, now)
            made = tables.insert_comment(
                conn,
                post=number,
                parent=parent_number,
                depth=depth,
                author=author,
                content=content,
                fingerprint=mark,
                at=now,
                origin_thread=origin_thread,
            )
            governance.record_activity(conn, key, "comment", limits, now)
            return _finish(made, dry_run)

        made = await self._write(job)
        if not dry_run:
            self.index.comments.add(check_number(made.id, "comment"))
            event = {"id": made.id, "post_id": made.post_id, "author": str(author)}
            self._publish("ledger.comment_created", event)
        return made

    async def vote(
        self,
        voter: Actor,
        target: Target,
        ident: str,
        up: bool,
        *,
        toggle: bool = True,
        origin_thread: str | None = None,
        dry_run: bool = False,
    ) -> VoteOutcome:
        """Vote on a post or comment: a new vote is added, the other way flips it, the same way
        again removes it (``toggle``) or changes nothing (``toggle=False``)."""
        number = check_number(ident, target)
        now = self.clock.now()
        key, limits = self._governance(voter, origin_thread)

        def job(conn: sqlite3.Connection) -> VoteOutcome:
            governance.check_rate(conn, key, "vote", limits, now)
            outcome = votes.cast_vote(conn, target, number, voter, up, toggle=toggle, at=now)
            if outcome.change != "unchanged":
                governance.record_activity(conn, key, "vote", limits, now)
            return _finish(outcome, dry_run)

        outcome = await self._write(job)
        if not dry_run and outcome.change != "unchanged":
            self._publish("ledger.vote_cast", _vote_event(outcome))
        return outcome

    # -- the LedgerBackend --------------------------------------------------------------------
    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        """Carry out a model's post, comment or vote (`soulbeat.ledger.backend.apply_action`)."""
        return await apply_action(self, action, ctx, problems)

    # -- helpers ------------------------------------------------------------------------------
    def _governance(self, actor: Actor, origin_thread: str | None) -> tuple[str, Limits]:
        if origin_thread is not None:
            return f"thread:{origin_thread}", self.action_limits
        if actor.kind == "person":
            return str(actor), self.person_limits
        return str(actor), self.limits

    def _guard(
        self, conn: sqlite3.Connection, table: str, who: Actor, mark: str, now: datetime
    ) -> None:
        if tables.is_duplicate(conn, table, who, mark, now - self.duplicate_window):
            noun = "post" if table == "ledger_posts" else "comment"
            raise LedgerConflictError(
                f"{who} wrote the same {noun} within the last "
                f"{self.duplicate_window.total_seconds() / 3600:g} h",
                hint="say something new, or wait",
            )

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await self.store.run_write(job)
        except _DryRun as done:
            return cast(T, done.value)

    def _publish(self, name: str, data: Mapping[str, Any]) -> None:
        if self.events is not None and name in EVENT_NAMES:
            self.events.publish(name, data)


def _finish(value: T, dry_run: bool) -> T:
    if dry_run:
        raise _DryRun(value)
    return value


def _post_event(post: Post) -> dict[str, Any]:
    return {"id": post.id, "submolt": post.submolt, "author": str(post.author), "title": post.title}


def _vote_event(outcome: VoteOutcome) -> dict[str, Any]:
    return {
        "target": outcome.target,
        "id": outcome.id,
        "voter": str(outcome.voter),
        "change": outcome.change,
        "score": outcome.score,
    }
