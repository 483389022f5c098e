"""The ledger as the action executor's `LedgerBackend`: a model's post, comment or vote.

`apply_action(ledger, action, ctx, problems)` is `LedgerService.apply` (contract on
`soulbeat.actions.executor.LedgerBackend`). The action is written as the beat's agent
(``agent:<agent id>``) with the beat's thread as ``origin_thread``, so the thread's rate limits
apply (`LedgerService.action_limits`). A vote says what the model wants, so the same vote again
changes nothing (no toggling). What can happen, never as an exception:

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

from collections.abc import Sequence
from typing import TYPE_CHECKING

from soulbeat.actions.executor import ActionContext, ActionResult, ActionStatus, LedgerAction
from soulbeat.actions.models import CommentAction, PostAction, Problem, VoteAction, to_dict
from soulbeat.channels.base import Receipt
from soulbeat.ledger.models import (
    Actor,
    LedgerError,
    LedgerNotFoundError,
    RateLimitedError,
)

if TYPE_CHECKING:
    from soulbeat.ledger.service import LedgerService

__all__ = ["CHANNEL", "apply_action"]

CHANNEL = "ledger"


async def apply_action(
    ledger: LedgerService, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
) -> ActionResult:
    """See the module docstring."""
    found = list(problems)
    try:
        detail = await _carry_out(ledger, action, ctx)
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


async def _carry_out(ledger: LedgerService, action: LedgerAction, ctx: ActionContext) -> str:
    """Do the action (or its dry run) and say what was done, past tense."""
    agent = Actor("agent", ctx.agent_id)
    thread, dry = ctx.thread_id, ctx.dry_run
    if isinstance(action, PostAction):
        post = await ledger.create_post(
            agent,
            action.submolt,
            action.title,
            content=action.content,
            origin_thread=thread,
            dry_run=dry,
        )
        return f"posted {post.id} in m/{post.submolt}"
    if isinstance(action, CommentAction):
        made = await ledger.comment(
            agent,
            action.post_id,
            action.content,
            parent=action.parent_id,
            origin_thread=thread,
            dry_run=dry,
        )
        where = f"{made.post_id}" + (f" in reply to {made.parent_id}" if made.parent_id else "")
        return f"commented {made.id} on {where}"
    outcome = await ledger.vote(
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
