"""Property tests for the contract: total functions, round trips and the ack invariants."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from soulbeat.contract import (
    HEARTBEAT_TOKEN,
    ActiveHours,
    format_interval,
    interval_or_disabled,
    is_within_active_hours,
    parse_interval,
    parse_response,
    strip_heartbeat_token,
)
from soulbeat.contract import ack as ack_module
from soulbeat.errors import InvalidIntervalError

T = HEARTBEAT_TOKEN

# --- intervals ------------------------------------------------------------------------------

interval_like = st.text(alphabet="0123456789.mshd -+ MSHDx", max_size=20)
UNIT_MICROS = {
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}
numbers = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(str),
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False).map(
        lambda d: f"{abs(d):f}"
    ),
)
pieces = st.lists(st.tuples(numbers, st.sampled_from(sorted(UNIT_MICROS))), min_size=1, max_size=5)


@given(st.one_of(st.text(), interval_like))
def test_parse_interval_raises_only_its_own_error(text: str) -> None:
    try:
        result = parse_interval(text)
    except InvalidIntervalError:
        assert interval_or_disabled(text) is None
        return
    assert result is None or result > timedelta(0)
    assert interval_or_disabled(text) == result


@given(pieces)
def test_parse_interval_sums_the_pieces(parts: list[tuple[str, str]]) -> None:
    text = "".join(number + unit for number, unit in parts)
    micros = sum(Decimal(number) * UNIT_MICROS[unit] for number, unit in parts)
    expected = round(micros)
    result = parse_interval(text)
    assert result == (timedelta(microseconds=expected) if expected > 0 else None)


@given(
    st.timedeltas(min_value=timedelta(milliseconds=1)).map(
        lambda d: d - d % timedelta(milliseconds=1)
    )
)
def test_format_then_parse_round_trips_whole_milliseconds(delta: timedelta) -> None:
    text = format_interval(delta)
    assert parse_interval(text) == delta
    assert text == text.strip().lower()


@given(st.timedeltas(min_value=timedelta(microseconds=1)))
def test_format_then_parse_round_trips_any_positive_delta(delta: timedelta) -> None:
    assert parse_interval(format_interval(delta)) == delta


@given(st.timedeltas(max_value=timedelta(0)))
def test_format_of_nothing_positive_is_disabled(delta: timedelta) -> None:
    assert format_interval(delta) == "0m"


# --- the HEARTBEAT_OK token -----------------------------------------------------------------

fragments = st.sampled_from(
    [T, T, " ", "  ", "\n", "\t", "!", ".", "?!", "---", "**", "*", "`", "~~", "_", "__",
     "<b>", "</b>", "<p>", "&nbsp;", "&NBSP;", "x", "hello", "Disk at 91%", "🦞", "\u00a0",
     "HEARTBEAT", "_OK", "heartbeat_ok", "<", ">"]
)  # fmt: skip
token_rich = st.lists(fragments, max_size=12).map("".join)
any_reply = st.one_of(st.none(), st.text(), token_rich)
ack_limits = st.integers(min_value=-10, max_value=400)
modes = st.sampled_from(["heartbeat", "message"])


@given(any_reply, modes, ack_limits)
def test_strip_never_raises_and_is_consistent(text: str | None, mode: str, limit: int) -> None:
    result = strip_heartbeat_token(text, mode=mode, ack_max_chars=limit)  # type: ignore[arg-type]
    if not result.did_strip:
        blank = text is None or not text.strip()
        assert result.should_skip is blank
        assert result.text == ("" if blank else text)
        return
    assert result.text == result.text.strip()
    assert not re.search(r"\s\s", result.text)
    if mode == "message":
        assert result.should_skip is (result.text == "")


@given(any_reply, ack_limits)
def test_a_heartbeat_skip_leaves_nothing_beyond_the_ack_limit(text: str | None, limit: int) -> None:
    result = strip_heartbeat_token(text, ack_max_chars=limit)
    if result.should_skip:
        assert len(result.text) <= max(0, limit)
    else:
        assert result.text.strip()


@given(st.text().filter(lambda text: T not in text))
def test_text_without_the_token_comes_back_unchanged(text: str) -> None:
    for mode in ("heartbeat", "message"):
        result = strip_heartbeat_token(text, mode=mode)
        assert result.did_strip is False
        if text.strip():
            assert result.text == text
            assert result.should_skip is False


@given(any_reply, ack_limits)
def test_parse_response_agrees_with_strip(text: str | None, limit: int) -> None:
    parsed = parse_response(text, limit)
    stripped = strip_heartbeat_token(text, mode="message", ack_max_chars=limit)
    if text is None or not text.strip():
        assert parsed.should_drop and not parsed.is_ok
        return
    assert parsed.is_ok is stripped.did_strip
    assert parsed.content == stripped.text
    assert (parsed.position in ("start", "end")) is parsed.is_ok
    assert parsed.should_drop is (parsed.is_ok and len(parsed.content) <= max(0, limit))
    if parsed.position == "none":
        assert T not in text


def _reference_strip_edges(text: str) -> tuple[str, bool]:
    """SPEC §6's edge stripping written as literally as possible, to check the fast version."""
    rest, changed = text.strip(), False
    while True:
        if rest.startswith(T):
            rest, changed = rest[len(T) :].strip(), True
            continue
        match = re.search(r"HEARTBEAT_OK(\W{0,4})\Z", rest)
        if match is None:
            break
        rest, changed = rest[: match.start()].rstrip() + match.group(1).lstrip(), True
    return re.sub(r"\s+", " ", rest).strip(), changed


@given(st.one_of(st.text(), token_rich))
def test_fast_edge_stripping_matches_the_literal_reading(text: str) -> None:
    fast = ack_module._strip_edges(text)
    assert (fast.text, fast.first is not None) == _reference_strip_edges(text)


# --- active hours ---------------------------------------------------------------------------

hhmm_like = st.one_of(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 29), st.integers(0, 69)),
    st.sampled_from(["24:00", "00:00", "9:00", "", " ", "noon"]),
    st.text(max_size=8),
)
zones = st.one_of(
    st.sampled_from(["user", "local", "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    st.sampled_from(["", "Mars/Olympus", "../etc", "/etc/localtime", "America"]),
    st.text(max_size=12),
)
aware_datetimes = st.datetimes(timezones=st.timezones())
valid_bound = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@given(hhmm_like, hhmm_like, zones, st.one_of(st.none(), zones), aware_datetimes)
def test_is_within_active_hours_never_raises(
    start: str, end: str, zone: str, user_zone: str | None, now: datetime
) -> None:
    result = is_within_active_hours(ActiveHours(start, end, zone), now, user_zone)
    assert isinstance(result, bool)


ordinary_utc = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(valid_bound, valid_bound, ordinary_utc)
def test_swapping_the_bounds_gives_the_complement(start: str, end: str, now: datetime) -> None:
    window = ActiveHours(start, end, "Europe/Berlin")
    swapped = ActiveHours(end, start, "Europe/Berlin")
    if start == end:
        assert not is_within_active_hours(window, now)
    else:
        assert is_within_active_hours(window, now) is not is_within_active_hours(swapped, now)
