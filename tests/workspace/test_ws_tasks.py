"""Cadence headings and `due_tasks`, including DST days in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from soulbeat.workspace.tasks import Cadence, Task, check_cadence, due_tasks, parse_cadence

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("heading", "cadence"),
    [
        ("Every 2h", Cadence("every", 2 * H)),
        ("every 2h30m", Cadence("every", timedelta(hours=2, minutes=30))),
        ("Every 90s", Cadence("every", timedelta(seconds=90))),
        ("Every 1.5h", Cadence("every", timedelta(minutes=90))),
        ("Every 45", Cadence("every", timedelta(minutes=45))),
        ("Every 30 minutes", Cadence("every", timedelta(minutes=30))),
        ("Every 2 hours", Cadence("every", 2 * H)),
        ("Every 1 hr", Cadence("every", H)),
        ("Every 3 days", Cadence("every", timedelta(days=3))),
        ("Every 2 weeks", Cadence("every", timedelta(days=14))),
        ("**Every 2h**", Cadence("every", 2 * H)),
        ("Every 2h (check CI)", Cadence("every", 2 * H)),
        ("Every 2h: check CI", Cadence("every", 2 * H)),
        ("Hourly", Cadence("hourly", H)),
        ("Every hour", Cadence("hourly", H)),
        ("Daily", Cadence("daily")),
        ("Every day", Cadence("daily")),
        ("Daily 09:00", Cadence("daily", at=time(9))),
        ("Daily at 09:00", Cadence("daily", at=time(9))),
        ("Daily 9:05", Cadence("daily", at=time(9, 5))),
        ("Daily (09:00)", Cadence("daily", at=time(9))),
        ("Daily at 9am", Cadence("daily", at=time(9))),
        ("Daily 9:30 pm", Cadence("daily", at=time(21, 30))),
        ("Daily 12am", Cadence("daily", at=time(0))),
        ("Daily: inbox review", Cadence("daily")),
        ("Daily standup notes", Cadence("daily")),
        ("Weekly", Cadence("weekly")),
        ("Weekly (Monday)", Cadence("weekly", weekday=0)),
        ("Weekly Monday 09:00", Cadence("weekly", at=time(9), weekday=0)),
        ("Weekly on Fri at 17:00", Cadence("weekly", at=time(17), weekday=4)),
        ("Weekly (Sunday 08:15)", Cadence("weekly", at=time(8, 15), weekday=6)),
        ("Weekly on Tuesdays", Cadence("weekly", weekday=1)),
        ("Every Thursday 10:00", Cadence("weekly", at=time(10), weekday=3)),
        ("Every week", Cadence("weekly")),
        ("Continuous", Cadence("continuous")),
        ("Continuous (every heartbeat)", Cadence("continuous")),
        ("Every heartbeat", Cadence("continuous")),
    ],
)
def test_cadence_headings(heading: str, cadence: Cadence) -> None:
    assert parse_cadence(heading) == cadence
    assert check_cadence(heading) == (cadence, None)


@pytest.mark.parametrize("heading", ["Checklist", "Rules", "", "   ", "Notes on daily life", "2h"])
def test_ordinary_headings_are_not_cadences(heading: str) -> None:
    assert check_cadence(heading) == (None, None)


@pytest.mark.parametrize(
    "heading",
    [
        "Every",
        "Every 1h30",
        "Every 0m",
        "Every 0 minutes",
        "Every morning",
        "Every 2h 30m",
        "Daily 25:00",
        "Daily 9",
        "Daily 13pm",
        "Daily 09:75",
        "Weekly Monday 9",
    ],
)
def test_broken_cadences_are_reported(heading: str) -> None:
    cadence, problem = check_cadence(heading)
    assert cadence is None and parse_cadence(heading) is None
    assert problem is not None and heading in problem


@pytest.mark.parametrize(
    ("cadence", "text"),
    [
        (Cadence("every", 2 * H), "every 2h"),
        (Cadence("hourly", H), "every 1h"),
        (Cadence("daily"), "daily"),
        (Cadence("daily", at=time(9)), "daily at 09:00"),
        (Cadence("weekly", at=time(9), weekday=0), "weekly on Monday at 09:00"),
        (Cadence("weekly"), "weekly"),
        (Cadence("continuous"), "every heartbeat"),
    ],
)
def test_describe(cadence: Cadence, text: str) -> None:
    assert cadence.describe() == text


def _task(cadence: Cadence, name: str = "t") -> Task:
    return Task(name, cadence, "do it")


def _due(cadence: Cadence, now: datetime, last: datetime | None, tz: ZoneInfo = BERLIN) -> bool:
    runs = {} if last is None else {"t": last}
    return bool(due_tasks([_task(cadence)], now, runs, tz))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold)


@pytest.mark.parametrize(
    ("last", "expected"),
    [(None, True), (utc(2026, 1, 1, 10), True), (utc(2026, 1, 1, 10, 1), False),
     (utc(2026, 1, 1, 13), False)],
)  # fmt: skip
def test_every_is_due_after_its_interval(last: datetime | None, expected: bool) -> None:
    assert _due(Cadence("every", 2 * H), utc(2026, 1, 1, 12), last) is expected


def test_hourly_is_every_hour_and_continuous_is_always() -> None:
    now = utc(2026, 1, 1, 12)
    assert _due(Cadence("hourly", H), now, now - H)
    assert not _due(Cadence("hourly", H), now, now - H + timedelta(seconds=1))
    assert _due(Cadence("continuous"), now, now)
    # Both in Berlin across the fall-back hour: 02:30 CEST to 02:30 CET is one real hour.
    first, second = berlin(2026, 10, 25, 2, 30), berlin(2026, 10, 25, 2, 30, fold=1)
    assert _due(Cadence("hourly", H), second, first)


def test_daily_without_time_runs_once_per_local_date() -> None:
    daily = Cadence("daily")
    # 23:30 UTC on Jan 1 is 00:30 on Jan 2 in Berlin: a new local day already.
    assert _due(daily, utc(2026, 1, 1, 23, 30), berlin(2026, 1, 1, 23, 59))
    assert not _due(daily, utc(2026, 1, 1, 23, 30), berlin(2026, 1, 2, 0, 1))
    assert not _due(daily, utc(2026, 1, 1, 22, 30), berlin(2026, 1, 1, 0, 1))
    assert _due(daily, utc(2026, 1, 1, 22, 30), None)


def test_daily_at_a_time() -> None:
    nine = Cadence("daily", at=time(9))
    assert not _due(nine, berlin(2026, 1, 5, 8, 59), None)
    assert _due(nine, berlin(2026, 1, 5, 9, 0), None)
    assert _due(nine, berlin(2026, 1, 5, 9, 0), berlin(2026, 1, 5, 8, 59))
    assert not _due(nine, berlin(2026, 1, 5, 18, 0), berlin(2026, 1, 5, 9, 1))
    # Yesterday's run does not count for today; a missed day is not caught up before 09:00.
    assert _due(nine, berlin(2026, 1, 6, 9, 30), berlin(2026, 1, 5, 9, 1))
    assert not _due(nine, berlin(2026, 1, 6, 8, 0), berlin(2026, 1, 4, 9, 1))


def test_weekly_on_a_weekday_within_the_current_week() -> None:
    monday_nine = Cadence("weekly", at=time(9), weekday=0)
    # 2026-01-05 is a Monday.
    assert not _due(monday_nine, berlin(2026, 1, 5, 8, 0), None)
    assert _due(monday_nine, berlin(2026, 1, 5, 9, 0), None)
    assert _due(monday_nine, berlin(2026, 1, 8, 12, 0), berlin(2026, 1, 2, 9, 0))
    assert not _due(monday_nine, berlin(2026, 1, 11, 23, 59), berlin(2026, 1, 5, 9, 0))
    assert _due(monday_nine, berlin(2026, 1, 12, 9, 0), berlin(2026, 1, 5, 9, 0))
    friday = Cadence("weekly", weekday=4)
    assert not _due(friday, berlin(2026, 1, 8, 23, 0), None)
    assert _due(friday, berlin(2026, 1, 9, 0, 0), None)
    # Sunday's slot has not come yet on Monday of the next week: no catch-up across weeks.
    sunday = Cadence("weekly", weekday=6)
    assert not _due(sunday, berlin(2026, 1, 12, 10, 0), berlin(2026, 1, 3, 10, 0))


def test_weekly_without_a_weekday_is_once_per_calendar_week() -> None:
    weekly = Cadence("weekly")
    assert _due(weekly, berlin(2026, 1, 7, 10), berlin(2026, 1, 4, 23))
    assert not _due(weekly, berlin(2026, 1, 11, 23), berlin(2026, 1, 5, 0, 1))


def test_daily_across_spring_forward_in_berlin() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    half_past_two = Cadence("daily", at=time(2, 30))
    assert not _due(half_past_two, utc(2026, 3, 29, 0, 59), None)  # 01:59 CET
    assert _due(half_past_two, utc(2026, 3, 29, 1, 30), None)  # 03:30 CEST
    assert not _due(half_past_two, utc(2026, 3, 29, 12), utc(2026, 3, 29, 1, 30))
    nine = Cadence("daily", at=time(9))
    assert not _due(nine, utc(2026, 3, 29, 6, 59), None)  # 08:59 CEST
    assert _due(nine, utc(2026, 3, 29, 7, 0), utc(2026, 3, 28, 8, 0))  # 09:00 CEST
    assert _due(Cadence("daily"), utc(2026, 3, 28, 23, 0), utc(2026, 3, 28, 22, 59))


def test_daily_across_fall_back_in_berlin() -> None:
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    half_past_two = Cadence("daily", at=time(2, 30))
    first = berlin(2026, 10, 25, 2, 30, fold=0)
    second = berlin(2026, 10, 25, 2, 30, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == H
    assert _due(half_past_two, first, None)
    assert not _due(half_past_two, second, first)
    assert not _due(half_past_two, berlin(2026, 10, 25, 2, 15, fold=0), None)
    nine = Cadence("daily", at=time(9))
    assert not _due(nine, utc(2026, 10, 25, 7, 59), None)  # 08:59 CET
    assert _due(nine, utc(2026, 10, 25, 8, 0), berlin(2026, 10, 24, 9, 0))  # 09:00 CET


def test_weekly_across_a_dst_change() -> None:
    # Sunday 2026-03-29 at 09:00 CEST is 07:00 UTC, not 08:00.
    sunday_nine = Cadence("weekly", at=time(9), weekday=6)
    assert not _due(sunday_nine, utc(2026, 3, 29, 6, 59), None)
    assert _due(sunday_nine, utc(2026, 3, 29, 7, 0), utc(2026, 3, 22, 8, 0))


def test_due_tasks_keeps_order_and_uses_names() -> None:
    now = utc(2026, 1, 1, 12)
    tasks = [_task(Cadence("every", H), "a"), _task(Cadence("continuous"), "b"),
             _task(Cadence("every", H), "c")]  # fmt: skip
    assert [t.name for t in due_tasks(tasks, now, {"a": now}, UTC)] == ["b", "c"]
    assert due_tasks([], now, {}, UTC) == []


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_tasks([_task(Cadence("daily"))], datetime(2026, 1, 1), {}, UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_tasks([_task(Cadence("daily"))], utc(2026, 1, 1), {"t": datetime(2026, 1, 1)}, UTC)
