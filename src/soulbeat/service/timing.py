"""`Timing`: what the edges may ask about time as people mean it (issue 16).

* `next_fires(config, zone, now)` — a cron config's next five fire times (`config show`, the
  API's config body and a thread's schedule route, the panel).
* `Timing.schedule(thread_id)` — a thread's cadence at a glance: ``every`` or ``cron`` with its
  zone, the next due time, the next five fires, its health and its pending reminders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.errors import ConfigError
from soulbeat.schedule.cron_slots import upcoming

__all__ = ["NEXT_FIRES", "next_fires"]

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
