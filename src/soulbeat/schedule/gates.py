"""The guards a beat passes before any model call (SPEC §4.2), as pure functions.

`evaluate_gates(inputs)` runs the guards of `GUARDS` in order and stops at the first that does
not pass. A guard either lets the beat through, *skips* it (recorded with the guard's reason; the
slot advances) or *defers* it (recorded; retried at ``defer_until``; the slot is kept):

======================  =====================================================  ================
guard                   stops the beat when                                    bypassed by
======================  =====================================================  ================
disabled                the global flag, the thread or the interval is off     -
quiet-hours             now is outside the active hours                        manual, reminder
quiet-after-message     a person wrote in the thread less than                 manual
                        quiet_after_message ago: defer until that has passed
busy                    a turn is in flight on the thread: defer 1 s           -
cooldown                event/hook wake < 30 s after the thread's last beat    manual, and all
                        start: defer until 30 s after that start               but event/hook
flood                   5 beat starts in the last 60 s: defer until the        manual
                        oldest of them is 60 s old
idle                    nobody wrote in the thread for longer than idle_pause  reminder
budget                  the thread's daily token budget is spent               -
empty-heartbeat-file    the instructions file is effectively empty             event, hook, manual,
                                                                               reminder
no-tasks-due            the file has cadence tasks and none of them is due     event, hook, manual,
                                                                               reminder
unchanged               nothing new since the last beat, which was an ack,     event, hook, manual,
                        and no MCP tools (SPEC §9.1; `GateInputs.unchanged`)   reminder, retry
no-route                the outcome could go nowhere                           -
alerts-disabled         all three visibility flags are off                     -
======================  =====================================================  ================

Reasons are the wake reasons of `soulbeat.schedule.wakes` (``interval``, ``skill:<name>``,
``retry``, ``event``, ``hook:<name>``, ``manual``, ``reminder:<id>``). A reminder's beat skips
the quiet-hours guard because the reminder was already moved into the active hours before it
fired, unless it is urgent (`soulbeat.schedule.reminders`); quiet-after-message defers it like any
beat (SPEC §9.1: the beat is re-timed, not dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from soulbeat.contract.active_hours import is_within_active_hours
from soulbeat.schedule.plan import BeatPlan

__all__ = [
    "BUSY_RETRY",
    "COOLDOWN",
    "FLOOD_LIMIT",
    "FLOOD_WINDOW",
    "GUARDS",
    "GateDecision",
    "GateInputs",
    "evaluate_gates",
]

BUSY_RETRY = timedelta(seconds=1)
COOLDOWN = timedelta(seconds=30)
FLOOD_LIMIT = 5
FLOOD_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True)
class GateInputs:
    """Everything the guards look at, gathered by the scheduler for one beat."""

    plan: BeatPlan
    now: datetime
    reason: str
    global_enabled: bool = True
    busy: bool = False
    last_beat_start: datetime | None = None
    """The thread's last beat start (any of its schedules), for the cooldown."""
    recent_starts: tuple[datetime, ...] = ()
    """The thread's beat starts; those in the last 60 s count towards the flood limit."""
    tokens_used_today: int = 0
    unchanged: bool = False
    """Issue 15: `soulbeat.schedule.unchanged` found nothing new since the thread's last beat,
    an acknowledgement, and the beat has no tools reaching outside soulbeat."""


@dataclass(frozen=True)
class GateDecision:
    """What the guards decided: ``skip`` None means run; with ``defer_until`` it is a deferral."""

    passed: tuple[str, ...]
    skip: str | None = None
    defer_until: datetime | None = None

    @property
    def runs(self) -> bool:
        return self.skip is None

    @property
    def deferred(self) -> bool:
        return self.defer_until is not None


@dataclass(frozen=True)
class _Stop:
    defer_until: datetime | None = None


_PASS = None
Guard = Callable[[GateInputs], _Stop | None]


def _is_manual(reason: str) -> bool:
    return reason == "manual"


def _is_event_driven(reason: str) -> bool:
    return reason == "event" or reason.startswith("hook:")


def _is_reminder(reason: str) -> bool:
    return reason.startswith("reminder:")


def _disabled(i: GateInputs) -> _Stop | None:
    plan = i.plan
    stopped = not i.global_enabled and not _is_manual(i.reason)  # SPEC §9.1: manual still runs
    off = stopped or not plan.enabled or not plan.beats_on_its_own
    return _Stop() if off else _PASS


