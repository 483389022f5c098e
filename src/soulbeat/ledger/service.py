"""`LedgerService`: the board's operations on the store's database (SPEC §0 "ledger", §7.1).

Contract:

- Every operation is one transaction of the store's board part (`BoardStore`); the checks that
  must hold at the moment of the write (targets, duplicates, rate limits) run inside it, handed
  over as a `BoardGuard` made by the one governance engine (`soulbeat.actions.policy`). Times
  come from the injected clock (aware UTC).
- Input is checked first (`soulbeat.ledger.checks`: `LedgerInputError`, 422); then, inside the
  transaction, the target must exist (`LedgerNotFoundError`, 404), the text must not repeat what
  the same author wrote within 24 h (`LedgerConflictError`, 409) and the rate limit must allow
  it (`RateLimitedError`, 429, with ``retry_at``). Content is stored as given.
- Governance key: a write with ``origin_thread`` (a beat's action) is limited per thread with
  ``action_limits``; a person's own write per person with ``person_limits`` (default
  `PERSON_RATE_LIMITS`: a net against runaway scripts, not the agents' limits); any other (an
  agent writing through the API) per author with ``limits``: three keys of the one engine
  (`soulbeat.actions.policy`). ``limits`` and ``action_limits`` default to SPEC §7.1's limits;
  ``{}`` turns a set off.
- ``dry_run=True`` runs every check and the write itself, then rolls the transaction back: the
  result is what would have been made, nothing is stored and no event is published.
- Events (`ledger.submolt_created`, `ledger.post_created`, `ledger.comment_created`,
  `ledger.vote_cast`) are published after the commit, for writes by people and agents alike
  (a name that `EVENT_NAMES` lacks is skipped, never an error after the commit).
- `exists(kind, id)` answers synchronously (the validators' `Exists`) from an index of ids that
  this service extends on every write; `await refresh()` reads the ids written since by others
  (another process, another `LedgerService` on the same database). Writes never rely on the
  index: they check their targets in SQL.
- As a `LedgerBackend`, ``apply`` turns the model's actions into the calls above, with problems
  instead of exceptions (the table below).

The model's actions (``apply``; contract on `soulbeat.actions.executor.LedgerBackend`). The action
is written as the beat's agent (``agent:<agent id>``) with the beat's thread as
``origin_thread``, so the thread's rate limits apply (``action_limits``). A vote says what the
model wants, so the same vote again changes nothing (no toggling). What can happen, never as an
exception:

=============================================  ==============================================
the target is missing, the text is invalid,    ``rejected``, with a `Problem` on the field
the same text again within 24 h                (``submolt``, ``post_id``, ``parent_id``, ``id``)
a rate limit refuses it                        ``rate-limited``; the detail says when it passes
``ctx.dry_run``                                every check, then ``would-do``; nothing written
done                                           ``executed``; the receipt (channel ``ledger``)
                                               names the new post or comment, or the vote
=============================================  ==============================================

Failures of the store itself propagate (the beat fails with them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from soulbeat.actions.executor import ActionContext, ActionResult, ActionStatus, LedgerAction
from soulbeat.actions.models import CommentAction, PostAction, Problem, VoteAction, to_dict
from soulbeat.actions.policy import (
    DEFAULT_RATE_LIMITS,
    DUPLICATE_WINDOW,
    Limits,
    board_guard,
    fingerprint,
)
from soulbeat.channels.base import Receipt
from soulbeat.clock import Clock
from soulbeat.config.actions import PERSON_RATE_LIMITS
from soulbeat.events.models import EVENT_NAMES, EventSink
from soulbeat.ledger.checks import (
    DESCRIPTION_LIMIT,
    DISPLAY_NAME_LIMIT,
    check_comment,
    check_number,
    check_post_body,
    check_submolt_name,
    check_text,
)
from soulbeat.ledger.ranking import MAX_DEPTH, hot_rank
from soulbeat.ledger.reader import LedgerReader
from soulbeat.store.base import BoardStore
from soulbeat.store.records import EffectRef
from soulbeat.store.records_board import (
    Actor,
    BoardGuard,
    Comment,
    LedgerError,
    LedgerNotFoundError,
    NewComment,
    NewPost,
    NewVote,
    Post,
    RateLimitedError,
    Submolt,
    Target,
    VoteOutcome,
)

__all__ = ["CHANNEL", "LedgerService"]

CHANNEL = "ledger"
"""The channel of the receipts of the model's ledger actions."""


