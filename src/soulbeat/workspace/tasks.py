"""Cadence-tagged work in HEARTBEAT.md (SPEC §1.3): what a cadence is and when a task is due.

Cadence headings (case-insensitive; ``*``/``_``/backtick emphasis, parentheses, commas and a
trailing colon are ignored; ``at`` and ``on`` are optional filler words):

============================================  ==========================================
``Every <interval>``                          kind ``every``; SPEC §3.1 grammar (``2h``, ``90s``,
                                              ``1.5h``, a bare number = minutes)
``Every <n> <unit word>``                     the same, spelled out: ``Every 30 minutes``,
                                              ``Every 2 hours`` (sec/min/hour/day/week words)
``Hourly`` / ``Every hour``                   kind ``hourly`` (interval 1 h)
``Daily`` / ``Every day`` [``at``] [time]     kind ``daily``, optional time of day
``Weekly`` [``on``] [weekday] [``at``] [time] kind ``weekly``; ``Every Monday [09:00]`` too
``Continuous`` [``(every heartbeat)``]        kind ``continuous``; ``Every heartbeat`` too
``Cron <five fields>`` [label]                kind ``cron`` (issue 16): ``Cron 0 9 * * MON-FRI``
============================================  ==========================================

Times are ``HH:MM`` / ``H:MM`` (24 h) or ``9am`` / ``9:30 pm``. Weekdays are full names or
three-letter abbreviations (a plural ``Mondays`` is fine). Words after the cadence are a free
label (``Daily 09:00 inbox review``). A heading whose first word is a cadence keyword but whose
rest is not valid (``Every 1h30``, ``Daily 25:00``, ``Every 0m``) is *not* a cadence:
``parse_cadence`` answers ``None`` and ``check_cadence`` also says why, so that
``parse_heartbeat_md`` can report the problem instead of dropping the task silently.

``due_tasks`` is pure; its rules are in its docstring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from soulbeat.contract.cron import check_cron, previous_fire
from soulbeat.contract.interval import format_interval, parse_interval
from soulbeat.errors import InvalidCronError, InvalidIntervalError

__all__ = ["Cadence", "CadenceKind", "Task", "check_cadence", "due_tasks", "parse_cadence"]

CadenceKind = Literal["every", "hourly", "daily", "weekly", "continuous", "cron"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES = {name[:3]: i for i, name in enumerate(_WEEKDAYS)} | {
    "tues": 1, "thur": 3, "thurs": 3,
} | {name: i for i, name in enumerate(_WEEKDAYS)}  # fmt: skip
_UNIT_WORDS = {
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
}  # fmt: skip
_WEEK_WORDS = {"week", "weeks", "wk", "wks"}
_BEAT_WORDS = {"heartbeat", "heartbeats", "beat", "beats"}
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?(am|pm)?")
_IGNORED = re.compile(r"[*_`()\[\],]|:(?=\s|$)|\s[-–—]\s")


@dataclass(frozen=True)
class Cadence:
    """How often a task runs. ``interval`` is set for ``every`` and ``hourly`` (1 h)."""

    kind: CadenceKind
    interval: timedelta | None = None
    at: time | None = None
    """Time of day (local to the agent's timezone) for ``daily`` and ``weekly``."""
    weekday: int | None = None
    """0 = Monday … 6 = Sunday, for ``weekly``; ``None`` means the start of the week (Monday)."""
    expr: str | None = None
    """The five-field expression of a ``cron`` cadence (in the agent's timezone)."""

    def describe(self) -> str:
        """A short human phrase: ``every 2h``, ``daily at 09:00``, ``weekly on Monday``."""
        at = f" at {self.at:%H:%M}" if self.at is not None else ""
        if self.kind == "cron":
            return f"cron {self.expr}"
        if self.kind in ("every", "hourly"):
            return f"every {format_interval(self.interval)}"
        if self.kind == "weekly" and self.weekday is not None:
            return f"weekly on {_WEEKDAYS[self.weekday].title()}{at}"
        if self.kind == "continuous":
            return "every heartbeat"
        return f"{self.kind}{at}"


@dataclass(frozen=True)
class Task:
    """One piece of cadence-tagged work: ``name`` is stable and unique within its file."""

    name: str
    cadence: Cadence
    prompt: str


def parse_cadence(heading: str) -> Cadence | None:
    """The cadence a heading names, or ``None`` (not a cadence, or an invalid one)."""
    return check_cadence(heading)[0]


def check_cadence(heading: str) -> tuple[Cadence | None, str | None]:
    """``(cadence, None)``, ``(None, None)`` for an ordinary heading, or ``(None, problem)``."""
    raw = heading.strip().split()
    if raw and raw[0].lower().strip("*_`:") == "cron":
        return _cron(heading, raw[1:])
    tokens = _IGNORED.sub(" ", heading).lower().split()
    if not tokens or tokens[0] not in ("every", "hourly", "daily", "weekly", "continuous"):
        return None, None
    try:
        cadence, rest = _parse_tokens(tokens)
    except ValueError as exc:
        return None, f"{heading.strip()!r} looks like a cadence but {exc}"
    if rest and rest[0][:1].isdigit():
        return None, f"{heading.strip()!r} looks like a cadence but {rest[0]!r} is not understood"
    return cadence, None


def _cron(heading: str, fields: list[str]) -> tuple[Cadence | None, str | None]:
    """``Cron <minute> <hour> <day> <month> <weekday>`` and an optional label (issue 16)."""
    try:
        expr = check_cron(" ".join(fields[:5]), key="cron")
    except InvalidCronError as exc:
        return None, f"{heading.strip()!r} looks like a cadence but {exc}"
    return Cadence("cron", expr=expr), None


def _parse_tokens(tokens: list[str]) -> tuple[Cadence, list[str]]:
    """Read the cadence at the front of ``tokens``; return it and the unread label words."""
    keyword, rest = tokens[0], tokens[1:]
    if keyword == "every":
        if not rest:
            raise ValueError("'every' needs an interval (examples: Every 2h, Every 30 minutes)")
        keyword, rest = _after_every(rest)
        if keyword == "every":
            return _every(rest)
    if keyword == "hourly":
        return Cadence("hourly", timedelta(hours=1)), rest
    if keyword == "continuous":
        if rest[:1] == ["every"] and rest[1:2] and rest[1] in _BEAT_WORDS:
            rest = rest[2:]
        return Cadence("continuous"), rest
    weekday = None
    if keyword == "weekly":
        rest = _skip(rest, "on")
        weekday = _weekday(rest[0]) if rest else None
        rest = rest[1:] if weekday is not None else rest
    at, rest = _time_of_day(_skip(rest, "at"))
    return Cadence("weekly" if keyword == "weekly" else "daily", None, at, weekday), rest


def _after_every(rest: list[str]) -> tuple[str, list[str]]:
    """Map ``every hour/day/week/<weekday>/heartbeat`` onto the keyword forms."""
    word = rest[0]
    if word in _BEAT_WORDS:
        return "continuous", rest[1:]
    if word == "hour":
        return "hourly", rest[1:]
    if word == "day":
        return "daily", rest[1:]
    if word == "week":
        return "weekly", rest[1:]
    if _weekday(word) is not None:
        return "weekly", rest
    return "every", rest


def _every(rest: list[str]) -> tuple[Cadence, list[str]]:
    """``<interval>`` or ``<number> <unit word>`` → an ``every`` cadence."""
    spelled = len(rest) > 1 and re.fullmatch(r"[0-9.]+", rest[0]) is not None
    if spelled and rest[1] in _UNIT_WORDS:
        interval, used = _interval(rest[0] + _UNIT_WORDS[rest[1]]), 2
    elif spelled and rest[1] in _WEEK_WORDS:
        days, used = _interval(rest[0] + "d"), 2
        try:
            interval = days * 7 if days is not None else None
        except OverflowError:
            raise ValueError(f"{rest[0]} weeks is too long a duration") from None
    else:
        interval, used = _interval(rest[0]), 1
    if interval is None:
        raise ValueError(f"{' '.join(rest[:used])!r} is zero, which would never run")
    return Cadence("every", interval), rest[used:]


def _interval(text: str) -> timedelta | None:
    try:
        return parse_interval(text, key="every")
    except InvalidIntervalError:
        raise ValueError(f"{text!r} is not an interval (examples: 2h, 30m, 90s)") from None


def _skip(tokens: list[str], word: str) -> list[str]:
    return tokens[1:] if tokens[:1] == [word] else tokens


def _weekday(word: str) -> int | None:
    if word in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[word]
    if word.endswith("s") and word[:-1] in _WEEKDAYS:
        return _WEEKDAYS.index(word[:-1])
    return None


def _time_of_day(tokens: list[str]) -> tuple[time | None, list[str]]:
    """An optional time at the front of ``tokens`` (``09:00``, ``9am``, ``9:30 pm``)."""
    if not tokens or not tokens[0][:1].isdigit():
        return None, tokens
    text, used = tokens[0], 1
    if len(tokens) > 1 and tokens[1] in ("am", "pm") and not text.endswith(("am", "pm")):
        text, used = text + tokens[1], 2
    match = _TIME.fullmatch(text)
    if match is None or (match.group(2) is None and match.group(3) is None):
        raise ValueError(f"{tokens[0]!r} is not a time of day (examples: 09:00, 9am)")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half is not None:
        if not 1 <= hour <= 12:
            raise ValueError(f"{text!r} is not a time of day (12-hour clock goes 1 to 12)")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00 to 23:59)")
    return time(hour, minute), tokens[used:]


