"""Wakes: requests for a beat now, and the queue that coalesces them (SPEC §4.2).

A wake names a schedule (thread and skill), a reason and the instant it was asked for. Reasons:
``interval``, ``manual`` (run-now, CLI, panel), ``hook:<name>`` (webhook), ``event`` (a system
event was queued), ``retry``, ``skill:<name>`` and ``reminder:<id>`` (issue 16). Priority, lowest
first: ``retry`` < ``interval`` = ``skill:<name>`` < ``event`` = ``hook:<name>`` < ``manual`` <
``reminder:<id>``.

`WakeQueue` holds at most one pending wake per schedule. A new wake is ready 250 ms after it was
asked for; a wake for a schedule that already has one pending is merged into it: the higher
priority reason wins (the first one on a tie), the first wake's instant is kept (it is the beat's
key, so a deferred wake retried later reuses its beat row) and the earlier ready time is kept.
So wakes within 250 ms become one beat, and so does any wake that arrives while an earlier one
still waits (deferred for busy, cooldown or flood). The queue never sleeps: it is read with the
injected clock's time, and `next_ready_at()` tells the scheduler how long it may sleep.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from soulbeat.clock import Clock
from soulbeat.store.records import MAIN

__all__ = [
    "COALESCE_WINDOW",
    "EVENT",
    "INTERVAL",
    "MANUAL",
    "REMINDER_PREFIX",
    "RETRY",
    "Wake",
    "WakeQueue",
    "check_reason",
    "hook_reason",
    "priority",
    "skill_reason",
]

INTERVAL = "interval"
MANUAL = "manual"
EVENT = "event"
RETRY = "retry"
HOOK_PREFIX = "hook:"
SKILL_PREFIX = "skill:"
REMINDER_PREFIX = "reminder:"
COALESCE_WINDOW = timedelta(milliseconds=250)

_PRIORITY = {RETRY: 0, INTERVAL: 1, EVENT: 2, MANUAL: 3}
_PREFIX_PRIORITY = {SKILL_PREFIX: 1, HOOK_PREFIX: 2, REMINDER_PREFIX: 4}
"""A reminder outranks even ``manual``: merged into another wake, its id must survive, since
the reminder is settled by the beat that carries its reason (`soulbeat.schedule.reminders`)."""


def hook_reason(name: str) -> str:
    """The reason of a webhook wake, ``hook:<name>``."""
    return check_reason(f"{HOOK_PREFIX}{name}")


def skill_reason(name: str) -> str:
    """The reason of a skill's scheduled beat, ``skill:<name>``."""
    return check_reason(f"{SKILL_PREFIX}{name}")


def priority(reason: str) -> int:
    """Higher wins when wakes coalesce. Raises ValueError for an unknown reason."""
    if reason in _PRIORITY:
        return _PRIORITY[reason]
    for prefix, rank in _PREFIX_PRIORITY.items():
        if reason.startswith(prefix) and len(reason) > len(prefix):
            return rank
    raise ValueError(
        f"unknown wake reason {reason!r} (expected interval, manual, event, retry, "
        "hook:<name>, skill:<name> or reminder:<id>)"
    )


def check_reason(reason: str) -> str:
    """Return ``reason`` when it is a known wake reason, else raise ValueError."""
    priority(reason)
    return reason


@dataclass(frozen=True)
class Wake:
    """A request for a beat of one schedule; ``at`` is when it was first asked for."""

    thread_id: str
    skill: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class _Pending:
    wake: Wake
    ready_at: datetime


class WakeQueue:
    """Pending wakes, one per (thread, skill), coalesced as the module docstring says."""

    def __init__(self, clock: Clock, window: timedelta = COALESCE_WINDOW) -> None:
        self._clock = clock
        self._window = window
        self._pending: dict[tuple[str, str], _Pending] = {}

    def push(self, thread_id: str, reason: str, skill: str = MAIN) -> Wake:
        """Ask for a beat; returns the pending wake it became (merged or new)."""
        now = self._clock.now()
        fresh = _Pending(Wake(thread_id, skill, check_reason(reason), now), now + self._window)
        merged = _merge(self._pending.get((thread_id, skill)), fresh)
        self._pending[(thread_id, skill)] = merged
        return merged.wake

    def retry_at(self, wake: Wake, not_before: datetime) -> None:
        """Put back a wake that could not run yet (busy, cooldown, flood) until ``not_before``."""
        merged = _merge(_Pending(wake, not_before), self._pending.get((wake.thread_id, wake.skill)))
        self._pending[(wake.thread_id, wake.skill)] = merged

    def pop_ready(self, limit: int | None = None) -> list[Wake]:
        """Take the wakes that are ready now, highest priority first, then oldest first."""
        now = self._clock.now()
        ready = [p.wake for p in self._pending.values() if p.ready_at <= now]
        ready.sort(key=lambda wake: (-priority(wake.reason), wake.at))
        taken = ready if limit is None else ready[: max(0, limit)]
        for wake in taken:
            del self._pending[(wake.thread_id, wake.skill)]
        return taken

    def next_ready_at(self) -> datetime | None:
        """When the next pending wake becomes ready (None when nothing is pending)."""
        return min((p.ready_at for p in self._pending.values()), default=None)

    def pending(self) -> list[Wake]:
        """The pending wakes, oldest first (for status and tests)."""
        return sorted((p.wake for p in self._pending.values()), key=lambda wake: wake.at)

    def __len__(self) -> int:
        return len(self._pending)


def _merge(first: _Pending | None, second: _Pending | None) -> _Pending:
    """One pending wake out of two for the same schedule: ``first``'s instant, the higher reason."""
    if first is None or second is None:
        only = first or second
        assert only is not None
        return only
    reason = first.wake.reason
    if priority(second.wake.reason) > priority(reason):
        reason = second.wake.reason
    return _Pending(replace(first.wake, reason=reason), min(first.ready_at, second.ready_at))
