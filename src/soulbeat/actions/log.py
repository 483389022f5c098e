"""`ActionLog`: every action the model proposed, with what became of it (migration 004).

One row per action that reached the executor: thread, agent, beat, skill, type, the hash of its
normalised content (`soulbeat.actions.policy.content_hash`), status, when, the action itself (as
carried out: sanitised), its problems, a detail line and, for a refusal, ``retry_after``. The
rate limits and the duplicate guard read it; nothing refused is dropped from it.

- `admit` is governance and bookkeeping in one write transaction: it reads the counted actions
  of the thread and type, applies the rate limits and then the duplicate guard, and inserts the
  row: status ``admitted`` (it uses quota from this instant) or the refusal's status with its
  problem and ``retry_after``. Two beats can never both take the last slot of a limit.
- `settle` gives an admitted row its final status once the action has been carried out (or
  queued for approval); an approval decided later settles it again.
- `record` inserts a row that is final at once (rejected by validation, would-do, none).

The rows are kept by the store's action part (`soulbeat.store.base.ActionStore`; records in
`soulbeat.store.records_actions`); governance runs inside its transaction as an `ActionQuota`.
Times come from the injected clock. Rows are never deleted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from soulbeat.actions.models import Problem
from soulbeat.actions.policy import (
    DUPLICATE_WINDOW,
    QUOTA_STATUSES,
    Refusal,
    check_duplicate,
    check_rate_limits,
)
from soulbeat.clock import Clock
from soulbeat.config.actions import RateLimit
from soulbeat.store.base import ActionStore
from soulbeat.store.records_actions import ActionQuota, LogEntry, LogRow

__all__ = [
    "ADMITTED",
    "ActionLog",
    "Admission",
    "LogEntry",
    "LogRow",
]

ADMITTED = "admitted"
"""The status of a row whose action passed governance and is being carried out."""


@dataclass(frozen=True)
class Admission:
    """What `ActionLog.admit` decided: the row written, and the refusal (None: admitted)."""

    entry_id: int
    refusal: Refusal | None

    @property
    def admitted(self) -> bool:
        return self.refusal is None


class ActionLog:
    """The action log in the store (module docstring)."""

    def __init__(self, store: ActionStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def record(self, row: LogRow) -> int:
        """Insert a final row; returns its id."""
        return await self._store.record_action(row, self._clock.now())

    async def admit(self, row: LogRow, limits: Sequence[RateLimit]) -> Admission:
        """Apply the rate limits, then the duplicate guard, and insert the row (module
        docstring). ``row.status`` is ignored: it becomes ``admitted`` or the refusal's."""
        now = self._clock.now()
        decided: dict[str, Refusal | None] = {}

        def decide(times: Sequence[datetime], last: datetime | None) -> LogRow:
            refusal = decided["refusal"] = _governance(row, limits, times, last, now)
            if refusal is None:
                return replace(row, status=ADMITTED, retry_after=None)
            return replace(
                row,
                status=refusal.status,
                problems=(*row.problems, refusal.problem),
                detail=refusal.problem.message,
                retry_after=refusal.retry_after,
            )

        window = max((limit.window for limit in limits), default=None)
        quota = ActionQuota(QUOTA_STATUSES, window, DUPLICATE_WINDOW, decide)
        entry, _ = await self._store.admit_action(row, quota, now)
        return Admission(entry, decided.get("refusal"))

    async def settle(
        self,
        entry_id: int,
        status: str,
        *,
        detail: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        """Give row ``entry_id`` its (new) status; detail and problems replace the old ones when
        given. NotFoundError for an unknown id."""
        await self._store.settle_action(
            entry_id, status, self._clock.now(), detail=detail, problems=problems
        )

    async def get(self, entry_id: int) -> LogEntry:
        """One entry; NotFoundError for an unknown id."""
        return await self._store.get_action(entry_id)

    async def entries(
        self,
        *,
        thread_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[LogEntry]:
        """Entries, newest first, optionally of one thread, type and status."""
        return await self._store.list_actions(
            thread_id=thread_id, type=type, status=status, limit=limit
        )


def _governance(
    row: LogRow,
    limits: Sequence[RateLimit],
    times: Sequence[datetime],
    last: datetime | None,
    now: datetime,
) -> Refusal | None:
    """The rate limits first, then the duplicate guard (`soulbeat.actions.policy`)."""
    if limits:
        refusal = check_rate_limits(row.type, limits, times, now)
        if refusal is not None:
            return refusal
    if row.content_hash is None:
        return None
    return check_duplicate(row.type, last, now)
