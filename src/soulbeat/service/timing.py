"""`Timing`: what the edges may ask about time as people mean it (issue 16).

* `next_fires(config, zone, now)` — a cron config's next five fire times (`config show`, the
  API's config body and a thread's schedule route, the panel).
* `Timing.schedule(thread_id)` — a thread's cadence at a glance: ``every`` or ``cron`` with its
  zone, the next due time, the next five fires, its health and its pending reminders.
* `Timing.add_reminder` / `reminders` / `cancel_reminder` — one-shot reminders, from a person
  (CLI, API, panel) or from the model in a beat (`heartbeat_remind`: at least
  ``reminder_min_delay`` ahead); at most ``max_pending_reminders`` pending per thread.
* `Timing.health` / `all_health` — the health rows as the edges show them (``state`` is
  ``healthy``, ``failing`` — a failure streak below the episode threshold — or ``unhealthy``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from soulbeat.agents.registry import AgentRegistry
from soulbeat.clock import Clock
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.config.problems import config_error
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.contract.interval import parse_interval
from soulbeat.errors import ConfigError, NotFoundError
from soulbeat.schedule.cron_slots import upcoming
from soulbeat.store.base import Store
from soulbeat.store.records import MAIN
from soulbeat.store.records_time import NewReminder, Reminder, ReminderAuthor, ThreadHealth

__all__ = [
    "NEXT_FIRES",
    "ReminderRequest",
    "Timing",
    "health_view",
    "next_fires",
    "reminder_view",
]

NEXT_FIRES = 5


def next_fires(
    config: HeartbeatConfig, user_timezone: str | None, now: datetime, count: int = NEXT_FIRES
) -> list[datetime]:
    """The next ``count`` fire times of ``config.cron`` after ``now`` (empty without cron)."""
    if config.cron is None:
        return []
    try:
        zone = resolve_timezone(config.timezone, user_timezone, key="timezone")
    except ConfigError:
        return []
    return upcoming(config.cron, now, zone, count)


def fires_view(fires: list[datetime]) -> list[str]:
    return [fire.isoformat() for fire in fires]


def cadence_view(
    config: HeartbeatConfig, user_timezone: str | None, now: datetime
) -> dict[str, Any]:
    """``every`` or ``cron`` (with the zone it is read in) and the next fires."""
    return {
        "every": None if config.cron is not None else config.every,
        "cron": config.cron,
        "timezone": config.timezone,
        "next_fires": fires_view(next_fires(config, user_timezone, now)),
    }


MAX_REMINDER_TEXT = 2000
REMINDER_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class ReminderRequest:
    """What a person (CLI, API, panel) or the model (`heartbeat_remind`) asks for: ``text`` and
    exactly one of ``at`` (ISO 8601; without an offset it is read in the thread's timezone)
    and ``after`` (an interval such as ``2h``)."""

    text: str
    at: str | None = None
    after: str | None = None
    urgent: bool = False


def reminder_view(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "thread_id": reminder.thread_id,
        "text": reminder.text,
        "due_at": reminder.due_at.isoformat(),
        "urgent": reminder.urgent,
        "created_by": reminder.created_by,
        "created_at": reminder.created_at.isoformat(),
        "status": reminder.status,
        "reason": reminder.reason,
        "beat_key": reminder.beat_key,
        "settled_at": None if reminder.settled_at is None else reminder.settled_at.isoformat(),
    }


def health_view(health: ThreadHealth | None, thread_id: str) -> dict[str, Any]:
    """``state``: ``healthy``, ``backing-off`` (a streak, no episode) or ``unhealthy``."""
    if health is None:
        return {"thread_id": thread_id, "state": "healthy", "failed_streak": 0}
    state = "unhealthy" if health.unhealthy else "healthy"
    if not health.unhealthy and health.failed_streak > 0:
        state = "failing"
    return {
        "thread_id": thread_id,
        "state": state,
        "failed_streak": health.failed_streak,
        "reason": health.reason,
        "unhealthy_since": _iso(health.unhealthy_since),
        "last_ok_at": _iso(health.last_ok_at),
        "last_failed_at": _iso(health.last_failed_at),
        "dead_at": _iso(health.dead_at),
        "episode": health.episode,
        "alerted_at": _iso(health.alerted_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class Timing:
    """Reminders, schedules and health for the edges (module docstring)."""

    def __init__(
        self, store: Store, registry: AgentRegistry, clock: Clock, replan: Callable[[], None]
    ) -> None:
        self._store, self._registry, self._clock, self._replan = store, registry, clock, replan

    async def add_reminder(
        self, thread_id: str, request: ReminderRequest, *, by: ReminderAuthor = "person"
    ) -> Reminder:
        """Store a reminder; refused (ConfigError naming the key) when the text or time is wrong,
        too soon for the model (``reminder_min_delay``) or over ``max_pending_reminders``."""
        thread = await self._store.get_thread(thread_id)
        config = self._registry.effective(thread).config
        now = self._clock.now()
        text = _reminder_text(request.text)
        due = self._due_at(request, config, self._registry.user_timezone(thread.agent_id), now)
        shortest = config.min_reminder_delay if by == "model" else timedelta(0)
        if due - now < shortest:
            raise config_error(
                "in" if request.after is not None else "at",
                request.after or request.at,
                f"is sooner than reminder_min_delay = {config.reminder_min_delay}",
                f"a time at least {config.reminder_min_delay} from now",
            )
        new = NewReminder(thread.id, text, due, now, urgent=request.urgent, created_by=by)
        stored = await self._store.add_reminder(new, max_pending=config.max_pending_reminders)
        if stored is None:
            cap = config.max_pending_reminders
            raise ConfigError(
                f"max_pending_reminders: thread {thread.id!r} already has {cap} pending "
                f"reminder{'s' if cap != 1 else ''} (expected fewer; cancel one, or raise "
                "max_pending_reminders)",
                key="max_pending_reminders",
                value=cap,
                expected="fewer pending reminders",
            )
        self._replan()  # the scheduler may be asleep past the new reminder's time
        return stored

    def _due_at(
        self, request: ReminderRequest, config: HeartbeatConfig, user_tz: str, now: datetime
    ) -> datetime:
        if (request.at is None) == (request.after is None):
            raise ConfigError(
                "at/in: give exactly one of them (expected at = an ISO time such as "
                "2026-12-08T08:00, or in = an interval such as 2h)",
                key="at",
                value=None,
                expected="exactly one of at and in",
            )
        if request.after is not None:
            delta = parse_interval(request.after, key="in")
            if delta is None:
                raise config_error("in", request.after, "is not a positive duration", "such as 2h")
            due = now + delta
        else:
            due = _parse_at(request.at or "", config, user_tz)
        if due <= now:
            raise config_error("at", request.at, "is not in the future", "a time after now")
        if due - now > REMINDER_HORIZON:
            raise config_error(
                "at", request.at or request.after, "is too far ahead", "within a year"
            )
        return due

    async def model_reminder(
        self, thread_id: str, text: str, at: str | None, after: str | None
    ) -> dict[str, Any]:
        """`add_reminder` for the model's ``heartbeat_remind`` call (`ScheduleReminder`)."""
        request = ReminderRequest(text, at=at, after=after)
        return reminder_view(await self.add_reminder(thread_id, request, by="model"))

    async def reminders(self, thread_id: str, *, status: str | None = None) -> list[Reminder]:
        await self._store.get_thread(thread_id)  # 404 for an unknown thread
        if status is not None and status not in ("pending", "done", "cancelled"):
            raise config_error(
                "status", status, "is not a reminder status", "pending, done or cancelled"
            )
        return await self._store.list_reminders(thread_id, status=status)  # type: ignore[arg-type]

    async def cancel_reminder(self, thread_id: str, reminder_id: int) -> Reminder:
        found = await self._store.get_reminder(reminder_id)
        if found.thread_id != thread_id:
            raise NotFoundError(f"thread {thread_id!r} has no reminder {reminder_id}")
        cancelled = await self._store.cancel_reminder(reminder_id, self._clock.now())
        self._replan()  # the scheduler may be waiting for this one
        return cancelled

    async def health(self, thread_id: str) -> dict[str, Any]:
        await self._store.get_thread(thread_id)
        return health_view(await self._store.get_health(thread_id), thread_id)

    async def all_health(self) -> list[dict[str, Any]]:
        return [health_view(h, h.thread_id) for h in await self._store.list_health()]

    async def unhealthy(self) -> list[dict[str, Any]]:
        """The unhealthy threads' health, read through their own index (the status asks)."""
        return [health_view(h, h.thread_id) for h in await self._store.unhealthy_health()]

    async def schedule(self, thread_id: str) -> dict[str, Any]:
        """The thread's cadence, next due time, next fires, health and pending reminders."""
        thread = await self._store.get_thread(thread_id)
        config = self._registry.effective(thread).config
        now = self._clock.now()
        main = await self._store.get_schedule(thread.id, MAIN)
        pending = await self._store.list_reminders(thread.id, status="pending")
        return {
            "thread_id": thread.id,
            **cadence_view(config, self._registry.user_timezone(thread.agent_id), now),
            "next_due_at": None if main is None else _iso(main.next_due_at),
            "quiet_after_message": config.quiet_after_message,
            "health": health_view(await self._store.get_health(thread.id), thread.id),
            "reminders": [reminder_view(r) for r in pending],
        }


def _reminder_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise config_error("text", text, "is empty", "what to be reminded of")
    if len(text) > MAX_REMINDER_TEXT:
        raise config_error("text", text, "is too long", f"at most {MAX_REMINDER_TEXT} characters")
    return text.strip()


def _parse_at(text: str, config: HeartbeatConfig, user_tz: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise config_error(
            "at",
            text,
            "is not a time",
            "ISO 8601 such as 2026-12-08T08:00 or 2026-12-08T08:00+01:00",
        ) from None
    if moment.tzinfo is None:  # a wall-clock time in the thread's zone
        zone = resolve_timezone(config.timezone, user_tz, key="timezone")
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