def _quiet_hours(i: GateInputs) -> _Stop | None:
    if _is_manual(i.reason) or _is_reminder(i.reason):
        return _PASS
    inside = is_within_active_hours(i.plan.active_hours, i.now, i.plan.user_timezone)
    return _PASS if inside else _Stop()


def _quiet_after_message(i: GateInputs) -> _Stop | None:
    """SPEC §9.1: the person is mid-conversation; the beat waits for the quiet period's end."""
    quiet, last = i.plan.quiet_after_message, i.plan.last_activity_at
    if _is_manual(i.reason) or quiet is None or last is None:
        return _PASS
    ends = last + quiet
    return _Stop(ends) if i.now < ends else _PASS


def _busy(i: GateInputs) -> _Stop | None:
    return _Stop(i.now + BUSY_RETRY) if i.busy else _PASS


def _cooldown(i: GateInputs) -> _Stop | None:
    if not _is_event_driven(i.reason) or i.last_beat_start is None:
        return _PASS
    ready = i.last_beat_start + COOLDOWN
    return _Stop(ready) if i.now < ready else _PASS


def _flood(i: GateInputs) -> _Stop | None:
    if _is_manual(i.reason):
        return _PASS
    window = sorted(start for start in i.recent_starts if i.now - start < FLOOD_WINDOW)
    if len(window) < FLOOD_LIMIT:
        return _PASS
    # Enough of the oldest must age out to leave room for one more start.
    return _Stop(window[len(window) - FLOOD_LIMIT] + FLOOD_WINDOW)


def _idle(i: GateInputs) -> _Stop | None:
    pause, last = i.plan.idle_pause, i.plan.last_activity_at
    if pause is None or last is None or _is_reminder(i.reason):
        return _PASS
    return _Stop() if i.now - last > pause else _PASS


def _budget(i: GateInputs) -> _Stop | None:
    budget = i.plan.daily_token_budget
    return _Stop() if budget is not None and i.tokens_used_today >= budget else _PASS


def _empty_heartbeat_file(i: GateInputs) -> _Stop | None:
    if _is_manual(i.reason) or _is_event_driven(i.reason) or _is_reminder(i.reason):
        return _PASS
    return _Stop() if i.plan.heartbeat_file_empty else _PASS


def _no_tasks_due(i: GateInputs) -> _Stop | None:
    if _is_manual(i.reason) or _is_event_driven(i.reason) or _is_reminder(i.reason):
        return _PASS
    return _Stop() if i.plan.has_cadence_tasks and not i.plan.due_tasks else _PASS


def _unchanged(i: GateInputs) -> _Stop | None:
    if i.reason != "interval" and not i.reason.startswith("skill:"):
        return _PASS  # event, hook, reminder, manual and retry wakes bypass (SPEC §9.1)
    return _Stop() if i.unchanged and i.plan.skip_unchanged else _PASS


def _no_route(i: GateInputs) -> _Stop | None:
    return _PASS if i.plan.has_route else _Stop()


def _alerts_disabled(i: GateInputs) -> _Stop | None:
    return _PASS if i.plan.alerts_visible else _Stop()


GUARDS: tuple[tuple[str, Guard], ...] = (
    ("disabled", _disabled),
    ("quiet-hours", _quiet_hours),
    ("quiet-after-message", _quiet_after_message),
    ("busy", _busy),
    ("cooldown", _cooldown),
    ("flood", _flood),
    ("idle", _idle),
    ("budget", _budget),
    ("empty-heartbeat-file", _empty_heartbeat_file),
    ("no-tasks-due", _no_tasks_due),
    ("unchanged", _unchanged),
    ("no-route", _no_route),
    ("alerts-disabled", _alerts_disabled),
)
"""The guards in the order SPEC §4.2 gives; each name is also the recorded skip reason."""


def evaluate_gates(inputs: GateInputs) -> GateDecision:
    """Run the guards in order; the first that stops the beat decides."""
    passed: list[str] = []
    for name, guard in GUARDS:
        stop = guard(inputs)
        if stop is not None:
            return GateDecision(tuple(passed), skip=name, defer_until=stop.defer_until)
        passed.append(name)
    return GateDecision(tuple(passed))
