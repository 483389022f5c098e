"""What the store remembers, as frozen dataclasses. All datetimes are aware UTC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

MAIN = ""
"""The `skill` value of a thread's main heartbeat schedule (skills use their own name)."""

BeatStatus = Literal["claimed", "deferred", "finished", "interrupted"]
EffectState = Literal["started", "done"]
Role = Literal["user", "assistant", "system"]


def beat_key(thread_id: str, skill: str, due_at: datetime) -> str:
    """The idempotency key of a beat: `thread_id@due_at`, or `thread_id/skill@due_at` for skills."""
    who = thread_id if skill == MAIN else f"{thread_id}/{skill}"
    return f"{who}@{due_at.isoformat()}"


@dataclass(frozen=True)
class Agent:
    """One persona with one workspace; `config` holds its heartbeat config overrides."""

    id: str
    workspace: str
    config: Mapping[str, Any] = field(default_factory=dict)
    user_timezone: str | None = None


@dataclass(frozen=True)
class Thread:
    """One conversation between a person and an agent; the unit of heartbeat scheduling."""

    id: str
    agent_id: str
    created_at: datetime
    title: str = ""
    enabled: bool = True
    config: Mapping[str, Any] = field(default_factory=dict)
    """Per-thread heartbeat config overrides, already normalised to snake_case keys."""
    last_user_message_at: datetime | None = None
    last_channel: str | None = None
    revision: int = field(default=0, compare=False)
    """Set by the store from one sequence whenever the thread is added or its config, enabled
    flag or agent changes (`Store.threads_changed_since`); 0 on a record not yet stored."""


@dataclass(frozen=True)
class Message:
    id: int
    thread_id: str
    role: Role
    text: str
    created_at: datetime
    channel: str | None = None
    beat_id: int | None = None


@dataclass(frozen=True)
class Schedule:
    """When one thread's main heartbeat (skill == MAIN) or one skill's heartbeat runs next.

    `next_due_at` is the slot (it makes the beat key); `not_before` defers a slot without moving
    it (busy retry). The schedule is claimable when max(next_due_at, not_before) <= now and it
    holds no live lease. `fingerprint` identifies the interval/window the slot was computed for,
    so a changed config is noticed and the slot recomputed.
    """

    thread_id: str
    skill: str
    next_due_at: datetime | None
    phase_seconds: float = 0.0
    fingerprint: str = ""
    not_before: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    task_last_run: Mapping[str, datetime] = field(default_factory=dict)
    recent_starts: tuple[datetime, ...] = ()
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    inputs: str = ""
    """The fingerprint of what the schedule was planned from (thread revision, agent skills):
    a plan with the same `inputs` and `fingerprint` needs no write."""


@dataclass(frozen=True)
class SystemEvent:
    """A queued system event for a thread, shown to the model at its next beat then consumed."""

    id: int
    thread_id: str
    text: str
    created_at: datetime
    source: str = "api"
    consumed_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """A beat this worker holds under a lease until `lease_expires_at`."""

    beat_id: int
    key: str
    thread_id: str
    skill: str
    due_at: datetime
    reason: str
    worker_id: str
    lease_expires_at: datetime
    attempt: int = 1


@dataclass(frozen=True)
class BeatResult:
    """What a finished (or skipped) beat writes back in `Store.finish_beat`."""

    outcome: str
    """`sent`, `would-send` (a dry run that would have delivered or acted), `ok-empty`,
    `ok-token`, `skipped`, `failed` or `interrupted`."""
    started_at: datetime
    finished_at: datetime
    skip_reason: str | None = None
    error: str | None = None
    audit: Mapping[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    alert_text: str | None = None
    """The alert text delivered by this beat (for the 24 h dedupe), if any."""
    ran_model: bool = False
    """True when the beat got past the guards (counts as a beat start for cooldown and flood)."""


@dataclass(frozen=True)
class BeatRecord:
    """One audit record: every beat has one, skipped and failed ones too (SPEC §7.4)."""

    id: int
    key: str
    thread_id: str
    skill: str
    reason: str
    due_at: datetime
    status: BeatStatus
    attempt: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    skip_reason: str | None = None
    error: str | None = None
    audit: Mapping[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    alert_text: str | None = None
    repeats: int = 1
    """How many slots this record stands for: a skip repeated for the same reason beat after
    beat is folded into one record (SPEC §9.1), from `due_at` to `last_due_at`."""
    last_due_at: datetime | None = None
    """The due time of the newest slot folded into this record (None when `repeats` is 1)."""


@dataclass(frozen=True)
class FileVersion:
    """One recorded version of an agent's SOUL.md (`kind` "soul") or HEARTBEAT.md ("heartbeat")."""

    agent_id: str
    kind: str
    version: int
    content: str
    sha256: str
    source: str
    """`api`, `disk` (an edit noticed on disk) or `rollback:vN`."""
    created_at: datetime


@dataclass(frozen=True)
class EffectRef:
    """Names one effect of a beat (SPEC §9.4): the beat's key and the effect's index in the
    beat's decision (0, 1, ... in the order the beat makes them); `kind` says what it is
    (``message``, ``post``, ``delivery:reasoning`` ...). The same beat re-run after a crash makes
    the same effects under the same refs."""

    key: str
    index: int
    kind: str = ""

    @property
    def idempotency_key(self) -> str:
        """``<beat key>:<index>``: what a webhook call carries as ``Idempotency-Key``."""
        return f"{self.key}:{self.index}"


@dataclass(frozen=True)
class Effect:
    """The record of one effect. `state`: ``started`` (begun outside the database, outcome not
    known yet) or ``done``; `data` what it produced (a message id, the action's result ...);
    `attempts` how many times it was begun."""

    key: str
    index: int
    kind: str
    state: EffectState
    data: Mapping[str, Any]
    attempts: int
    updated_at: datetime
