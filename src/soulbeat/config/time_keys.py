"""Checks of the time keys of a heartbeat config (issue 16, SPEC §9.2), as pure functions.

* ``cron`` replaces ``every``: one layer setting both is refused (`check_one_cadence`); across
  layers the higher one wins and drops the other key (`soulbeat.config.layers.merge_layers`), so
  a thread may say ``cron = "0 9 * * MON-FRI"`` under a file-wide ``every = "30m"``.
* ``timezone`` — what cron is evaluated in: an IANA name, ``local`` or ``user`` (default: the
  service's ``user_timezone``).
* ``health_target`` — where the dead-man alert goes: ``none`` (default), ``thread`` or a channel
  under ``[channels]``.
* ``dead_after`` defaults to 3 x the interval, at least 1 h (`dead_after_of`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from soulbeat.config.problems import config_error
from soulbeat.config.values import NAME_PATTERN
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.contract.cron import next_fires
from soulbeat.contract.interval import parse_interval

if TYPE_CHECKING:
    from soulbeat.config.heartbeat import HeartbeatConfig

__all__ = [
    "DEAD_AFTER_FLOOR",
    "HEALTH_TARGET_KEYWORDS",
    "check_health_target",
    "check_one_cadence",
    "check_zone_name",
    "dead_after_of",
]

DEAD_AFTER_FLOOR = timedelta(hours=1)
HEALTH_TARGET_KEYWORDS = ("none", "thread")
_CRON_SAMPLE_FROM = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: gaps measured over two weeks


def check_one_cadence(data: object) -> object:
    """Refuse a mapping that sets both ``every`` and ``cron`` (SPEC §9.2)."""
    if isinstance(data, Mapping) and data.get("cron") is not None and data.get("every") is not None:
        raise config_error(
            "cron",
            data["cron"],
            f"is set together with every = {data['every']!r}",
            "one of them: every for an interval, cron for times of day; set the other to null",
        )
    return data


def check_zone_name(value: object) -> str:
    """An IANA name, ``local`` or ``user`` (lower-cased keywords), else the named error."""
    resolve_timezone(value, key="timezone")  # type: ignore[arg-type]
    text = str(value).strip()
    return text.lower() if text.lower() in ("local", "user") else text


def check_health_target(value: object) -> str:
    """``none``, ``thread`` or a channel name (whether the channel exists is doctor's check)."""
    if isinstance(value, str) and (
        value in HEALTH_TARGET_KEYWORDS or NAME_PATTERN.fullmatch(value)
    ):
        return value
    raise config_error(
        "health_target", value, "is not an alert target", "none, thread or a channel name"
    )


def dead_after_of(config: HeartbeatConfig) -> timedelta | None:
    """How long a thread may go without a finished beat before it is ``unhealthy``.

    ``dead_after`` when set; else 3 x the interval, at least `DEAD_AFTER_FLOOR`; for ``cron``,
    3 x the longest gap between its fires over two weeks (a weekday job's weekend counts), at
    least the floor. None when the thread does not beat on its own (interval disabled)."""
    if config.dead_after is not None:
        return parse_interval(config.dead_after, key="dead_after")
    if config.cron is not None:
        fires = next_fires(config.cron, _CRON_SAMPLE_FROM, UTC, count=64)
        fires = [f for f in fires if f <= _CRON_SAMPLE_FROM + timedelta(days=14)] or fires
        gaps = [b - a for a, b in itertools.pairwise(fires)]
        longest = max(gaps, default=timedelta(days=14))
        return max(3 * longest, DEAD_AFTER_FLOOR)
    interval = config.interval
    if interval is None:
        return None
    return max(3 * interval, DEAD_AFTER_FLOOR)
