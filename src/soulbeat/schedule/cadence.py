"""Cadence, pure: a schedule's phase, its next slot, and seeking a slot into active hours.

A schedule beats on a grid: ``slot = epoch + phase + k * interval`` (epoch = 1970-01-01 UTC).

* ``phase_offset`` spreads schedules over the interval: ``sha256(f"{seed}:{id}")`` as an integer,
  modulo the interval in whole microseconds. ``id`` is the thread id for a thread's own heartbeat
  and ``thread_id/skill`` for a skill schedule (the same spelling as the beat key), so each skill
  of a thread gets its own phase. The same seed, id and interval always give the same phase.
* ``next_slot`` is the first slot strictly after ``now`` (at exactly a slot, the next one).
* ``seek_active_slot`` moves a slot that falls outside the active hours forward, on the slot grid,
  to the first slot inside the window, looking at most seven days ahead; when no slot inside is
  found on the grid, the slot moves off the grid into the next opening of the window (below);
  only a window that never opens keeps the raw slot (the quiet-hours guard then records the
  skip). The step is the interval, or its smallest multiple of at least 60 s, so a slot found on
  the grid is always a whole number of intervals after the raw one.
* Off-grid fallback: a daily beat with a one-hour window (seed 000's 09:00–10:00 summary bot)
  would meet its window only if its phase happened to fall inside it — about one thread in 24 —
  and a DST change can move a grid that did meet it out again. Then the slot becomes the next
  window opening plus a stable offset inside the window (the phase within the interval, modulo
  the window's length), so the schedule still beats once per opening, spread like the phases.

Seeking never walks slot by slot. The window can only become active at an instant where the wall
clock reads its start (either side of a DST fold) or where a DST transition jumps the wall clock
into it; the first slot inside is therefore the first grid slot at or after one of those
"openings". ``seek_active_slot`` lists the openings of the next days, rounds each up to the grid
and checks it with ``is_within_active_hours``: a handful of checks whatever the interval.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from soulbeat.clock import to_utc
from soulbeat.contract.active_hours import (
    ActiveHours,
    is_within_active_hours,
    parse_hhmm,
    resolve_timezone,
)
from soulbeat.errors import ConfigError
from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.records import MAIN

__all__ = [
    "EPOCH",
    "SEEK_HORIZON",
    "effective_interval",
    "next_slot",
    "phase_offset",
    "plan_fingerprint",
    "schedule_id",
    "seek_active_slot",
    "seek_step",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SEEK_HORIZON = timedelta(days=7)
MIN_SEEK_STEP = timedelta(seconds=60)
_ONE_US = timedelta(microseconds=1)
_SAMPLE = timedelta(hours=6)
"""Spacing of the offset samples that find DST transitions (zones change at most once in it)."""


def _micros(delta: timedelta) -> int:
    return delta // _ONE_US


def schedule_id(thread_id: str, skill: str = MAIN) -> str:
    """The id a phase is hashed from: ``thread_id``, or ``thread_id/skill`` for a skill."""
    return thread_id if skill == MAIN else f"{thread_id}/{skill}"


def phase_offset(
    install_seed: str, thread_id: str, interval: timedelta, skill: str = MAIN
) -> timedelta:
    """The stable offset of a schedule on its interval, in [0, interval), whole microseconds."""
    length = _micros(interval)
    if length <= 0:
        raise ValueError(f"a phase needs a positive interval, got {interval}")
    digest = hashlib.sha256(f"{install_seed}:{schedule_id(thread_id, skill)}".encode()).digest()
    return timedelta(microseconds=int.from_bytes(digest) % length)  # = int(hexdigest, 16)


def next_slot(now: datetime, interval: timedelta, phase: timedelta) -> datetime:
    """The first slot strictly after ``now`` on the grid ``epoch + phase + k * interval``."""
    length = _micros(interval)
    if length <= 0:
        raise ValueError(f"slots need a positive interval, got {interval}")
    origin = EPOCH + phase
    elapsed = _micros(to_utc(now) - origin)
    return origin + timedelta(microseconds=(elapsed // length + 1) * length)


def seek_step(interval: timedelta) -> timedelta:
    """The seeking step: the interval's smallest multiple that is at least 60 s."""
    length = _micros(interval)
    if length <= 0:
        raise ValueError(f"seeking needs a positive interval, got {interval}")
    return interval * -(-_micros(MIN_SEEK_STEP) // length)


def seek_active_slot(
    raw_slot: datetime,
    interval: timedelta,
    active_hours: ActiveHours | None,
    user_timezone: str | None = "UTC",
) -> datetime:
    """The first slot at or after ``raw_slot`` inside the window (7-day horizon), else ``raw_slot``.

    Slots tried are ``raw_slot + k * seek_step(interval)``. A window that cannot be read is
    treated as always active, as ``is_within_active_hours`` does.
    """
    raw = to_utc(raw_slot)
    if is_within_active_hours(active_hours, raw, user_timezone):
        return raw
    assert active_hours is not None  # None is always inside
    try:
        start = parse_hhmm(active_hours.start)
        zone = resolve_timezone(active_hours.timezone, user_timezone)
    except ConfigError:
        return raw
    step = _micros(seek_step(interval))
    horizon = raw + SEEK_HORIZON
    openings = sorted(_openings(raw, horizon, start, zone))
    for opening in openings:
        slot = raw + timedelta(microseconds=-(-_micros(opening - raw) // step) * step)
        if slot > horizon:
            break
        if is_within_active_hours(active_hours, slot, user_timezone):
            return slot
    return _off_grid_slot(raw, interval, active_hours, user_timezone, openings)


def _off_grid_slot(
    raw: datetime,
    interval: timedelta,
    active_hours: ActiveHours,
    user_timezone: str | None,
    openings: list[datetime],
) -> datetime:
    """The next opening plus the schedule's stable offset inside the window (module docstring);
    ``raw`` when the window never opens."""
    try:
        length = (parse_hhmm(active_hours.end, allow_24=True) - parse_hhmm(active_hours.start)) % (
            24 * 60
        )
    except ConfigError:
        return raw
    if length == 0:
        return raw
    phase = _micros(raw - EPOCH) % _micros(interval)
    offset = timedelta(microseconds=phase % _micros(timedelta(minutes=length)))
    for opening in openings:
        for candidate in (opening + offset, opening):
            if candidate > raw and is_within_active_hours(active_hours, candidate, user_timezone):
                return candidate
    return raw


def _openings(after: datetime, until: datetime, start: int, zone: tzinfo) -> Iterator[datetime]:
    """Every instant in (after, until] at which a window starting at ``start`` may turn active."""
    for moment in (
        *_wall_clock_starts(after, until, start, zone),
        *_transitions(after, until, zone),
    ):
        if after < moment <= until:
            yield moment


def _wall_clock_starts(after: datetime, until: datetime, start: int, zone: tzinfo) -> set[datetime]:
    """The instants whose wall clock in ``zone`` reads ``start`` (both folds), a day either side."""
    first: date = after.astimezone(zone).date() - timedelta(days=1)
    days = (until - after).days + 3
    wall = time(start // 60, start % 60)
    moments: set[datetime] = set()
    for offset in range(days):
        day = first + timedelta(days=offset)
        for fold in (0, 1):
            moments.add(datetime.combine(day, wall, zone).replace(fold=fold).astimezone(UTC))
    return moments


def _transitions(after: datetime, until: datetime, zone: tzinfo) -> list[datetime]:
    """The instants in (after, until] at which the zone's offset changes (DST), to the second."""
    found: list[datetime] = []
    left = after
    while left < until:
        right = min(left + _SAMPLE, until)
        if right.astimezone(zone).utcoffset() != left.astimezone(zone).utcoffset():
            found.append(_first_with_offset_of(left, right, zone))
        left = right
    return found


def _first_with_offset_of(left: datetime, right: datetime, zone: tzinfo) -> datetime:
    """Bisect (whole seconds) for the first instant in (left, right] with ``right``'s offset."""
    target = right.astimezone(zone).utcoffset()
    low, high = 0, int((right - left).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (left + timedelta(seconds=middle)).astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return left + timedelta(seconds=high)


def effective_interval(plan: BeatPlan) -> timedelta | None:
    """The plan's interval, or None when the schedule does not beat on its own (disabled)."""
    if not plan.enabled or plan.interval is None or plan.interval <= timedelta(0):
        return None
    return plan.interval


def plan_fingerprint(plan: BeatPlan) -> str:
    """Identifies what a slot was computed from: interval (None when disabled), window and zone,
    and the cron expression with its zone for a cron plan."""
    interval = effective_interval(plan)
    window = plan.active_hours
    cron = None if plan.cron is None or not plan.enabled else (plan.cron, plan.cron_timezone)
    return _fingerprint(
        None if interval is None else _micros(interval),
        None if window is None else (window.start, window.end, window.timezone),
        plan.user_timezone,
        cron,
    )


@functools.lru_cache(maxsize=4096)
def _fingerprint(
    interval_us: int | None,
    window: tuple[str, str, str] | None,
    user_timezone: str,
    cron: tuple[str, str] | None = None,
) -> str:
    facts: dict[str, object] = {
        "interval_us": interval_us,
        "active_hours": None if window is None else list(window),
        "user_timezone": user_timezone,
    }
    if cron is not None:  # issue 16; absent for interval plans, so their fingerprints stay put
        facts["cron"] = list(cron)
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]
