"""`BareExecutor`: an `ActionExecutor` without governance.

It keeps the executor contract (`soulbeat.actions.executor`: validates first, never raises
because of the model, dry-run does nothing) but has no rate limits, no duplicate guard, no
action log and no approval queue. soulbeat runs the `GovernedExecutor` that `soulbeat.wiring`
builds; this one serves the tests of the turn and the ledger (`soulbeat.testing` exports it)
and, until that backend has its board and action parts, a store that declares them pending
(`soulbeat.wiring.check_store` warns loudly then). Per type:

==========================  =========================================================
``message``                 delivered through ``ctx.deliver`` (the beat's target); no
                            target (``target = none``) → ``rejected``
``none``                    ``executed``: nothing to do, recorded with its reason
``post``/``comment``/       handed to the `LedgerBackend` when there is one (in dry-run
``vote``                    too: its contract forbids it to write); without one
                            ``unsupported-until-ledger`` (``would-do`` in dry-run)
==========================  =========================================================

and a type listed in ``ctx.requires_approval`` is ``pending-approval``, kept only on the audit
record.
"""

from __future__ import annotations

from collections.abc import Sequence

from soulbeat.actions.executor import (
    ActionContext,
    ActionResult,
    LedgerBackend,
    action_result,
    send_message,
)
from soulbeat.actions.models import (
    Action,
    MessageAction,
    NoneAction,
    Problem,
    action_type,
    errors_in,
)
from soulbeat.actions.validate import validate_action

__all__ = ["BareExecutor"]


class BareExecutor:
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
            return action_result(action, "rejected", found, detail="the action is not valid")
        if kind in ctx.requires_approval:
            detail = "waits for a person's approval (kept on this audit record)"
            return action_result(action, "pending-approval", found, detail=detail)
        if isinstance(action, NoneAction):
            return action_result(action, "executed", found, detail="nothing to do")
        if isinstance(action, MessageAction):
            return await send_message(action, ctx, found)
        if self.ledger is not None:
            return await self.ledger.apply(action, ctx, tuple(found))
        if ctx.dry_run:
            return action_result(
                action, "would-do", found, detail="dry run: validated, not applied"
            )
        detail = f"{kind} needs the ledger, which this soulbeat does not have yet; not applied"
        return action_result(action, "unsupported-until-ledger", found, detail=detail)