def due_tasks(
    tasks: Sequence[Task], now: datetime, last_run: Mapping[str, datetime], tz: tzinfo
) -> list[Task]:
    """The tasks due at ``now``, in their given order. Pure.

    ``last_run`` maps task names to when each last *completed*; ``tz`` is the agent's zone (a
    ``zoneinfo``-style tzinfo) in which days and weeks are counted. Rules:

    * ``every`` / ``hourly``: due when never run, or when ``now - last >= interval``.
    * ``continuous``: always due.
    * ``cron``: due once the expression's latest fire time (in ``tz``) is at or before ``now``
      and the task has not run since (so a missed fire runs once at the next beat).
    * ``daily`` without a time: due when not run yet on the current local date (since local
      midnight). With a time: due once local time has reached it today and it has not run since
      today's occurrence; before that time it is not due, even if yesterday's run was missed.
    * ``weekly``: the same, for the given weekday's time (00:00 when none) in the current
      Monday-to-Sunday local week; without a weekday, the week's start (Monday 00:00).

    A wall-clock time that does not exist on a DST spring-forward day is taken with the offset
    in force before the gap (``02:30`` in Berlin on 2026-03-29 is 03:30 CEST); a time that occurs
    twice on a fall-back day is its first occurrence, so the task runs once, not twice.
    Raises ``ValueError`` for naive datetimes, which would make "today" ambiguous.
    """
    # Python subtracts two datetimes of the same zone by wall clock (ignoring DST folds), so
    # everything is moved to UTC before any arithmetic.
    now = _utc(now, "now")
    return [task for task in tasks if _is_due(task.cadence, now, last_run.get(task.name), tz)]


