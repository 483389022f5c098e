"""Active hours (SPEC §3.2): vectors rows D1–D5, bounds, zones, overnight windows and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
import tzlocal

from soulbeat.contract import (
    ActiveHours,
    is_within_active_hours,
    parse_hhmm,
    resolve_timezone,
    validate_active_hours,
)
from soulbeat.errors import ConfigError, InvalidActiveHoursError, InvalidTimezoneError

BERLIN = ZoneInfo("Europe/Berlin")


def utc(text: str) -> datetime:
    """`2026-01-01 12:00` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def host_in_berlin(monkeypatch: pytest.MonkeyPatch) -> tzinfo:
    """Pretend the host's zone is Europe/Berlin (the real host here is UTC)."""
    monkeypatch.setattr(tzlocal, "get_localzone", lambda: BERLIN)
    return BERLIN


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [
        pytest.param(None, "2025-01-01 03:00", True, id="D1"),
        pytest.param(ActiveHours("08:00", "08:00"), "2025-01-01 12:00", False, id="D2"),
        pytest.param(
            ActiveHours("08:00", "24:00", "user"), "2025-01-01 07:00", False, id="D3-0700"
        ),
        pytest.param(ActiveHours("08:00", "24:00", "user"), "2025-01-01 08:00", True, id="D3-0800"),
        pytest.param(ActiveHours("08:00", "24:00", "user"), "2025-01-01 23:59", True, id="D3-2359"),
        pytest.param(
            ActiveHours("09:00", "17:00", "America/New_York"),
            "2025-01-01 15:00",
            True,
            id="D4-1500",
        ),
        pytest.param(
            ActiveHours("09:00", "17:00", "America/New_York"),
            "2025-01-01 23:30",
            False,
            id="D4-2330",
        ),
        pytest.param(ActiveHours("00:00", "24:00"), "2025-01-01 00:00", True, id="D5-0000"),
        pytest.param(ActiveHours("00:00", "24:00"), "2025-06-15 13:37", True, id="D5-1337"),
        pytest.param(ActiveHours("00:00", "24:00"), "2025-12-31 23:59:59", True, id="D5-2359"),
    ],
)
def test_vectors(window: ActiveHours | None, now: str, expected: bool) -> None:
    assert is_within_active_hours(window, utc(now), user_timezone="UTC") is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2026-01-01 21:59", False, id="2159-before"),
        pytest.param("2026-01-01 22:00", True, id="2200-start-inclusive"),
        pytest.param("2026-01-01 23:00", True, id="2300"),
        pytest.param("2026-01-02 00:00", True, id="midnight"),
        pytest.param("2026-01-02 05:59", True, id="0559"),
        pytest.param("2026-01-02 05:59:59", True, id="0559-59"),
        pytest.param("2026-01-02 06:00", False, id="0600-end-exclusive"),
        pytest.param("2026-01-02 12:00", False, id="noon"),
    ],
)
def test_overnight_window(now: str, expected: bool) -> None:
    window = ActiveHours("22:00", "06:00", "UTC")
    assert is_within_active_hours(window, utc(now)) is expected


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [
        pytest.param(("09:00", "17:00"), "2026-01-01 08:59:59", False, id="just-before-start"),
        pytest.param(("09:00", "17:00"), "2026-01-01 09:00", True, id="start-inclusive"),
        pytest.param(("09:00", "17:00"), "2026-01-01 16:59:59", True, id="just-before-end"),
        pytest.param(("09:00", "17:00"), "2026-01-01 17:00", False, id="end-exclusive"),
        pytest.param(("00:00", "00:00"), "2026-01-01 00:00", False, id="midnight-zero-width"),
        pytest.param(("23:59", "24:00"), "2026-01-01 23:59:30", True, id="last-minute"),
        pytest.param(("23:59", "24:00"), "2026-01-02 00:00", False, id="after-last-minute"),
        pytest.param(("12:00", "00:00"), "2026-01-01 23:59", True, id="end-at-00-is-overnight"),
        pytest.param(("12:00", "00:00"), "2026-01-01 00:00", False, id="end-at-00-exclusive"),
    ],
)
def test_window_bounds(window: tuple[str, str], now: str, expected: bool) -> None:
    assert is_within_active_hours(ActiveHours(*window, "UTC"), utc(now)) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 2026-03-28 is still CET (UTC+1): 09:00 local is 08:00 UTC.
        pytest.param("2026-03-28 07:59", False, id="cet-before-start"),
        pytest.param("2026-03-28 08:00", True, id="cet-start"),
        pytest.param("2026-03-28 15:59", True, id="cet-before-end"),
        pytest.param("2026-03-28 16:00", False, id="cet-end"),
        # 2026-03-29 springs forward to CEST (UTC+2): 09:00 local is 07:00 UTC.
        pytest.param("2026-03-29 06:59", False, id="cest-before-start"),
        pytest.param("2026-03-29 07:00", True, id="cest-start"),
        pytest.param("2026-03-29 14:59", True, id="cest-before-end"),
        pytest.param("2026-03-29 15:00", False, id="cest-end"),
        # 2026-10-25 falls back to CET: 09:00 local is 08:00 UTC again.
        pytest.param("2026-10-24 07:00", True, id="last-cest-day"),
        pytest.param("2026-10-25 07:00", False, id="first-cet-day-0800-local"),
        pytest.param("2026-10-25 08:00", True, id="first-cet-day-0900-local"),
        pytest.param("2026-10-25 16:00", False, id="first-cet-day-1700-local"),
    ],
)
def test_window_follows_dst_in_its_zone(now: str, expected: bool) -> None:
    window = ActiveHours("09:00", "17:00", "Europe/Berlin")
    assert is_within_active_hours(window, utc(now)) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2026-03-29 00:59", False, id="0159-cet"),
        pytest.param("2026-03-29 01:00", False, id="0300-cest-the-hour-never-happens"),
        pytest.param("2026-03-28 01:30", True, id="the-day-before-0230"),
    ],
)
def test_window_inside_the_skipped_hour(now: str, expected: bool) -> None:
    window = ActiveHours("02:00", "03:00", "Europe/Berlin")
    assert is_within_active_hours(window, utc(now)) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2026-10-24 23:59", False, id="0159-cest"),
        pytest.param("2026-10-25 00:00", True, id="0200-cest-first-pass"),
        pytest.param("2026-10-25 00:59", True, id="0259-cest"),
        pytest.param("2026-10-25 01:00", True, id="0200-cet-second-pass"),
        pytest.param("2026-10-25 01:59", True, id="0259-cet"),
        pytest.param("2026-10-25 02:00", False, id="0300-cet"),
    ],
)
def test_window_inside_the_repeated_hour(now: str, expected: bool) -> None:
    window = ActiveHours("02:00", "03:00", "Europe/Berlin")
    assert is_within_active_hours(window, utc(now)) is expected


