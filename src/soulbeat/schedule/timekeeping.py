"""`TimeKeeping`: what the scheduler calls for issue 16, in a few lines per hook.

* `on_pass(now)` — start of a pass: due reminders become wakes (`ReminderDesk`), threads past
  their dead-man deadline become ``unhealthy`` (`HealthKeeper.check_dead`).
* `next_at(now)` — the earliest of the next due reminder and the next dead-man deadline, so the
  loop sleeps no longer than either (no polling).
* `health_after(...)` / `delayed_slot(...)` / `finished(...)` — around `finish_beat`: the health
  the finished beat leads to, the backoff delay it puts on the next slot, and afterwards the
  events and the one alert of the health `finish_beat` stored with the beat (`HealthStep.row`:
  one transaction for both), and the settled reminder.

Needs a store with the `TimeStore` part; with any other store every hook does nothing.

An idle pass costs no query: the next reminder and the next deadline are kept once read, and
forgotten (read again on the next pass) when something may have moved them — a reminder fired
or settled, or `invalidate()` (the scheduler's `replan()` and `wake()`: a reminder added or
cancelled, a config change, another worker's change on PostgreSQL). A beat's health row only
moves the kept deadline earlier, to its own ``dead_at``: a kept deadline that is early costs one
`check_dead` that finds nothing and reads it again, never a missed one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from soulbeat.schedule.health import (
    AlertSink,
    HealthKeeper,
    after_beat,
    backoff_delay,
    worth_writing,
)
from soulbeat.schedule.plan import BeatPlan, Planner
from soulbeat.schedule.reminders import ReminderDesk, reminder_id
from soulbeat.schedule.wakes import Wake
from soulbeat.store.base import BeatStore, TimeStore
from soulbeat.store.records import MAIN, BeatResult
from soulbeat.store.records_time import ThreadHealth

__all__ = ["HealthStep", "TimeKeeping"]

log = logging.getLogger(__name__)

Publish = Callable[[str, Mapping[str, Any]], None]
After = Callable[[BeatPlan, datetime], Awaitable[datetime | None]]


class _Unknown:
    """Not read yet (or forgotten): the next pass reads it from the store."""


UNKNOWN = _Unknown()


def _sooner(cached: datetime | _Unknown | None, row: ThreadHealth) -> datetime | _Unknown | None:
    """The kept earliest deadline after ``row`` was stored: only a deadline of a thread that is
    not unhealthy counts (`TimeStore.earliest_dead`), and the row may only bring it forward."""
    if isinstance(cached, _Unknown) or row.unhealthy_since is not None or row.dead_at is None:
        return cached
    return row.dead_at if cached is None else min(cached, row.dead_at)


def _maybe_due(cached: datetime | _Unknown | None, now: datetime) -> bool:
    return isinstance(cached, _Unknown) or (cached is not None and cached <= now)


@dataclass(frozen=True)
class HealthStep:
    """A finished beat's effect on its thread's health, computed before the beat is stored;
    ``write`` False when nothing worth a write changed (`worth_writing`)."""

    before: ThreadHealth | None
    after: ThreadHealth
    transition: str | None
    write: bool = True

    @property
    def row(self) -> ThreadHealth | None:
        """The row `finish_beat` stores with the beat, or None when nothing is worth a write."""
        return self.after if self.write else None


class TimeKeeping:
    """Reminders, backoff and health for one scheduler (module docstring)."""

    def __init__(
        self,
        store: BeatStore,
        planner: Planner,
        push: Callable[[Wake], None],
        publish: Publish,
        alerts: AlertSink | None = None,
    ) -> None:
        self._store: TimeStore | None = store if isinstance(store, TimeStore) else None
        self._planner = planner
        self.reminders: ReminderDesk | None = None
        self.health: HealthKeeper | None = None
        if self._store is not None:
            self.reminders = ReminderDesk(self._store, self._main_plan, push)
            self.health = HealthKeeper(
                self._store, publish, self._main_plan, self._last_good, alerts
            )
        self._beats = store
        self._next_reminder: datetime | _Unknown | None = UNKNOWN
        self._next_dead: datetime | _Unknown | None = UNKNOWN
        self._watching_since: datetime | None = None

    def invalidate(self) -> None:
        """Forget the cached next reminder and deadline (something may have moved them)."""
        self._next_reminder = self._next_dead = UNKNOWN

    async def _main_plan(self, thread_id: str) -> BeatPlan | None:
        plans = await self._planner.plans(thread_id)
        return next((plan for plan in plans if plan.skill == MAIN), None)

    async def _last_good(self, thread_id: str) -> datetime | None:
        """The finish time of the thread's latest beat that finished without failing."""
        for beat in await self._beats.list_beats(thread_id=thread_id, limit=50):
            if beat.status == "finished" and beat.outcome not in ("failed", "interrupted"):
                return beat.finished_at
        return None

    async def on_pass(self, now: datetime) -> None:
        if self.reminders is not None and _maybe_due(self._next_reminder, now):
            await self.reminders.fire_due(now)
            self._next_reminder = UNKNOWN
        if self._watching_since is None:
            self._watching_since = now
        if self.health is not None and _maybe_due(self._next_dead, now):
            await self.health.check_dead(now, self._watching_since)
            self._next_dead = UNKNOWN

    def paused(self) -> None:
        """The scheduler passed while stopped: the dead-man's watch starts again when it runs."""
        self._watching_since = None

    async def next_at(self, now: datetime) -> datetime | None:
        if self.reminders is not None and isinstance(self._next_reminder, _Unknown):
            self._next_reminder = await self.reminders.next_due_at(now)
        if self.health is not None and isinstance(self._next_dead, _Unknown):
            self._next_dead = await self.health.next_check_at()
        times = (self._next_reminder, self._next_dead)
        return min((t for t in times if isinstance(t, datetime)), default=None)

    async def health_after(
        self, thread_id: str, result: BeatResult, plan: BeatPlan | None, now: datetime
    ) -> HealthStep | None:
        if self._store is None or plan is None or result.outcome == "interrupted":
            return None
        before = await self._store.get_health(thread_id)
        after, transition = after_beat(before, thread_id, result, now, plan.dead_after)
        write = worth_writing(before, after, transition, plan.dead_after)
        return HealthStep(before, after, transition, write)

    async def delayed_slot(
        self,
        step: HealthStep | None,
        plan: BeatPlan,
        now: datetime,
        slot: datetime | None,
        after: After,
    ) -> datetime | None:
        """``slot`` moved by the backoff of the thread's failure streak (`backoff_delay`)."""
        if step is None or slot is None:
            return slot
        interval = plan.interval if plan.interval is not None else slot - now
        delay = backoff_delay(step.after.failed_streak, interval)
        if delay is None:
            return slot
        return await after(plan, now + delay)

    async def finished(
        self, reason: str, beat_key: str, step: HealthStep | None, now: datetime
    ) -> None:
        """After the beat was stored with ``step.row``: settle its reminder, publish, alert."""
        if self.reminders is not None and reminder_id(reason) is not None:
            await self.reminders.settle(reason, beat_key, now)
            self._next_reminder = UNKNOWN
        if self.health is not None and step is not None and step.write:
            self._next_dead = _sooner(self._next_dead, step.after)
            await self.health.stored(step.after, step.transition, now)

    def dropped(self, reason: str) -> None:
        if self.reminders is not None:
            self.reminders.dropped(reason)
            self._next_reminder = UNKNOWN

    @staticmethod
    def backoff_of(health: ThreadHealth | None, interval: timedelta | None) -> timedelta | None:
        return None if health is None else backoff_delay(health.failed_streak, interval)
