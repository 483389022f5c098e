"""Cron expressions (SPEC §9.2): the check, and fire times across DST in two timezones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from soulbeat.contract.cron import check_cron, next_fires, previous_fire
from soulbeat.errors import ConfigError, InvalidCronError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# (zone, expression, after (local wall clock), the next fire times as UTC)
DST_VECTORS = [
    # Berlin springs forward 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist that day.
    (BERLIN, "30 2 * * *", "2026-03-28T12:00", ["2026-03-29T01:00", "2026-03-30T00:30"]),
    # ... a weekday 09:00 job is untouched, its UTC time moves by an hour.
    (BERLIN, "0 9 * * MON-FRI", "2026-03-26T10:00", ["2026-03-27T08:00", "2026-03-30T07:00"]),
    # Berlin falls back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice, fires once.
    (BERLIN, "30 2 * * *", "2026-10-24T12:00", ["2026-10-25T00:30", "2026-10-26T01:30"]),
    (BERLIN, "0 9 * * MON-FRI", "2026-10-23T10:00", ["2026-10-26T08:00", "2026-10-27T08:00"]),
    # New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT.
    (NEW_YORK, "30 2 * * *", "2026-03-07T12:00", ["2026-03-08T07:00", "2026-03-09T06:30"]),
    # New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice, fires once.
    (NEW_YORK, "30 1 * * *", "2026-10-31T12:00", ["2026-11-01T05:30", "2026-11-02T06:30"]),
    (NEW_YORK, "0 9 * * 1-5", "2026-10-30T10:00", ["2026-11-02T14:00", "2026-11-03T14:00"]),
]


@pytest.mark.parametrize(("zone", "expr", "after", "expected"), DST_VECTORS)
def test_fire_times_across_dst(zone: ZoneInfo, expr: str, after: str, expected: list[str]) -> None:
    fires = next_fires(expr, local(after, zone), zone, count=len(expected))
    assert fires == [utc(text) for text in expected]


def test_a_wildcard_hour_keeps_elapsed_time_through_the_repeated_hour() -> None:
    fires = next_fires("0 * * * *", local("2026-10-25T01:30", BERLIN), BERLIN, count=4)
    # 02:00 CEST, 02:00 CET (the repeated hour), 03:00 CET, 04:00 CET: one an hour
    assert fires == [utc(t) for t in ("2026-10-25T00:00", "2026-10-25T01:00", "2026-10-25T02:00",
                                       "2026-10-25T03:00")]  # fmt: skip


def test_fires_are_strictly_after_and_utc() -> None:
    at = local("2026-06-01T09:00", BERLIN)
    fires = next_fires("0 9 * * *", at, BERLIN, count=2)
    assert fires[0] == utc("2026-06-02T07:00")
    assert all(fire.tzinfo is UTC for fire in fires)
    seconds_later = next_fires("0 9 * * *", local("2026-06-01T08:59:59.5", BERLIN), BERLIN)
    assert seconds_later == [utc("2026-06-01T07:00")]


def test_previous_fire_is_at_or_before() -> None:
    at = utc("2026-03-30T07:00")  # Monday 09:00 CEST exactly
    assert previous_fire("0 9 * * MON-FRI", at, BERLIN) == at
    assert previous_fire("0 9 * * MON-FRI", utc("2026-03-29T12:00"), BERLIN) == utc(
        "2026-03-27T08:00"
    )


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("0 9 * * MON-FRI", "0 9 * * MON-FRI"),
        ("  */15   8-18 * JAN,FEB sun ", "*/15 8-18 * JAN,FEB sun"),
    ],
)
def test_check_cron_normalises(text: str, normal: str) -> None:
    assert check_cron(text) == normal


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("0 9 * *", "has 4 fields, not 5"),
        ("0 0 9 * * MON", "has 6 fields, not 5"),
        ("@daily", "cron nickname"),
        ("61 * * * *", "is not a cron expression"),
        ("0 25 * * *", "is not a cron expression"),
        ("0 9 * * FUNDAY", "is not a cron expression"),
        (9, "is not a cron expression"),
    ],
)
def test_invalid_expressions_are_refused_by_name(text: object, says: str) -> None:
    with pytest.raises(InvalidCronError) as caught:
        check_cron(text, key="cron")
    message = str(caught.value)
    assert message.startswith("cron: ") and says in message
    assert "expected five fields" in message
    assert isinstance(caught.value, ConfigError) and caught.value.key == "cron"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_fires("0 9 * * *", datetime(2026, 1, 1), BERLIN)


def test_a_heartbeat_md_cron_task_is_due_once_per_fire() -> None:
    from soulbeat.workspace.tasks import Task, check_cadence, due_tasks

    cadence, problem = check_cadence("Cron 0 9 * * MON-FRI standup")
    assert problem is None and cadence is not None and cadence.describe() == "cron 0 9 * * MON-FRI"
    task = Task("standup", cadence, "Say what is planned.")
    monday_nine = utc("2026-03-30T07:00")  # 09:00 CEST, the day after spring-forward
    assert due_tasks([task], monday_nine - _minute(), {}, BERLIN) == [task]  # Friday's fire
    assert due_tasks([task], monday_nine, {"standup": monday_nine - _minute()}, BERLIN) == [task]
    assert due_tasks([task], monday_nine + _minute(), {"standup": monday_nine}, BERLIN) == []
    bad, why = check_cadence("Cron 0 25 * * *")
    assert bad is None and why is not None and "cron" in why


def _minute() -> timedelta:
    return timedelta(minutes=1)