def test_now_in_any_zone_is_converted() -> None:
    window = ActiveHours("09:00", "17:00", "UTC")
    tokyo_1700 = datetime(2026, 1, 1, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 08:00 UTC
    assert is_within_active_hours(window, tokyo_1700) is False
    plus_one = datetime(2026, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))  # 09:00 UTC
    assert is_within_active_hours(window, plus_one) is True


@pytest.mark.parametrize(
    ("user_timezone", "now", "expected"),
    [
        pytest.param("America/New_York", "2026-01-01 14:00", True, id="user-zone-0900"),
        pytest.param("America/New_York", "2026-01-01 13:59", False, id="user-zone-0859"),
        pytest.param("UTC", "2026-01-01 09:00", True, id="user-utc"),
        pytest.param(None, "2026-01-01 08:00", True, id="no-user-zone-uses-host"),
        pytest.param(None, "2026-01-01 07:59", False, id="no-user-zone-uses-host-0859"),
        pytest.param("local", "2026-01-01 08:00", True, id="user-zone-local-is-host"),
    ],
)
def test_user_zone(
    host_in_berlin: tzinfo, user_timezone: str | None, now: str, expected: bool
) -> None:
    window = ActiveHours("09:00", "17:00", "user")
    assert is_within_active_hours(window, utc(now), user_timezone=user_timezone) is expected


