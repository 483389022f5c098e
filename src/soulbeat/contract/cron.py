"""Cron expressions (SPEC §9.2), pure: checking one, and its fire times in a timezone.

A cron expression has five fields — minute, hour, day of month, month, day of week — with the
usual ``*``, lists, ranges and steps, and names for months and weekdays (``0 9 * * MON-FRI``).
The parsing and the walk over the calendar are `cronsim`'s (chosen over `croniter`: it is small,
has no dependencies, walks wall-clock time in a zoneinfo zone with Debian cron's DST rules, and
its maintainer tests it against those rules; croniter is larger and its DST handling has had
long-standing open bugs). This module adds the contract soulbeat promises around it:

* ``check_cron(text)`` trims the text and folds runs of spaces, refuses anything that is not five
  fields (six-field "seconds" cron and ``@daily``-style nicknames included) with an
  `InvalidCronError` naming the key, the value and the expected form, and returns the text.
* ``next_fires(expr, after, zone, count)`` — the first ``count`` fire times strictly after
  ``after``, as aware UTC instants, evaluated on the wall clock of ``zone``:

  - **spring forward** (a local time that does not exist, ``30 2 * * *`` on the day Berlin jumps
    from 02:00 to 03:00): the beat fires **once, at the first existing minute after the gap**
    (03:00 local). It is not skipped: a daily job that silently does not run once a year is the
    worse surprise.
  - **fall back** (a local time that happens twice, ``30 2 * * *`` on the day Berlin goes from
    03:00 back to 02:00): fires **once, at the first occurrence** (02:30 CEST, not 02:30 CET).
    Expressions with a wildcard hour (``*/30 * * * *``) are about elapsed time, not a time of
    day: they keep firing through both passes of the repeated hour, as cron does.

* ``previous_fire(expr, at, zone)`` — the last fire time at or before ``at`` (a HEARTBEAT.md
  ``Cron`` task is due once that instant passes and it has not run since).
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import islice

from cronsim import CronSim, CronSimError

from soulbeat.errors import InvalidCronError

__all__ = ["EXPECTED_CRON", "check_cron", "next_fires", "previous_fire"]

EXPECTED_CRON = "five fields: minute hour day-of-month month day-of-week, such as 0 9 * * MON-FRI"
_FIELDS = ("minute", "hour", "day of month", "month", "day of week")


def check_cron(text: object, *, key: str = "cron") -> str:
    """The expression, trimmed and with single spaces; raises `InvalidCronError` when it is not a
    valid five-field cron expression (the message says which field is wrong when it can)."""
    if not isinstance(text, str):
        raise _error(key, text, "is not a cron expression")
    fields = text.split()
    if len(fields) != 5:
        what = "is not a cron expression" if fields else "is empty"
        if len(fields) == 1 and fields[0].startswith("@"):
            what = "is a cron nickname, which soulbeat does not read"
        elif fields:
            what = f"has {len(fields)} field{'s' if len(fields) != 1 else ''}, not 5"
        raise _error(key, text, what)
    normal = " ".join(fields)
    try:
        _compiled(normal)
    except CronSimError as exc:
        raise _error(key, text, f"is not a cron expression ({_field_problem(exc)})") from None
    return normal


def next_fires(expr: str, after: datetime, zone: tzinfo, count: int = 1) -> list[datetime]:
    """The first ``count`` fire times strictly after ``after`` (aware), as UTC instants.

    Raises `InvalidCronError` for an invalid expression, ValueError for a naive ``after``.
    Returns fewer than ``count`` only for expressions that never fire (``0 0 30 2 *``).
    """
    start = _local(after, zone)
    found: list[datetime] = []
    for fire in islice(CronSim(check_cron(expr), start), count):
        moment = fire.astimezone(UTC)
        if moment <= after:  # a repeated hour can hand back an instant not after ``after``
            continue
        found.append(moment)
    return found


def previous_fire(expr: str, at: datetime, zone: tzinfo) -> datetime | None:
    """The latest fire time at or before ``at``, as a UTC instant (None when there is none)."""
    later = at + timedelta(microseconds=1)
    start = _local(later, zone)
    for fire in CronSim(check_cron(expr), start, reverse=True):
        moment = fire.astimezone(UTC)
        if moment <= at:
            return moment
    return None  # pragma: no cover - cronsim raises for expressions that never match


def _local(moment: datetime, zone: tzinfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"cron times need an aware datetime, got {moment!r}")
    # cronsim walks whole minutes of the wall clock from a local start (it drops the seconds);
    # it never returns the start itself, so the first fire is strictly after it.
    return moment.astimezone(zone)


@functools.lru_cache(maxsize=1024)
def _compiled(expr: str) -> None:
    CronSim(expr, datetime(2000, 1, 1, tzinfo=UTC))


def _field_problem(exc: CronSimError) -> str:
    message = str(exc).strip() or "a field is out of range"
    return message[0].lower() + message[1:]


def _error(key: str, value: object, what: str) -> InvalidCronError:
    shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
    return InvalidCronError(
        f"{key}: {shown} {what} (expected {EXPECTED_CRON})",
        key=key,
        value=value,
        expected=EXPECTED_CRON,
    )
