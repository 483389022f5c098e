"""`ApprovalQueue`: actions that wait for a person (SPEC §7.1 ``requires_approval``).

An action type listed in the thread's ``requires_approval`` is not carried out by the beat: once
it has passed validation, sanitising, the rate limits and the duplicate guard, `GovernedExecutor`
`submit`s it here and its result is ``pending-approval`` with the approval's id. The queue keeps
everything needed to carry it out later: the sanitised action in seed 000's JSON shape, its
problems, and the thread, agent, beat and skill it came from.

A person then decides, once:

- `approve` carries the stored action out *now*: a ledger action through the `LedgerBackend`
  (after asking ``exists`` again: a post deleted meanwhile makes the approval end ``failed`` with
  the problem), a message through ``deliver``. The approval becomes ``approved`` and keeps the
  `ActionResult` (``executed`` with the ledger's receipt, or ``failed`` with why). Rate limits
  and the duplicate guard are not asked again: they were applied when the action was proposed,
  and the action has held its quota since (`soulbeat.actions.policy`). Anything the backend does
  not report as ``executed`` ends ``failed``: a person approved it, it was tried, it did not
  happen.
- `reject` records ``rejected`` with the person's reason; nothing is carried out.

Deciding an approval that is already decided raises `ApprovalDecidedError` (the API's 409): the
decision is claimed in one write transaction, so two people approving at once execute it once.
When carrying the action out raises (a broken store, a backend bug), the approval keeps a
``failed`` result naming the error and the error propagates.
Either decision settles the action's row in the `ActionLog` and is published: ``action.approved``
and then ``action.executed`` or ``action.failed``; or ``action.rejected`` (with
``approval_id`` and ``reason`` in the data).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from soulbeat.actions.executor import (
    ActionContext,
    ActionResult,
    ActionStatus,
    LedgerBackend,
)
from soulbeat.actions.log import ActionLog
from soulbeat.actions.models import (
    Action,
    MessageAction,
    NoneAction,
    Problem,
    action_type,
    errors_in,
    parse_action,
    to_dict,
)
from soulbeat.actions.policy import TargetLookup, target_problems
from soulbeat.channels.base import Receipt
from soulbeat.clock import Clock
from soulbeat.events.models import EventSink
from soulbeat.store.base import ActionStore
from soulbeat.store.records_actions import (  # the queue's vocabulary, for its users
    APPROVAL_STATUSES,
    Approval,
    ApprovalDecidedError,
    ApprovalStatus,
    NewApproval,
)

__all__ = [
    "APPROVAL_STATUSES",
    "Approval",
    "ApprovalDecidedError",
    "ApprovalQueue",
    "ApprovalStatus",
    "ApprovedMessageSender",
]

log = logging.getLogger(__name__)

ApprovedMessageSender = Callable[["Approval", MessageAction], Awaitable[Receipt]]
"""Delivers an approved message to its thread's delivery target and returns the receipt."""

_RESULT_EVENTS = {
    "executed": "action.executed",
    "failed": "action.failed",
    "unsupported-until-ledger": "action.unsupported",
}