def _is_due(cadence: Cadence, now: datetime, last: datetime | None, tz: tzinfo) -> bool:
    if last is not None:
        last = _utc(last, "last_run")
    if cadence.kind == "continuous":
        return True
    if cadence.kind == "cron":  # due once its latest fire time passed and it has not run since
        fired = previous_fire(cadence.expr or "", now, tz)
        return fired is not None and (last is None or last < fired)
    if cadence.kind in ("every", "hourly"):
        interval = cadence.interval or timedelta(hours=1)
        return last is None or now - last >= interval
    boundary = _current_boundary(cadence, now, tz)
    return now >= boundary and (last is None or last < boundary)


def _current_boundary(cadence: Cadence, now: datetime, tz: tzinfo) -> datetime:
    """Today's (daily) or this week's (weekly) occurrence of the cadence, as a UTC instant."""
    today = now.astimezone(tz).date()
    day = today
    if cadence.kind == "weekly":
        day = today - timedelta(days=today.weekday()) + timedelta(days=cadence.weekday or 0)
    return _instant(day, cadence.at or time(0), tz)


def _instant(day: date, at: time, tz: tzinfo) -> datetime:
    # fold=0 (the default) picks the pre-transition offset: a gap time lands just after the gap,
    # a repeated time is its first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)
