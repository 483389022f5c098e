"""The action log's and the approval queue's records: what `ActionStore` speaks.

The rules (what is allowed, governed, approved) are `soulbeat.actions`'; these are the rows the
store part keeps for them: `LogRow` / `LogEntry` (the action log, migration 004), `NewApproval` /
`Approval` (the approval queue), the `Problem` both carry, and `ActionQuota`, the governance a
row is admitted under inside the store's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from soulbeat.errors import SoulbeatError

__all__ = [
    "APPROVAL_STATUSES",
    "ActionQuota",
    "Approval",
    "ApprovalDecidedError",
    "ApprovalStatus",
    "LogEntry",
    "LogRow",
    "NewApproval",
    "Problem",
]

ApprovalStatus = Literal["pending", "approved", "rejected"]
APPROVAL_STATUSES: tuple[str, ...] = get_args(ApprovalStatus)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an action: the field it concerns ("" for the whole object) and a
    sentence for a person. ``level`` is ``error`` (the action cannot be used) or ``info`` (noted
    on the audit record, harmless: an unknown key that was ignored)."""

    field: str
    message: str
    level: Literal["error", "info"] = "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


# -- the action log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRow:
    """What is written for one action (the row without its id and times); ``retry_after`` is
    when a refused action could be tried again."""

    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str
    type: str
    status: str
    action: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    detail: str = ""
    content_hash: str | None = None
    dry_run: bool = False
    retry_after: datetime | None = None


@dataclass(frozen=True)
class LogEntry:
    """One row of the action log as read back."""

    id: int
    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str
    type: str
    content_hash: str | None
    status: str
    dry_run: bool
    at: datetime
    updated_at: datetime
    action: Mapping[str, Any]
    problems: tuple[Problem, ...]
    detail: str
    retry_after: datetime | None


@dataclass(frozen=True)
class ActionQuota:
    """The governance a row is admitted under (`ActionStore.admit_action`), applied inside the
    write's transaction so two writers can never both take the last slot of a limit.

    The store reads, among the log's rows of the row's thread and type whose status is one of
    ``statuses``: when they happened within ``window`` before now (None: nothing to read), and
    the latest of them with the row's ``content_hash`` within ``duplicate_window`` (None when
    there is none, or the row has no hash). ``decide(times, last)`` turns those into the row to
    write: the row admitted, or refused with its status, problem and ``retry_after``.
    """

    statuses: tuple[str, ...]
    window: timedelta | None
    duplicate_window: timedelta
    decide: Callable[[Sequence[datetime], datetime | None], LogRow]


# -- the approval queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApproval:
    """An action to keep as pending (as it will be carried out), with where it came from."""

    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str
    type: str
    action: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    log_id: int | None = None


@dataclass(frozen=True)
class Approval:
    """One action waiting for (or decided by) a person. ``result`` is the `ActionResult` record
    once decided; ``action_status`` is ``pending-approval`` until then, else its status."""

    id: int
    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str
    type: str
    action: Mapping[str, Any]
    problems: tuple[Problem, ...]
    log_id: int | None
    status: ApprovalStatus
    created_at: datetime
    decided_at: datetime | None = None
    reason: str | None = None
    result: Mapping[str, Any] | None = None

    @property
    def action_status(self) -> str:
        if self.result is None:
            return "pending-approval"
        return str(self.result.get("status", "pending-approval"))

    def as_record(self) -> dict[str, Any]:
        """JSON-ready form, the body of the API and the data of the events."""
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "agent_id": self.agent_id,
            "beat_id": self.beat_id,
            "skill": self.skill,
            "type": self.type,
            "action": dict(self.action),
            "problems": [
                {"field": p.field, "message": p.message, "level": p.level} for p in self.problems
            ],
            "status": self.status,
            "action_status": self.action_status,
            "created_at": self.created_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "reason": self.reason,
            "result": dict(self.result) if self.result is not None else None,
        }


class ApprovalDecidedError(SoulbeatError):
    """The approval was already decided; ``approval`` is it as it stands."""

    def __init__(self, approval: Approval) -> None:
        super().__init__(
            f"approval {approval.id} was already {approval.status}"
            + (f" at {approval.decided_at.isoformat()}" if approval.decided_at else "")
        )
        self.approval = approval