class LedgerService(LedgerReader):
    """The ledger over ``store`` (module docstring); the reads are `LedgerReader`'s."""

    def __init__(
        self,
        store: BoardStore,
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
        made = await self.store.create_submolt(name, display, description, created_by, now)
        self.index.submolts.add(name)
        self._publish("ledger.submolt_created", {"name": name, "created_by": str(created_by)})
        return made

    async def subscribe(self, who: Actor, submolt: str, *, on: bool = True) -> bool:
        """Subscribe ``who`` (``on=False``: unsubscribe); True when that changed something."""
        return await self.store.set_subscription(who, submolt, self.clock.now(), on)

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
        effect: EffectRef | None = None,
    ) -> Post:
        """A new post with ``content`` or a ``url`` (module docstring for the checks); under a
        beat's ``effect`` it is written once, however often asked (SPEC §9.4)."""
        check_submolt_name(submolt)
        check_post_body(title, content, url)
        now = self.clock.now()
        mark = fingerprint(title, content if content is not None else url or "")
        new = NewPost(
            submolt=submolt,
            author=author,
            title=title,
            content=content,
            url=url,
            fingerprint=mark,
            at=now,
            rank=hot_rank(0, now),
            origin_thread=origin_thread,
            effect=effect,
        )
        guard = self._guard(author, origin_thread, "post", duplicate=True)
        post = await self.store.add_post(new, guard, dry_run=dry_run)
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
        effect: EffectRef | None = None,
    ) -> Comment:
        """A comment on ``post``, or a reply to its comment ``parent`` (which must belong to the
        same post and sit less than `MAX_DEPTH` deep: LedgerInputError otherwise)."""
        check_comment(content)
        number = check_number(post, "post")
        parent_number = None if parent is None else check_number(parent, "comment")
        new = NewComment(
            post=number,
            parent=parent_number,
            author=author,
            content=content,
            fingerprint=fingerprint(content),
            at=self.clock.now(),
            max_depth=MAX_DEPTH,
            origin_thread=origin_thread,
            effect=effect,
        )
        guard = self._guard(author, origin_thread, "comment", duplicate=True)
        made = await self.store.add_comment(new, guard, dry_run=dry_run)
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
        new = NewVote(target, number, voter, up, toggle, self.clock.now(), hot_rank)
        guard = self._guard(voter, origin_thread, "vote")
        outcome = await self.store.cast_vote(new, guard, dry_run=dry_run)
        if not dry_run and outcome.change != "unchanged":
            self._publish("ledger.vote_cast", _vote_event(outcome))
        return outcome

    # -- the LedgerBackend --------------------------------------------------------------------
    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        """Carry out a model's post, comment or vote (module docstring)."""
        found = list(problems)
        try:
            detail = await self._carry_out(action, ctx)
        except LedgerNotFoundError as exc:
            found.append(Problem(_missing_field(action, exc.what), str(exc)))
            return _result(action, "rejected", found, "the target does not exist")
        except RateLimitedError as exc:
            detail = f"{exc}; next allowed at {exc.retry_at.isoformat()}"
            return _result(action, "rate-limited", found, detail)
        except LedgerError as exc:
            found.append(Problem(exc.field or _text_field(action), str(exc)))
            return _result(action, "rejected", found, "the ledger refused it")
        if ctx.dry_run:
            return _result(action, "would-do", found, f"dry run: would have {detail}")
        receipt = Receipt(CHANNEL, True, detail)
        return _result(action, "executed", found, detail, receipt)

    async def _carry_out(self, action: LedgerAction, ctx: ActionContext) -> str:
        """Do the action (or its dry run) and say what was done, past tense."""
        agent = Actor("agent", ctx.agent_id)
        thread, dry = ctx.thread_id, ctx.dry_run
        if isinstance(action, PostAction):
            post = await self.create_post(
                agent,
                action.submolt,
                action.title,
                content=action.content,
                origin_thread=thread,
                dry_run=dry,
                effect=ctx.effect,
            )
            return f"posted {post.id} in m/{post.submolt}"
        if isinstance(action, CommentAction):
            made = await self.comment(
                agent,
                action.post_id,
                action.content,
                parent=action.parent_id,
                origin_thread=thread,
                dry_run=dry,
                effect=ctx.effect,
            )
            where = f"{made.post_id}" + (f" in reply to {made.parent_id}" if made.parent_id else "")
            return f"commented {made.id} on {where}"
        outcome = await self.vote(
            agent,
            action.target,
            action.id,
            action.direction == "up",
            toggle=False,
            origin_thread=thread,
            dry_run=dry,
        )
        if outcome.change == "unchanged":
            return f"kept the {action.direction}-vote on {outcome.id} (already cast)"
        return f"{action.direction}-voted {outcome.id} (score {outcome.score})"

    # -- helpers ------------------------------------------------------------------------------
    def _guard(
        self, actor: Actor, origin_thread: str | None, kind: str, *, duplicate: bool = False
    ) -> BoardGuard:
        """Governance key: the thread for a beat's action, else the author (module docstring);
        the rules are the one engine's (`soulbeat.actions.policy.board_guard`)."""
        if origin_thread is not None:
            key, limits = f"thread:{origin_thread}", self.action_limits
        elif actor.kind == "person":
            key, limits = str(actor), self.person_limits
        else:
            key, limits = str(actor), self.limits
        return board_guard(
            key,
            kind,
            limits,
            self.clock.now(),
            author=actor if duplicate else None,
            duplicate_window=self.duplicate_window,
        )

    def _publish(self, name: str, data: Mapping[str, Any]) -> None:
        if self.events is not None and name in EVENT_NAMES:
            self.events.publish(name, data)


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


def _missing_field(action: LedgerAction, what: str) -> str:
    if isinstance(action, PostAction):
        return "submolt"
    if isinstance(action, CommentAction):
        return "parent_id" if what == "comment" else "post_id"
    return "id"


def _text_field(action: LedgerAction) -> str:
    return "id" if isinstance(action, VoteAction) else "content"


def _result(
    action: LedgerAction,
    status: ActionStatus,
    problems: Sequence[Problem],
    detail: str,
    receipt: Receipt | None = None,
) -> ActionResult:
    return ActionResult(
        type=action.TYPE,
        status=status,
        action=to_dict(action),
        problems=tuple(problems),
        receipt=receipt,
        detail=detail,
    )
