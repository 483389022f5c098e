"""`ActionExecutor`: carries out one action a beat asked for, and says how that went (SPEC §7.1).

Contract of every executor (`DefaultActionExecutor` now; the ledger issue plugs its own
`LedgerBackend` in, or replaces the executor):

- ``await execute(action, ctx, problems=())`` returns an `ActionResult` and never raises
  because of the model: an invalid or disallowed action is ``rejected`` with its problems. It
  raises only for programming errors and for failures of soulbeat's own backends (a broken
  store); the scheduler records those as a failed beat.
- It validates before it does anything (`validate_action` with ``ctx.allowed``). ``problems``
  are those found earlier, when the action was read (`parse_action`'s ``info`` notes, say);
  they are kept on the result with the executor's own.
- ``ctx.dry_run``: everything is validated exactly as for real, then recorded ``would-do``;
  nothing is delivered, written or sent. (A `LedgerBackend` is still asked in dry-run, so that
  it can check targets and limits; its contract forbids it to write.)
- It does not publish events or write the audit record: the turn does both with the result.

Statuses (`ACTION_STATUSES`): ``executed`` (done; ``receipt`` says where), ``would-do`` (dry-run),
``pending-approval`` (waits for a person), ``rejected`` (invalid, not allowed, nowhere to go),
``rate-limited``, ``unsupported-until-ledger`` (a ledger action with no ledger to apply it to) and
``failed`` (valid, tried, and the target refused: ``receipt.ok`` is false).

What `DefaultActionExecutor` does per type:

==========================  =========================================================
``message``                 delivered through ``ctx.deliver`` (the beat's target); no
                            target (``target = none``) → ``rejected``
``none``                    ``executed``: nothing to do, recorded with its reason
``post``/``comment``/       handed to the `LedgerBackend` when there is one; without one
``vote``                    ``unsupported-until-ledger`` (``would-do`` in dry-run)
==========================  =========================================================

A type listed in ``ctx.requires_approval`` is not carried out: it is ``pending-approval`` and
the result holds the whole action. There is no approval queue yet (it comes with the ledger
issue), so the audit record is where such an action is kept until then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from soulbeat.actions.models import (
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    Problem,
    VoteAction,
    action_type,
    errors_in,
    to_dict,
)
from soulbeat.actions.validate import validate_action
from soulbeat.channels.base import Receipt

__all__ = [
    "ACTION_STATUSES",
    "ActionContext",
    "ActionExecutor",
    "ActionResult",
    "ActionStatus",
    "DefaultActionExecutor",
    "LedgerAction",
    "LedgerBackend",
    "MessageSender",
]

ActionStatus = Literal[
    "executed",
    "would-do",
    "pending-approval",
    "rejected",
    "rate-limited",
    "unsupported-until-ledger",
    "failed",
]
ACTION_STATUSES: tuple[str, ...] = get_args(ActionStatus)

LedgerAction = PostAction | CommentAction | VoteAction
MessageSender = Callable[[MessageAction], Awaitable[Receipt]]
"""Delivers a message action's text to the beat's target and returns the channel's receipt."""


@dataclass(frozen=True)
class ActionContext:
    """What an executor needs to know about the beat an action comes from.

    ``allowed`` and ``requires_approval`` are the thread's ``actions`` config; ``deliver`` sends
    a message to the beat's target (None when the target is ``none``).
    """

    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str = ""
    allowed: tuple[str, ...] = ("message", "none")
    requires_approval: tuple[str, ...] = ()
    dry_run: bool = False
    deliver: MessageSender | None = None


