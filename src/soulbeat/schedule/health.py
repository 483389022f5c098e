"""Backoff and health (issue 16, SPEC §9.2): failure streaks, the dead-man check, one alert.

The rules, per thread (all of its schedules together):

* **Streak.** A ``failed`` beat adds one to ``failed_streak``; any other finished beat resets it
  to 0 (SPEC §9.2: "reset by any beat that is not failed"), a guard's skip included. An
  interrupted beat leaves it alone: it did not finish, and runs again.
* **Backoff.** From the third failure in a row, the next slot is delayed: the first slot after
  ``now + min(2^(n-3) x interval, 6 h)`` (`backoff_delay`; a cron thread's "interval" is the gap
  to its next fire). A success resets it.
* **Dead-man.** ``dead_at`` = the last beat that finished without failing (a skip counts: the
  scheduler is alive and deciding) + ``dead_after`` (default 3 x interval, at least 1 h). Each
  scheduler pass asks the store for threads past their ``dead_at`` (`TimeStore.dead_threads`),
  and sleeps no longer than the earliest one, so nothing is scanned.
* **Few writes.** A beat that changes nothing but the deadline writes the row only when the
  stored ``dead_at`` is more than half of ``dead_after`` behind (`worth_writing`): a healthy
  thread costs one extra write per half ``dead_after``, not one per beat. A stored deadline may
  therefore be early; before a thread is declared dead its beat history is asked for the last
  beat that finished without failing (`LastGood`), and a newer one moves the deadline instead.
* **Episodes.** A thread becomes ``unhealthy`` when its streak reaches 3 (``failing``) or its
  ``dead_at`` passes (``silent``): one ``thread.unhealthy`` event and one alert to its
  ``health_target``. The alert is claimed in the store first (`TimeStore.claim_alert`), so an
  episode alerts once even across a restart or on several workers. A beat that ran and did not
  fail — or, for a ``silent`` episode, any beat that finished without failing — ends the episode:
  one ``thread.recovered`` event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.base import TimeStore
from soulbeat.store.records import BeatResult
from soulbeat.store.records_time import ThreadHealth

__all__ = [
    "FAILS_BEFORE_BACKOFF",
    "MAX_BACKOFF",
    "AlertSink",
    "HealthKeeper",
    "after_beat",
    "backoff_delay",
    "declare_dead",
    "worth_writing",
]

log = logging.getLogger(__name__)

FAILS_BEFORE_BACKOFF = 3
MAX_BACKOFF = timedelta(hours=6)
FAILING, SILENT = "failing", "silent"


class AlertSink(Protocol):
    """Sends the one alert of an unhealthy episode to a ``health_target``."""

    async def send_alert(self, target: str, thread_id: str, text: str) -> None: ...


def backoff_delay(streak: int, interval: timedelta | None) -> timedelta | None:
    """How much later the next slot comes after ``streak`` failures in a row (None: no delay)."""
    if streak < FAILS_BEFORE_BACKOFF or interval is None or interval <= timedelta(0):
        return None
    steps = streak - FAILS_BEFORE_BACKOFF
    if steps > 40:  # 2^40 intervals is far past the cap whatever the interval
        return MAX_BACKOFF
    return min(interval * (1 << steps), MAX_BACKOFF)


def after_beat(
    health: ThreadHealth | None,
    thread_id: str,
    result: BeatResult,
    now: datetime,
    dead_after: timedelta | None,
) -> tuple[ThreadHealth, str | None]:
    """The health after a finished beat, and the transition it made (``thread.unhealthy``,
    ``thread.recovered`` or None). Pure."""
    old = health or ThreadHealth(thread_id, now)
    outcome = result.outcome
    if outcome == "interrupted":
        return replace(old, updated_at=now), None
    if outcome == "failed":
        new = replace(old, updated_at=now, failed_streak=old.failed_streak + 1, last_failed_at=now)
        if health is None and dead_after is not None:  # first seen failing: the clock starts now
            new = replace(new, dead_at=now + dead_after)
        if not new.unhealthy and new.failed_streak >= FAILS_BEFORE_BACKOFF:
            return _open(new, now, FAILING), "thread.unhealthy"
        return new, None
    ran = outcome != "skipped"
    dead_at = None if dead_after is None else now + dead_after
    new = replace(  # any beat not failed resets the streak (SPEC §9.2); one that ran is ok
        old,
        updated_at=now,
        dead_at=dead_at,
        failed_streak=0,
        last_ok_at=now if ran else old.last_ok_at,
    )
    if new.unhealthy and (ran or new.reason == SILENT):
        return replace(new, unhealthy_since=None, reason=None), "thread.recovered"
    return new, None


def worth_writing(
    before: ThreadHealth | None,
    after: ThreadHealth,
    transition: str | None,
    dead_after: timedelta | None,
) -> bool:
    """Whether a beat's new health must be stored now (see "Few writes")."""
    if before is None or transition is not None:
        return True
    if (before.failed_streak, before.unhealthy_since) != (
        after.failed_streak,
        after.unhealthy_since,
    ):
        return True
    if after.dead_at is None or dead_after is None:
        return before.dead_at != after.dead_at
    return before.dead_at is None or after.dead_at - before.dead_at >= dead_after / 2