class ApprovalQueue:
    """The approval queue in the store's action part (module docstring).

    ``ledger`` carries out approved ledger actions and ``exists`` checks their targets again
    (for agents whose targets soulbeat's store knows: ``checks_targets(agent_id)``, by default
    all; an agent on a remote board has its ids checked by that board); ``deliver`` sends
    approved messages; ``log`` is settled with each decision; ``events`` gets the decisions and
    results.
    """

    def __init__(
        self,
        store: ActionStore,
        clock: Clock,
        *,
        log: ActionLog | None = None,
        ledger: LedgerBackend | None = None,
        exists: TargetLookup | None = None,
        deliver: ApprovedMessageSender | None = None,
        events: EventSink | None = None,
        checks_targets: Callable[[str], bool] = lambda agent_id: True,
    ) -> None:
        self._store, self._clock, self._log = store, clock, log
        self._ledger, self._exists, self._deliver = ledger, exists, deliver
        self._checks_targets = checks_targets
        self._events = events
        self.file_edit: Callable[[Approval], Awaitable[ActionResult]] | None = None
        """Issue 15: carries out an approved ``soul_edit`` / ``heartbeat_edit`` (set by the
        wiring; `soulbeat.memory.approvals`)."""

    # -- the queue --------------------------------------------------------------------------------
    async def submit(
        self,
        action: Action,
        ctx: ActionContext,
        problems: Sequence[Problem] = (),
        *,
        log_id: int | None = None,
    ) -> Approval:
        """Store ``action`` (as it will be carried out) as pending; returns the approval."""
        new = NewApproval(
            thread_id=ctx.thread_id,
            agent_id=ctx.agent_id,
            beat_id=ctx.beat_id,
            skill=ctx.skill,
            type=action_type(action),
            action=to_dict(action),
            problems=tuple(problems),
            log_id=log_id,
        )
        return await self._store.add_approval(new, self._clock.now())

    async def get(self, approval_id: int) -> Approval:
        """One approval; NotFoundError for an unknown id."""
        return await self._store.get_approval(approval_id)

    async def list_approvals(
        self,
        *,
        status: ApprovalStatus | None = None,
        thread_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Approval]:
        """Approvals, newest first, optionally of one status and one thread."""
        return await self._store.list_approvals(
            status=status, thread_id=thread_id, limit=limit, offset=offset
        )

    async def count_approvals(
        self, *, status: ApprovalStatus | None = None, thread_id: str | None = None
    ) -> int:
        """How many approvals `list_approvals` with these filters pages through."""
        return await self._store.count_approvals(status=status, thread_id=thread_id)

    # -- decisions --------------------------------------------------------------------------------
    async def approve(self, approval_id: int) -> Approval:
        """Approve and carry the action out now; returns the approval with its result.
        NotFoundError for an unknown id; `ApprovalDecidedError` when already decided."""
        approval = await self._claim(approval_id, "approved", None)
        self._publish("action.approved", approval, approval.as_record())
        try:
            result = await self._carry_out(approval)
        except Exception as exc:
            detail = f"carrying it out raised {type(exc).__name__}: {exc}"
            failed = await self._store_result(
                approval, _failed(approval, approval.problems, detail)
            )
            self._publish("action.failed", failed, failed.result or {})
            raise
        decided = await self._store_result(approval, result)
        name = _RESULT_EVENTS.get(result.status, "action.failed")
        self._publish(name, decided, result.as_record())
        return decided

    async def reject(self, approval_id: int, reason: str = "") -> Approval:
        """Reject: nothing is carried out; the reason is kept. NotFoundError for an unknown id;
        `ApprovalDecidedError` when already decided."""
        reason = reason.strip()
        approval = await self._claim(approval_id, "rejected", reason or None)
        said = f": {reason}" if reason else ""
        problem = Problem("", f"rejected by a person{said}")
        result = ActionResult(
            approval.type,
            "rejected",
            approval.action,
            (*approval.problems, problem),
            detail=f"a person rejected this action{said}",
            approval_id=approval.id,
        )
        decided = await self._store_result(approval, result)
        self._publish("action.rejected", decided, result.as_record() | {"reason": reason})
        return decided

    async def _claim(
        self, approval_id: int, status: ApprovalStatus, reason: str | None
    ) -> Approval:
        return await self._store.claim_approval(approval_id, status, reason, self._clock.now())

    async def _store_result(self, approval: Approval, result: ActionResult) -> Approval:
        decided = await self._store.set_approval_result(approval.id, result.as_record())
        if self._log is not None and approval.log_id is not None:
            await self._log.settle(
                approval.log_id, result.status, detail=result.detail, problems=result.problems
            )
        return decided

    async def _carry_out(self, approval: Approval) -> ActionResult:
        if approval.type in ("soul_edit", "heartbeat_edit") and self.file_edit is not None:
            return await self.file_edit(approval)
        action, read = parse_action(approval.action)
        problems = [*approval.problems, *read]
        if action is None or isinstance(action, NoneAction):
            return _failed(approval, problems, "the stored action cannot be carried out")
        ctx = ActionContext(
            thread_id=approval.thread_id,
            agent_id=approval.agent_id,
            beat_id=approval.beat_id,
            skill=approval.skill,
            allowed=(approval.type, "none"),
        )
        if isinstance(action, MessageAction):
            return await self._send(approval, action, problems)
        if self._exists is not None and self._checks_targets(approval.agent_id):
            missing = await target_problems(action, self._exists, allowed=ctx.allowed)
            if missing:
                gone = "; ".join(str(p) for p in missing)
                return _failed(approval, [*problems, *missing], f"the target is gone: {gone}")
        if self._ledger is None:
            detail = f"{approval.type} needs the ledger, which this soulbeat does not have"
            return _failed(approval, problems, detail, "unsupported-until-ledger")
        result = await self._ledger.apply(action, ctx, tuple(problems))
        if result.status != "executed":
            result = replace(result, status="failed")
        return replace(result, approval_id=approval.id)

    async def _send(
        self, approval: Approval, action: MessageAction, problems: list[Problem]
    ) -> ActionResult:
        if self._deliver is None:
            problem = Problem("", "no delivery target for an approved message")
            return _failed(approval, [*problems, problem], "no delivery target")
        receipt = await self._deliver(approval, action)
        status: ActionStatus = "executed" if receipt.ok else "failed"
        return ActionResult(
            approval.type,
            status,
            approval.action,
            tuple(problems),
            receipt,
            receipt.detail,
            approval_id=approval.id,
        )

    def _publish(self, name: str, approval: Approval, data: Mapping[str, Any]) -> None:
        if self._events is None:
            return
        payload = {
            "thread_id": approval.thread_id,
            "beat_id": approval.beat_id,
            "skill": approval.skill,
            "dry_run": False,
            "approval_id": approval.id,
            **data,
        }
        try:
            self._events.publish(name, payload)
        except Exception:
            log.exception("%s could not be published for approval %s", name, approval.id)


def _failed(
    approval: Approval,
    problems: Sequence[Problem],
    detail: str,
    status: ActionStatus = "failed",
) -> ActionResult:
    if not errors_in(list(problems)):
        problems = [*problems, Problem("", detail)]
    return ActionResult(
        approval.type,
        status,
        approval.action,
        tuple(problems),
        detail=detail,
        approval_id=approval.id,
    )
