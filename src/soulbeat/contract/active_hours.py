"""Active hours (SPEC §3.2): the daily window in which a thread may beat.

* Bounds are ``HH:MM``, 24-hour, with a leading zero. ``start`` is inclusive, ``end`` exclusive;
  ``24:00`` is allowed only as ``end`` and means the end of the day.
* ``start < end`` is a same-day window, ``start > end`` an overnight one (``22:00``–``06:00``),
  ``start == end`` is never active and ``00:00``–``24:00`` always; no window at all is always.
* ``timezone`` is an IANA name, ``local`` (the host's zone) or ``user`` (the agent's configured
  user timezone, else the host's). The window is evaluated on the wall clock of that zone, so a
  09:00–17:00 window follows DST changes.

Config validation (``validate_active_hours``, ``parse_hhmm``, ``resolve_timezone``) raises the
matching ``ConfigError``. The runtime check (``is_within_active_hours``) never raises for a bad
window: an invalid bound or zone means always-active, because validation refused it earlier and a
thread that beats too often is easier to notice than one that silently never beats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal

from soulbeat.contract.interval import quote_value
from soulbeat.errors import ConfigError, InvalidActiveHoursError, InvalidTimezoneError

__all__ = [
    "ActiveHours",
    "is_within_active_hours",
    "parse_hhmm",
    "resolve_timezone",
    "validate_active_hours",
]

MINUTES_PER_DAY = 24 * 60
EXPECTED_HHMM = "HH:MM, 24-hour with a leading zero (e.g. 09:00)"
EXPECTED_END = "HH:MM, 24-hour with a leading zero (e.g. 09:00), or 24:00 for the end of the day"
EXPECTED_TIMEZONE = "an IANA timezone name (e.g. Europe/Berlin), `local` or `user`"

_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")


@dataclass(frozen=True)
class ActiveHours:
    """A daily window: ``start`` inclusive, ``end`` exclusive, both ``HH:MM`` in ``timezone``."""

    start: str
    end: str
    timezone: str = "user"


def parse_hhmm(text: str, *, allow_24: bool = False, key: str = "active_hours.start") -> int:
    """Minutes since midnight of an ``HH:MM`` bound; ``24:00`` (1440) only with ``allow_24``."""
    expected = EXPECTED_END if allow_24 else EXPECTED_HHMM
    match = _HHMM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise _bad_bound(key, text, "is not a time", expected)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if (hours, minutes) == (24, 0):
        if allow_24:
            return MINUTES_PER_DAY
        raise _bad_bound(key, text, "is allowed only as the end of a window", expected)
    if hours > 23 or minutes > 59:
        raise _bad_bound(key, text, "is not a time of day", expected)
    return hours * 60 + minutes


def resolve_timezone(
    name: str, user_timezone: str | None = None, *, key: str = "active_hours.timezone"
) -> tzinfo:
    """The zone an active-hours window is evaluated in.

    ``local`` is the host's zone, ``user`` is ``user_timezone`` when given (itself an IANA name or
    ``local``) else the host's; anything else must be an IANA name. Unknown names raise
    ``InvalidTimezoneError``: falling back to UTC would shift the window without anyone noticing.
    """
    if not isinstance(name, str):
        raise _bad_zone(key, name)
    keyword = name.strip().lower()
    if keyword == "local":
        return tzlocal.get_localzone()
    if keyword == "user":
        return _user_zone(user_timezone)
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: empty, absolute or `..` keys; OSError: a key naming a directory or junk.
        raise _bad_zone(key, name) from None


def validate_active_hours(ah: ActiveHours, *, key: str = "active_hours") -> None:
    """Raise the matching ``ConfigError`` when a bound or the zone is invalid."""
    parse_hhmm(ah.start, key=f"{key}.start")
    parse_hhmm(ah.end, allow_24=True, key=f"{key}.end")
    resolve_timezone(ah.timezone, key=f"{key}.timezone")


def is_within_active_hours(
    active_hours: ActiveHours | None, now: datetime, user_timezone: str | None = "UTC"
) -> bool:
    """Whether ``now`` (an aware datetime) falls inside the window; ``None`` means always.

    Never raises for a bad window or zone (that is treated as always-active); a naive ``now`` is a
    programming error and raises ``ValueError``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"is_within_active_hours needs an aware datetime, got naive {now!r}")
    if active_hours is None:
        return True
    try:
        start = parse_hhmm(active_hours.start, key="active_hours.start")
        end = parse_hhmm(active_hours.end, allow_24=True, key="active_hours.end")
        zone = resolve_timezone(active_hours.timezone, user_timezone)
    except ConfigError:
        return True
    try:
        local = now.astimezone(zone)
    except OverflowError:
        # Only at the very ends of the datetime range; same answer as for a window we cannot read.
        return True
    # Bounds are whole minutes, so the minute of the wall clock decides exactly.
    return _minute_in_window(local.hour * 60 + local.minute, start, end)


def _user_zone(user_timezone: str | None) -> tzinfo:
    if user_timezone is None or (isinstance(user_timezone, str) and not user_timezone.strip()):
        return tzlocal.get_localzone()
    if isinstance(user_timezone, str) and user_timezone.strip().lower() == "user":
        # `user` pointing at `user` would be a loop, not a zone.
        raise _bad_zone("user_timezone", user_timezone)
    return resolve_timezone(user_timezone, key="user_timezone")


def _minute_in_window(minute: int, start: int, end: int) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _bad_bound(key: str, value: object, problem: str, expected: str) -> InvalidActiveHoursError:
    return InvalidActiveHoursError(
        f"{key}: {quote_value(value)} {problem} (expected {expected})",
        key=key,
        value=value,
        expected=expected,
    )


def _bad_zone(key: str, value: object) -> InvalidTimezoneError:
    return InvalidTimezoneError(
        f"{key}: {quote_value(value)} is not a known timezone (expected {EXPECTED_TIMEZONE})",
        key=key,
        value=value,
        expected=EXPECTED_TIMEZONE,
    )