def declare_dead(health: ThreadHealth, now: datetime) -> ThreadHealth:
    """The health of a thread whose ``dead_at`` passed: a new ``silent`` episode. Pure."""
    return _open(replace(health, updated_at=now), now, SILENT)


def _open(health: ThreadHealth, now: datetime, reason: str) -> ThreadHealth:
    return replace(
        health, unhealthy_since=now, reason=reason, episode=health.episode + 1, alerted_at=None
    )


Publish = Callable[[str, Mapping[str, Any]], None]
PlanOf = Callable[[str], Awaitable[BeatPlan | None]]
LastGood = Callable[[str], Awaitable[datetime | None]]
"""When the thread's latest beat finished without failing (from its audit trail), if any."""


class HealthKeeper:
    """Keeps `ThreadHealth` rows as beats finish, runs the dead-man check, sends the alerts."""

    def __init__(
        self,
        store: TimeStore,
        publish: Publish,
        plan_of: PlanOf,
        last_good: LastGood,
        alerts: AlertSink | None = None,
    ) -> None:
        self._store, self._publish, self._plan_of = store, publish, plan_of
        self._last_good = last_good
        self._alerts = alerts

    async def after_beat(
        self, thread_id: str, result: BeatResult, now: datetime, dead_after: timedelta | None
    ) -> ThreadHealth:
        """Record a finished beat; publish and alert on a transition. Returns the new health."""
        old = await self._store.get_health(thread_id)
        new, transition = after_beat(old, thread_id, result, now, dead_after)
        await self.commit(new, transition, now)
        return new

    async def commit(self, health: ThreadHealth, transition: str | None, now: datetime) -> None:
        """Store ``health``; publish ``transition`` (and alert once) when there is one."""
        await self._store.put_health(health)
        await self.stored(health, transition, now)

    async def stored(self, health: ThreadHealth, transition: str | None, now: datetime) -> None:
        """``health`` was stored (with its beat's finish): publish ``transition`` (and alert
        once) when there is one."""
        if transition is not None:
            await self._transition(health, transition, now)

    async def check_dead(
        self, now: datetime, watching_since: datetime | None = None
    ) -> list[ThreadHealth]:
        """Open a ``silent`` episode for every thread past its ``dead_at``.

        ``watching_since`` is when this scheduler began running (started, restarted, or
        enabled after a stop): a thread is given a full ``dead_after`` from then, so a
        scheduler that was down or stopped does not declare every thread dead as it comes
        back — the silence was the scheduler's, not the thread's."""
        opened = []
        for health in await self._store.dead_threads(now):
            plan = await self._plan_of(health.thread_id)
            watched = plan is not None and plan.enabled and plan.beats_on_its_own
            dead_after = plan.dead_after if plan is not None and watched else None
            good = await self._last_good(health.thread_id)
            base = max((t for t in (good, watching_since) if t is not None), default=None)
            if dead_after is None or (base is not None and base + dead_after > now):
                # not dead after all: no deadline any more, a beat the lazy write left out, or
                # a scheduler that has not watched the thread for a whole `dead_after` yet
                later = None if dead_after is None or base is None else base + dead_after
                await self._store.put_health(replace(health, dead_at=later, updated_at=now))
                continue
            sick = declare_dead(replace(health, last_ok_at=good or health.last_ok_at), now)
            await self._store.put_health(sick)
            await self._transition(sick, "thread.unhealthy", now)
            opened.append(sick)
        return opened

    async def next_check_at(self) -> datetime | None:
        return await self._store.earliest_dead()

    async def _transition(self, health: ThreadHealth, name: str, now: datetime) -> None:
        data = _event_data(health)
        self._publish(name, data)
        if name == "thread.unhealthy":
            await self._alert_once(health, now)

    async def _alert_once(self, health: ThreadHealth, now: datetime) -> None:
        if not await self._store.claim_alert(health.thread_id, health.episode, now):
            return  # this episode was alerted already (before a restart, or by another worker)
        plan = await self._plan_of(health.thread_id)
        target = "none" if plan is None else plan.health_target
        if target == "none" or self._alerts is None:
            return
        try:
            await self._alerts.send_alert(target, health.thread_id, alert_text(health))
        except Exception:  # at most once: a failed send is logged, not retried
            log.exception("the unhealthy alert of %r to %r failed", health.thread_id, target)


def alert_text(health: ThreadHealth) -> str:
    """The alert's words: which thread, why, since when."""
    since = health.unhealthy_since.isoformat() if health.unhealthy_since else "now"
    if health.reason == FAILING:
        why = f"its last {health.failed_streak} beats failed"
    else:
        last = health.last_ok_at.isoformat() if health.last_ok_at else "it started"
        why = f"no beat has finished since {last}"
    return f"soulbeat: thread {health.thread_id} is unhealthy since {since}: {why}."


def _event_data(health: ThreadHealth) -> dict[str, Any]:
    return {
        "thread_id": health.thread_id,
        "reason": health.reason,
        "failed_streak": health.failed_streak,
        "episode": health.episode,
        "last_ok_at": None if health.last_ok_at is None else health.last_ok_at.isoformat(),
    }
