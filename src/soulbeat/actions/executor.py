"""`ActionExecutor`: carries out one action a beat asked for, and says how that went (SPEC §7.1).

Contract of every executor (`GovernedExecutor`, what `soulbeat.wiring` builds; the bare one
without governance, for tests, is `soulbeat.actions.bare.BareExecutor`):

- ``await execute(action, ctx, problems=())`` returns an `ActionResult` and never raises
  because of the model: an invalid or disallowed action is ``rejected`` with its problems. It
  raises only for programming errors and for failures of soulbeat's own backends (a broken
  store); the scheduler records those as a failed beat.
- It validates before it does anything (`validate_action` with ``ctx.allowed``). ``problems``
  are those found earlier, when the action was read (`parse_action`'s ``info`` notes, say);
  they are kept on the result with the executor's own.
- ``ctx.dry_run``: everything is validated exactly as for real, then recorded ``would-do``;
  nothing is delivered, written or sent.
- It does not publish events or write the audit record: the turn does both with the result.
  (`GovernedExecutor` does write its own action log, which governance reads.)

Statuses (`ACTION_STATUSES`): ``executed`` (done; ``receipt`` says where), ``would-do`` (dry-run),
``pending-approval`` (waits for a person; ``approval_id`` names it), ``rejected`` (invalid, not
allowed, a target that does not exist, a duplicate, nowhere to go), ``rate-limited``
(``retry_after`` says when it could run), ``unsupported-until-ledger`` (a ledger action with no
ledger to apply it to) and ``failed`` (valid, tried, and the target refused).

`GovernedExecutor` takes every action through these steps, in this order, and the first that
refuses decides the result; whatever the model was told by text in its context, nothing it
proposes skips a step:

1. allow-list and validation (`validate_action` with ``ctx.allowed``) → ``rejected``;
2. targets: the ledger's ``exists`` for a post's submolt, a comment's post and parent, a vote's
   post or comment → ``rejected``;
3. ``none`` → ``executed`` (nothing to do); a message without a delivery target → ``rejected``;
4. sanitising (`sanitize_action`) of post, comment and vote; messages are formatted by their
   channel (a Slack webhook escapes its own text), so they are not escaped twice;
5. dry-run → ``would-do``: nothing touches the ledger, the channels or the rate-limit counters
   (a would-do action uses no quota, so switching dry-run off starts with the full allowance);
6. rate limits and daily caps (the thread's ``actions.limits``: ``ctx.limits``, else the
   executor's ``limits`` lookup, else SPEC §7.1's defaults) → ``rate-limited`` with
   ``retry_after``;
7. the duplicate guard (the same normalised content within 24 h, per thread and type) →
   ``rejected`` with ``retry_after``;
8. ``requires_approval`` → ``pending-approval``: the action, as it would be carried out, waits in
   the `ApprovalQueue`;
9. carried out: a message through ``ctx.deliver``, a ledger action through the `LedgerBackend`
   (none: ``unsupported-until-ledger``).

Steps 6 and 7 are decided and recorded in one transaction of the `ActionLog`
(`soulbeat.actions.log`; rules in `soulbeat.actions.policy`). Every action that reaches the
executor gets a row in the action log with its final status; the turn puts the result on the
audit record and publishes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from soulbeat.actions.log import ActionLog, LogRow
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
from soulbeat.actions.policy import Limits, TargetLookup, content_hash, target_problems
from soulbeat.actions.sanitize import sanitize_action
from soulbeat.actions.validate import validate_action
from soulbeat.channels.base import Receipt
from soulbeat.config.actions import DEFAULT_RATE_LIMITS

if TYPE_CHECKING:
    from soulbeat.actions.approvals import ApprovalQueue

__all__ = [
    "ACTION_STATUSES",
    "ActionContext",
    "ActionExecutor",
    "ActionResult",
    "ActionStatus",
    "GovernedExecutor",
    "LedgerAction",
    "LedgerBackend",
    "Limits",
    "LimitsLookup",
    "MessageSender",
    "action_result",
    "receipt_record",
    "send_message",
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

    ``allowed``, ``requires_approval`` and ``limits`` are the thread's ``actions`` config
    (``limits`` None: the executor looks them up); ``deliver`` sends a message to the beat's
    target (None when the target is ``none``).
    """

    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str = ""
    allowed: tuple[str, ...] = ("message", "none")
    requires_approval: tuple[str, ...] = ()
    dry_run: bool = False
    deliver: MessageSender | None = None
    limits: Limits | None = None


