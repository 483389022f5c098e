"""Backoff and health (issue 16, SPEC §9.2): failure streaks, the dead-man check, one alert.

The rules, per thread (all of its schedules together):

* **Streak.** A ``failed`` beat adds one to ``failed_streak``; a beat that ran and did not fail
  resets it to 0. A skipped or interrupted beat leaves it alone: it says nothing about whether
  beats work (a thread that fails whenever it runs must not look cured by a quiet-hours skip).
* **Backoff.** From the third failure in a row, the next slot is delayed: the first slot after
  ``now + min(2^(n-3) x interval, 6 h)`` (`backoff_delay`; a cron thread's "interval" is the gap
  to its next fire). A success resets it.
* **Dead-man.** ``dead_at`` = the last beat that finished without failing (a skip counts: the
  scheduler is alive and deciding) + ``dead_after`` (default 3 x interval, at least 1 h). Each
  scheduler pass asks the store for threads past their ``dead_at`` (`TimeStore.dead_threads`),
  and sleeps no longer than the earliest one, so nothing is scanned.
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
    new = replace(old, updated_at=now)
    outcome = result.outcome
    if outcome == "interrupted":
        return new, None
    if outcome == "failed":
        new = replace(new, failed_streak=old.failed_streak + 1, last_failed_at=now)
        if health is None and dead_after is not None:  # first seen failing: the clock starts now
            new = replace(new, dead_at=now + dead_after)
        if not new.unhealthy and new.failed_streak >= FAILS_BEFORE_BACKOFF:
            return _open(new, now, FAILING), "thread.unhealthy"
        return new, None
    ran = outcome != "skipped"
    dead_at = None if dead_after is None else now + dead_after
    new = replace(new, dead_at=dead_at)
    if ran:
        new = replace(new, failed_streak=0, last_ok_at=now)
    if new.unhealthy and (ran or new.reason == SILENT):
        return replace(new, unhealthy_since=None, reason=None), "thread.recovered"
    return new, None


def declare_dead(health: ThreadHealth, now: datetime) -> ThreadHealth:
    """The health of a thread whose ``dead_at`` passed: a new ``silent`` episode. Pure."""
    return _open(replace(health, updated_at=now), now, SILENT)


def _open(health: ThreadHealth, now: datetime, reason: str) -> ThreadHealth:
    return replace(
        health, unhealthy_since=now, reason=reason, episode=health.episode + 1, alerted_at=None
    )


Publish = Callable[[str, Mapping[str, Any]], None]
TargetOf = Callable[[str], Awaitable[str]]


class HealthKeeper:
    """Keeps `ThreadHealth` rows as beats finish, runs the dead-man check, sends the alerts."""

    def __init__(
        self,
        store: TimeStore,
        publish: Publish,
        target_of: TargetOf,
        alerts: AlertSink | None = None,
    ) -> None:
        self._store, self._publish, self._target_of = store, publish, target_of
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
        if transition is not None:
            await self._transition(health, transition, now)

    async def check_dead(self, now: datetime) -> list[ThreadHealth]:
        """Open a ``silent`` episode for every thread past its ``dead_at``."""
        opened = []
        for health in await self._store.dead_threads(now):
            sick = declare_dead(health, now)
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
        target = await self._target_of(health.thread_id)
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