def test_user_is_the_default_zone() -> None:
    assert ActiveHours("09:00", "17:00").timezone == "user"
    window = ActiveHours("09:00", "17:00")
    assert is_within_active_hours(window, utc("2026-01-01 14:00"), "America/New_York") is True


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2026-01-01 08:00", True, id="0900-berlin"),
        pytest.param("2026-01-01 16:00", False, id="1700-berlin"),
    ],
)
def test_local_zone_is_the_hosts(host_in_berlin: tzinfo, now: str, expected: bool) -> None:
    window = ActiveHours("09:00", "17:00", "local")
    # The user's zone is ignored for `local`.
    assert is_within_active_hours(window, utc(now), "America/New_York") is expected


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(ActiveHours("9:00", "17:00", "UTC"), id="start-without-leading-zero"),
        pytest.param(ActiveHours("24:00", "06:00", "UTC"), id="start-24"),
        pytest.param(ActiveHours("09:00", "25:00", "UTC"), id="end-25"),
        pytest.param(ActiveHours("09:00", "later", "UTC"), id="end-garbage"),
        pytest.param(ActiveHours("09:00", "17:00", "Mars/Olympus"), id="unknown-zone"),
        pytest.param(ActiveHours("09:00", "17:00", ""), id="empty-zone"),
        pytest.param(ActiveHours(9, 17, "UTC"), id="numbers-not-text"),  # type: ignore[arg-type]
    ],
)
def test_runtime_treats_an_invalid_window_as_always_active(window: ActiveHours) -> None:
    # 03:00 UTC is outside every window above as written, so True can only mean "always".
    assert is_within_active_hours(window, utc("2026-01-01 03:00")) is True


def test_runtime_treats_an_unknown_user_zone_as_always_active() -> None:
    window = ActiveHours("09:00", "17:00", "user")
    assert is_within_active_hours(window, utc("2026-01-01 03:00"), "Nowhere/Special") is True


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_within_active_hours(ActiveHours("09:00", "17:00"), datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError, match="aware"):
        is_within_active_hours(None, datetime(2026, 1, 1, 12))


@pytest.mark.parametrize(
    ("text", "allow_24", "expected"),
    [
        pytest.param("00:00", False, 0, id="midnight"),
        pytest.param("09:30", False, 570, id="0930"),
        pytest.param("23:59", False, 1439, id="2359"),
        pytest.param(" 08:00 ", False, 480, id="trimmed"),
        pytest.param("24:00", True, 1440, id="2400-as-end"),
        pytest.param("17:00", True, 1020, id="end-ordinary"),
    ],
)
def test_parse_hhmm(text: str, allow_24: bool, expected: int) -> None:
    assert parse_hhmm(text, allow_24=allow_24) == expected


@pytest.mark.parametrize(
    ("text", "allow_24"),
    [
        pytest.param("24:00", False, id="2400-as-start"),
        pytest.param("24:01", True, id="2401"),
        pytest.param("25:00", True, id="2500"),
        pytest.param("12:60", False, id="minute-60"),
        pytest.param("9:00", False, id="no-leading-zero"),
        pytest.param("09:0", False, id="one-minute-digit"),
        pytest.param("0900", False, id="no-colon"),
        pytest.param("09.00", False, id="dot"),
        pytest.param("09:00:00", False, id="seconds"),
        pytest.param("9am", False, id="am"),
        pytest.param("-1:00", False, id="negative"),
        pytest.param("", False, id="empty"),
        pytest.param("٠٩:٠٠", False, id="non-ascii-digits"),
    ],
)
def test_parse_hhmm_refuses(text: str, allow_24: bool) -> None:
    with pytest.raises(InvalidActiveHoursError):
        parse_hhmm(text, allow_24=allow_24)


