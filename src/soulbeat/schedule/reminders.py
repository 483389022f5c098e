"""One-shot reminders (issue 16, SPEC §9.2): due reminders become beats, durably.

A reminder is a stored row (`TimeStore`), not a timer: whatever happens to the process, a
pending reminder whose time has come fires on the next scheduler pass, and the scheduler sleeps
no longer than the earliest pending one (`next_due_at`), so it is planned on change, never by
scanning.

Firing, per pass (`ReminderDesk.fire_due`):

1. A non-urgent reminder due outside its thread's active hours is re-timed to the window's next
   opening (stored), not dropped; an urgent one fires anyway.
2. Its text is queued as a system event (`TimeStore.fire_reminder`: once, even when firing is
   retried after a restart) and a wake with reason ``reminder:<id>`` keyed at the reminder's
   due time goes to the wake queue. Re-firing after a crash therefore claims the same beat key.
3. When that beat finishes (any outcome), the reminder is settled ``done`` with the beat's key
   (`settle`). A reminder whose beat was deferred (busy, flood, quiet after a message) stays
   pending until then, so a restart fires it again rather than losing it.

One reminder per thread is in flight at a time: two due together would merge into one wake (one
reason), so the second waits for the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from soulbeat.contract.active_hours import is_within_active_hours
from soulbeat.schedule.cadence import seek_active_slot
from soulbeat.schedule.plan import BeatPlan
from soulbeat.schedule.wakes import REMINDER_PREFIX, Wake
from soulbeat.store.base import TimeStore
from soulbeat.store.records import MAIN
from soulbeat.store.records_time import Reminder

__all__ = ["ReminderDesk", "reminder_id"]

log = logging.getLogger(__name__)

_SEEK_STEP = timedelta(minutes=1)

PlanOf = Callable[[str], Awaitable[BeatPlan | None]]
Push = Callable[[Wake], None]


def reminder_id(reason: str) -> int | None:
    """The id in a ``reminder:<id>`` reason; None for any other reason."""
    if not reason.startswith(REMINDER_PREFIX):
        return None
    tail = reason.removeprefix(REMINDER_PREFIX)
    return int(tail) if tail.isdigit() else None


class ReminderDesk:
    """Turns due reminders into wakes and settles them when their beat ends (module docstring)."""

    def __init__(self, store: TimeStore, plan_of: PlanOf, push: Push) -> None:
        self._store, self._plan_of, self._push = store, plan_of, push
        self._in_flight: dict[int, str] = {}
        """Reminder id -> thread id, for reminders pushed and not settled yet."""

    async def fire_due(self, now: datetime) -> list[Reminder]:
        """Fire every due reminder that can go now; returns those pushed as wakes."""
        pushed: list[Reminder] = []
        busy = set(self._in_flight.values())
        for reminder in await self._store.due_reminders(now):
            if reminder.id in self._in_flight or reminder.thread_id in busy:
                continue
            plan = await self._plan_of(reminder.thread_id)
            if plan is None:  # the thread is gone; its reminders go with it
                continue
            later = _outside_hours(reminder, plan, now)
            if later is not None:
                await self._store.retime_reminder(reminder.id, later)
                continue
            await self._store.fire_reminder(reminder.id, now)
            self._push(Wake(reminder.thread_id, MAIN, reminder.reason, reminder.due_at))
            self._in_flight[reminder.id] = reminder.thread_id
            busy.add(reminder.thread_id)
            pushed.append(reminder)
        return pushed

    async def settle(self, reason: str, beat_key: str, now: datetime) -> None:
        """The beat of a ``reminder:<id>`` wake finished: the reminder is done."""
        found = reminder_id(reason)
        if found is None:
            return
        self._in_flight.pop(found, None)
        await self._store.settle_reminder(found, beat_key, now)

    def dropped(self, reason: str) -> None:
        """A reminder's wake could not be claimed (its thread vanished): fire it again later."""
        found = reminder_id(reason)
        if found is not None:
            self._in_flight.pop(found, None)

    async def next_due_at(self, now: datetime) -> datetime | None:
        """When the next pass is needed for reminders: ``now`` when a due one waits to fire,
        else the earliest future one. Due ones held by a reminder in flight on their thread
        are not counted: that beat's end wakes the scheduler."""
        earliest = await self._store.earliest_reminder()
        if earliest is None or earliest > now or not self._in_flight:
            return earliest
        busy = set(self._in_flight.values())
        for reminder in await self._store.due_reminders(now):
            if reminder.id not in self._in_flight and reminder.thread_id not in busy:
                return now
        return await self._store.earliest_reminder(after=now)


def _outside_hours(reminder: Reminder, plan: BeatPlan, now: datetime) -> datetime | None:
    """The next opening of the active hours when a non-urgent reminder is due outside them."""
    if reminder.urgent or is_within_active_hours(plan.active_hours, now, plan.user_timezone):
        return None
    later = seek_active_slot(now, _SEEK_STEP, plan.active_hours, plan.user_timezone)
    return later if later > now else None
