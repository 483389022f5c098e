"""Helpers of the governance tests: a `Gov` bench — a real SQLite store on ``tmp_path``, a
`FakeClock`, the action log, an approval queue and a `GovernedExecutor` over a recording fake
ledger whose targets are a set the test fills."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from soulbeat.actions.approvals import ApprovalQueue
from soulbeat.actions.executor import ActionContext, ActionResult, GovernedExecutor, LedgerAction
from soulbeat.actions.log import ActionLog
from soulbeat.actions.models import Action, Problem, to_dict
from soulbeat.channels.base import Receipt
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock

ALL = ("post", "comment", "vote", "message", "none")


class RecordingSink:
    """An `EventSink` that keeps what was published."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, name: str, data: Mapping[str, Any]) -> None:
        self.events.append((name, dict(data)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


@dataclass
class FakeLedger:
    """A `LedgerBackend` that records what it is asked to apply; ``targets`` is what exists."""

    targets: set[tuple[str, str]] = field(default_factory=lambda: {("submolt", "general")})
    applied: list[LedgerAction] = field(default_factory=list)
    fail_with: Exception | None = None

    def exists(self, kind: str, ident: str) -> bool:
        return (kind, ident) in self.targets

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        if self.fail_with is not None:
            raise self.fail_with
        self.applied.append(action)
        number = len(self.applied)
        receipt = Receipt("ledger", True, f"ledger: {action.TYPE} {number}")
        return ActionResult(action.TYPE, "executed", to_dict(action), tuple(problems), receipt)


@dataclass
class Gov:
    """Everything a governance test needs."""

    clock: FakeClock
    store: SQLiteStore
    ledger: FakeLedger
    log: ActionLog
    approvals: ApprovalQueue
    executor: GovernedExecutor
    events: RecordingSink

    async def run(self, action: Action, **changes: Any) -> ActionResult:
        """Execute ``action`` in thread t1 (or as ``changes`` say)."""
        return await self.executor.execute(action, ctx(**changes))


def ctx(**changes: Any) -> ActionContext:
    """A context of thread t1, everything allowed, no approvals, not dry-run."""
    return replace(ActionContext("t1", "default", 1, allowed=ALL), **changes)


async def make_gov(store: SQLiteStore, clock: FakeClock) -> Gov:
    await store.open()
    ledger = FakeLedger()
    events = RecordingSink()
    log = ActionLog(store, clock)
    approvals = ApprovalQueue(
        store, clock, log=log, ledger=ledger, exists=ledger.exists, events=events
    )
    executor = GovernedExecutor(log, ledger=ledger, exists=ledger.exists, approvals=approvals)
    return Gov(clock, store, ledger, log, approvals, executor, events)