def test_parse_hhmm_error_names_key_value_and_expected_form() -> None:
    with pytest.raises(InvalidActiveHoursError) as caught:
        parse_hhmm("9:00", key="active_hours.start")
    error = caught.value
    assert str(error).startswith('active_hours.start: "9:00" is not a time (expected HH:MM')
    assert (error.key, error.value) == ("active_hours.start", "9:00")
    assert error.expected is not None and "HH:MM" in error.expected
    assert isinstance(error, ConfigError)


def test_24_as_start_says_it_is_only_for_the_end() -> None:
    with pytest.raises(InvalidActiveHoursError, match=r"24:00.*only as the end"):
        parse_hhmm("24:00")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        pytest.param("UTC", "UTC"),
        pytest.param("Europe/Berlin", "Europe/Berlin"),
        pytest.param(" America/New_York ", "America/New_York", id="trimmed"),
    ],
)
def test_resolve_iana_names(name: str, key: str) -> None:
    assert resolve_timezone(name) == ZoneInfo(key)


def test_resolve_local_and_user(host_in_berlin: tzinfo) -> None:
    assert resolve_timezone("local") is BERLIN
    assert resolve_timezone("LOCAL") is BERLIN
    assert resolve_timezone("user") is BERLIN
    assert resolve_timezone("user", "") is BERLIN
    assert resolve_timezone("user", "Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert resolve_timezone("user", "local") is BERLIN


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Mars/Olympus", id="unknown"),
        pytest.param("europe/berlin", id="wrong-case"),
        pytest.param("", id="empty"),
        pytest.param("../../etc/passwd", id="path-escape"),
        pytest.param("/etc/localtime", id="absolute-path"),
        pytest.param("America", id="a-directory"),
        pytest.param("zone1970.tab", id="not-a-zone-file"),
        pytest.param("CEST+2", id="abbreviation"),
    ],
)
def test_unknown_zone_raises_naming_it(name: str) -> None:
    with pytest.raises(InvalidTimezoneError) as caught:
        resolve_timezone(name)
    error = caught.value
    assert f'"{name}"' in str(error)
    assert error.key == "active_hours.timezone"
    assert error.value == name
    assert error.expected is not None and "IANA" in error.expected


def test_unknown_user_zone_raises_naming_user_timezone() -> None:
    with pytest.raises(InvalidTimezoneError, match=r'^user_timezone: "Nowhere/Special"'):
        resolve_timezone("user", "Nowhere/Special")


def test_user_zone_pointing_at_user_is_refused() -> None:
    with pytest.raises(InvalidTimezoneError):
        resolve_timezone("user", "user")


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(ActiveHours("09:00", "17:00"), id="default-zone"),
        pytest.param(ActiveHours("22:00", "06:00", "Europe/Berlin"), id="overnight"),
        pytest.param(ActiveHours("00:00", "24:00", "local"), id="always"),
        pytest.param(ActiveHours("08:00", "08:00", "UTC"), id="never-is-still-valid"),
    ],
)
def test_validate_accepts(window: ActiveHours) -> None:
    validate_active_hours(window)


@pytest.mark.parametrize(
    ("window", "error", "key"),
    [
        pytest.param(
            ActiveHours("24:00", "06:00"), InvalidActiveHoursError, "active_hours.start", id="start"
        ),
        pytest.param(
            ActiveHours("09:00", "25:00"), InvalidActiveHoursError, "active_hours.end", id="end"
        ),
        pytest.param(
            ActiveHours("09:00", "17:00", "Mars/Olympus"),
            InvalidTimezoneError,
            "active_hours.timezone",
            id="zone",
        ),
    ],
)
def test_validate_refuses_naming_the_key(
    window: ActiveHours, error: type[ConfigError], key: str
) -> None:
    with pytest.raises(error) as caught:
        validate_active_hours(window)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")


def test_validate_uses_the_given_key_prefix() -> None:
    with pytest.raises(InvalidActiveHoursError) as caught:
        validate_active_hours(ActiveHours("9:00", "17:00"), key="skills.news.active_hours")
    assert caught.value.key == "skills.news.active_hours.start"
