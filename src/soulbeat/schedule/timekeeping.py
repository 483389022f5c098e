"""`TimeKeeping`: what the scheduler calls for issue 16, in a few lines per hook.

* `on_pass(now)` — start of a pass: due reminders become wakes (`ReminderDesk`), threads past
  their dead-man deadline become ``unhealthy`` (`HealthKeeper.check_dead`).
* `next_at(now)` — the earliest of the next due reminder and the next dead-man deadline, so the
  loop sleeps no longer than either (no polling).
* `health_after(...)` / `delayed_slot(...)` / `finished(...)` — around `finish_beat`: the health
  the finished beat leads to, the backoff delay it puts on the next slot, and afterwards the
  stored health (events, the one alert) and the settled reminder.

Needs a store with the `TimeStore` part; with any other store every hook does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from soulbeat.schedule.health import AlertSink, HealthKeeper, after_beat, backoff_delay
from soulbeat.schedule.plan import BeatPlan, Planner
from soulbeat.schedule.reminders import ReminderDesk
from soulbeat.schedule.wakes import Wake
from soulbeat.store.base import BeatStore, TimeStore
from soulbeat.store.records import MAIN, BeatResult
from soulbeat.store.records_time import ThreadHealth

__all__ = ["HealthStep", "TimeKeeping"]

log = logging.getLogger(__name__)

Publish = Callable[[str, Mapping[str, Any]], None]
After = Callable[[BeatPlan, datetime], Awaitable[datetime | None]]


@dataclass(frozen=True)
class HealthStep:
    """A finished beat's effect on its thread's health, computed before the beat is stored."""

    before: ThreadHealth | None
    after: ThreadHealth
    transition: str | None


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
            self.health = HealthKeeper(self._store, publish, self._target_of, alerts)

    async def _main_plan(self, thread_id: str) -> BeatPlan | None:
        plans = await self._planner.plans(thread_id)
        return next((plan for plan in plans if plan.skill == MAIN), None)

    async def _target_of(self, thread_id: str) -> str:
        plan = await self._main_plan(thread_id)
        return "none" if plan is None else plan.health_target

    async def on_pass(self, now: datetime) -> None:
        if self.reminders is not None:
            await self.reminders.fire_due(now)
        if self.health is not None:
            await self.health.check_dead(now)

    async def next_at(self, now: datetime) -> datetime | None:
        times = []
        if self.reminders is not None:
            times.append(await self.reminders.next_due_at(now))
        if self.health is not None:
            times.append(await self.health.next_check_at())
        return min((t for t in times if t is not None), default=None)

    async def health_after(
        self, thread_id: str, result: BeatResult, plan: BeatPlan | None, now: datetime
    ) -> HealthStep | None:
        if self._store is None or plan is None or result.outcome == "interrupted":
            return None
        before = await self._store.get_health(thread_id)
        after, transition = after_beat(before, thread_id, result, now, plan.dead_after)
        return HealthStep(before, after, transition)

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
        """After the beat was stored: settle its reminder, store the health, publish, alert."""
        if self.reminders is not None:
            await self.reminders.settle(reason, beat_key, now)
        if self.health is not None and step is not None:
            await self.health.commit(step.after, step.transition, now)

    def dropped(self, reason: str) -> None:
        if self.reminders is not None:
            self.reminders.dropped(reason)

    @staticmethod
    def backoff_of(health: ThreadHealth | None, interval: timedelta | None) -> timedelta | None:
        return None if health is None else backoff_delay(health.failed_streak, interval)