@dataclass(frozen=True)
class ActionResult:
    """How one action ended. ``action`` is the action in seed 000's shape (`to_dict`; sanitised
    when the executor sanitised it), or what the model wrote when it could not be read;
    ``detail`` is one line for a person; ``retry_after`` when a refused action could be tried
    again (rate limit, duplicate); ``approval_id`` the approval a ``pending-approval`` action
    waits in."""

    type: str
    status: ActionStatus
    action: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    receipt: Receipt | None = None
    detail: str = ""
    retry_after: datetime | None = None
    approval_id: int | None = None

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
        """JSON-ready form for the audit record and events; ``retry_after`` (ISO 8601) and
        ``approval_id`` are present only when set."""
        receipt = self.receipt
        record: dict[str, Any] = {
            "type": self.type,
            "status": self.status,
            "action": dict(self.action),
            "problems": [
                {"field": p.field, "message": p.message, "level": p.level} for p in self.problems
            ],
            "receipt": None if receipt is None else receipt_record(receipt),
            "detail": self.detail,
        }
        if self.retry_after is not None:
            record["retry_after"] = self.retry_after.isoformat()
        if self.approval_id is not None:
            record["approval_id"] = self.approval_id
        return record


class ActionExecutor(Protocol):
    """Carries out one action; see the module docstring for the contract."""

    async def execute(
        self, action: Action, ctx: ActionContext, problems: Sequence[Problem] = ()
    ) -> ActionResult: ...


class LedgerBackend(Protocol):
    """Where ledger actions (post, comment, vote) go (`soulbeat.ledger.LedgerService`).

    ``apply`` is called only with an action that is well-formed and allowed. `GovernedExecutor`
    and the `ApprovalQueue` call it only to carry an action out for real: validated, targets
    checked, sanitised, admitted by the rate limits and the duplicate guard, approved where
    needed, ``ctx.dry_run`` false. It stores the action as given (escaping again would show
    ``&amp;amp;``), returns ``executed`` with a receipt naming what it made, or ``rejected`` /
    ``failed`` with problems when the target refused (gone since it was checked). Its result
    keeps ``problems`` as given and adds its own. (The tests' `soulbeat.actions.bare.BareExecutor`
    also calls it in dry-run, where it must answer ``would-do`` and write nothing.)
    """

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult: ...


LimitsLookup = Callable[["ActionContext"], Awaitable[Limits]]
"""Finds the rate limits of the thread (and skill) of a context whose ``limits`` is None."""