@dataclass(frozen=True)
class ActionResult:
    """How one action ended. ``action`` is the action in seed 000's shape (`to_dict`), or what
    the model wrote when it could not be read; ``detail`` is one line for a person."""

    type: str
    status: ActionStatus
    action: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    receipt: Receipt | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in ACTION_STATUSES:
            raise ValueError(f"action status {self.status!r} is not one of {ACTION_STATUSES}")

    @classmethod
    def unreadable(
        cls, kind: str, written: Mapping[str, Any], problems: Sequence[Problem]
    ) -> ActionResult:
        """The result of an action the model wrote but `parse_action` could not read: rejected,
        with what was written kept as ``action``."""
        return cls(
            kind, "rejected", dict(written), tuple(problems), None, "the action is not valid"
        )

    def as_record(self) -> dict[str, Any]:
        """JSON-ready form for the audit record and events."""
        receipt = self.receipt
        return {
            "type": self.type,
            "status": self.status,
            "action": dict(self.action),
            "problems": [
                {"field": p.field, "message": p.message, "level": p.level} for p in self.problems
            ],
            "receipt": None if receipt is None else _receipt_record(receipt),
            "detail": self.detail,
        }


class ActionExecutor(Protocol):
    """Carries out one action; see the module docstring for the contract."""

    async def execute(
        self, action: Action, ctx: ActionContext, problems: Sequence[Problem] = ()
    ) -> ActionResult: ...


class LedgerBackend(Protocol):
    """Where ledger actions (post, comment, vote) go; the ledger issue implements it.

    ``apply`` is called only with an action that is well-formed and allowed. It checks that the
    target exists, applies governance (rate limits, duplicate content, approvals) and, unless
    ``ctx.dry_run`` (then ``would-do`` and no write), carries it out. Its result keeps
    ``problems`` as given and adds its own.
    """

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult: ...


class DefaultActionExecutor:
    """Messages go to the target, ``none`` is recorded, ledger actions go to ``ledger`` (or are
    ``unsupported-until-ledger`` without one). See the module docstring."""

    def __init__(self, ledger: LedgerBackend | None = None) -> None:
        self.ledger = ledger

    async def execute(
        self, action: Action, ctx: ActionContext, problems: Sequence[Problem] = ()
    ) -> ActionResult:
        kind = action_type(action)
        found = [*problems, *validate_action(action, allowed=ctx.allowed)]
        if errors_in(found):
            return _result(action, "rejected", found, detail="the action is not valid")
        if kind in ctx.requires_approval:
            detail = "waits for a person's approval (kept on this audit record)"
            return _result(action, "pending-approval", found, detail=detail)
        if isinstance(action, NoneAction):
            return _result(action, "executed", found, detail="nothing to do")
        if isinstance(action, MessageAction):
            return await _send(action, ctx, found)
        if self.ledger is not None:
            return await self.ledger.apply(action, ctx, tuple(found))
        if ctx.dry_run:
            return _result(action, "would-do", found, detail="dry run: validated, not applied")
        detail = f"{kind} needs the ledger, which this soulbeat does not have yet; not applied"
        return _result(action, "unsupported-until-ledger", found, detail=detail)


async def _send(action: MessageAction, ctx: ActionContext, problems: list[Problem]) -> ActionResult:
    if ctx.deliver is None:
        problems.append(Problem("", "the thread's target is none: a message has nowhere to go"))
        return _result(action, "rejected", problems, detail="no delivery target")
    if ctx.dry_run:
        return _result(action, "would-do", problems, detail="dry run: validated, not delivered")
    receipt = await ctx.deliver(action)
    status: ActionStatus = "executed" if receipt.ok else "failed"
    return _result(action, status, problems, receipt=receipt, detail=receipt.detail)


def _result(
    action: Action,
    status: ActionStatus,
    problems: Sequence[Problem],
    *,
    receipt: Receipt | None = None,
    detail: str = "",
) -> ActionResult:
    return ActionResult(
        type=action_type(action),
        status=status,
        action=to_dict(action),
        problems=tuple(problems),
        receipt=receipt,
        detail=detail,
    )


def _receipt_record(receipt: Receipt) -> dict[str, Any]:
    return {
        "channel": receipt.channel,
        "ok": receipt.ok,
        "detail": receipt.detail,
        "message_id": receipt.message_id,
        "status_code": receipt.status_code,
    }