class GovernedExecutor:
    """Validation, sanitising, dry-run, rate limits, the duplicate guard, approvals, then the
    ledger or the delivery target, in that order (module docstring).

    ``log`` is the action log governance reads and writes; ``ledger`` carries ledger actions
    out and ``exists`` checks their targets (both usually one `LedgerService`); ``approvals``
    keeps actions that wait for a person (without one, such an action is only on the audit
    record); ``limits`` looks up a thread's limits when ``ctx.limits`` is None (without one:
    SPEC §7.1's defaults).
    """

    def __init__(
        self,
        log: ActionLog,
        *,
        ledger: LedgerBackend | None = None,
        exists: TargetLookup | None = None,
        approvals: ApprovalQueue | None = None,
        limits: LimitsLookup | None = None,
    ) -> None:
        self.log = log
        self.ledger = ledger
        self.exists = exists
        self.approvals = approvals
        self._limits = limits

    async def execute(
        self, action: Action, ctx: ActionContext, problems: Sequence[Problem] = ()
    ) -> ActionResult:
        found = [*problems, *validate_action(action, allowed=ctx.allowed)]
        if errors_in(found):
            return await self._final(action, ctx, "rejected", found, "the action is not valid")
        if isinstance(action, PostAction | CommentAction | VoteAction) and self.exists is not None:
            missing = await target_problems(action, self.exists, allowed=ctx.allowed)
            if missing:
                detail = "; ".join(str(problem) for problem in missing)
                return await self._final(action, ctx, "rejected", [*found, *missing], detail)
        if isinstance(action, NoneAction):
            return await self._final(action, ctx, "executed", found, "nothing to do")
        if isinstance(action, MessageAction) and ctx.deliver is None:
            found.append(Problem("", "the thread's target is none: a message has nowhere to go"))
            return await self._final(action, ctx, "rejected", found, "no delivery target")
        if not isinstance(action, MessageAction):
            action = sanitize_action(action)
        if ctx.dry_run:
            detail = "dry run: validated, not carried out"
            return await self._final(action, ctx, "would-do", found, detail)
        return await self._governed(action, ctx, found)

    async def _governed(
        self, action: Action, ctx: ActionContext, found: list[Problem]
    ) -> ActionResult:
        kind = action_type(action)
        limits = await self.limits_for(ctx)
        row = _row(action, ctx, "admitted", found, "", content_hash(action))
        admission = await self.log.admit(row, tuple(limits.get(kind, ())))
        refusal = admission.refusal
        if refusal is not None:
            return action_result(
                action,
                refusal.status,
                [*found, refusal.problem],
                detail=refusal.problem.message,
                retry_after=refusal.retry_after,
            )
        try:
            result = await self._admitted(action, ctx, found, admission.entry_id)
        except Exception:
            await self.log.settle(admission.entry_id, "failed", detail="raised an error")
            raise
        await self.log.settle(
            admission.entry_id, result.status, detail=result.detail, problems=result.problems
        )
        return result

    async def _admitted(
        self, action: Action, ctx: ActionContext, found: list[Problem], entry_id: int
    ) -> ActionResult:
        kind = action_type(action)
        if kind in ctx.requires_approval:
            if self.approvals is None:
                detail = "waits for a person's approval (kept on this audit record)"
                return action_result(action, "pending-approval", found, detail=detail)
            approval = await self.approvals.submit(action, ctx, found, log_id=entry_id)
            detail = f"waits for a person's approval (approval {approval.id})"
            return action_result(
                action, "pending-approval", found, detail=detail, approval_id=approval.id
            )
        if isinstance(action, MessageAction):
            return await send_message(action, ctx, found)
        if isinstance(action, PostAction | CommentAction | VoteAction) and self.ledger is not None:
            return await self.ledger.apply(action, ctx, tuple(found))
        detail = f"{kind} needs the ledger, which this soulbeat does not have; not applied"
        return action_result(action, "unsupported-until-ledger", found, detail=detail)

    async def limits_for(self, ctx: ActionContext) -> Limits:
        """The rate limits that apply to ``ctx``'s thread (class docstring)."""
        if ctx.limits is not None:
            return ctx.limits
        if self._limits is not None:
            return await self._limits(ctx)
        return DEFAULT_RATE_LIMITS

    async def _final(
        self,
        action: Action,
        ctx: ActionContext,
        status: ActionStatus,
        problems: Sequence[Problem],
        detail: str,
    ) -> ActionResult:
        """A result decided before governance, written to the log as it is."""
        await self.log.record(_row(action, ctx, status, problems, detail, None))
        return action_result(action, status, problems, detail=detail)


def _row(
    action: Action,
    ctx: ActionContext,
    status: str,
    problems: Sequence[Problem],
    detail: str,
    digest: str | None,
) -> LogRow:
    return LogRow(
        thread_id=ctx.thread_id,
        agent_id=ctx.agent_id,
        beat_id=ctx.beat_id,
        skill=ctx.skill,
        type=action_type(action),
        status=status,
        action=to_dict(action),
        problems=tuple(problems),
        detail=detail,
        content_hash=digest,
        dry_run=ctx.dry_run,
    )


async def send_message(
    action: MessageAction, ctx: ActionContext, problems: list[Problem]
) -> ActionResult:
    """A message through ``ctx.deliver`` (``rejected`` with no target, ``would-do`` in dry-run)."""
    if ctx.deliver is None:
        problems.append(Problem("", "the thread's target is none: a message has nowhere to go"))
        return action_result(action, "rejected", problems, detail="no delivery target")
    if ctx.dry_run:
        return action_result(
            action, "would-do", problems, detail="dry run: validated, not delivered"
        )
    receipt = await ctx.deliver(action)
    status: ActionStatus = "executed" if receipt.ok else "failed"
    return action_result(action, status, problems, receipt=receipt, detail=receipt.detail)


def action_result(
    action: Action,
    status: ActionStatus,
    problems: Sequence[Problem],
    *,
    receipt: Receipt | None = None,
    detail: str = "",
    retry_after: datetime | None = None,
    approval_id: int | None = None,
) -> ActionResult:
    """The `ActionResult` of ``action`` with ``status``."""
    return ActionResult(
        type=action_type(action),
        status=status,
        action=to_dict(action),
        problems=tuple(problems),
        receipt=receipt,
        detail=detail,
        retry_after=retry_after,
        approval_id=approval_id,
    )


def receipt_record(receipt: Receipt) -> dict[str, Any]:
    """A receipt as JSON-ready data (the audit record's and the API's shape)."""
    return {
        "channel": receipt.channel,
        "ok": receipt.ok,
        "detail": receipt.detail,
        "message_id": receipt.message_id,
        "status_code": receipt.status_code,
    }
