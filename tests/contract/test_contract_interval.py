"""Intervals (SPEC §3.1): vectors rows E1–E5 and the grammar rules around them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from soulbeat.contract import format_interval, interval_or_disabled, parse_interval
from soulbeat.errors import ConfigError, InvalidIntervalError

MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("30m", timedelta(minutes=30), id="E1-30m"),
        pytest.param("5", timedelta(minutes=5), id="E1-bare-5"),
        pytest.param("2h", timedelta(hours=2), id="E1-2h"),
        pytest.param("0m", None, id="E2-0m"),
        pytest.param("0", None, id="E2-0"),
        pytest.param("10s", timedelta(seconds=10), id="E3-10s"),
        pytest.param("2d", timedelta(days=2), id="E3-2d"),
        pytest.param("0.5s", timedelta(milliseconds=500), id="E3-0.5s"),
        pytest.param("100ms", timedelta(milliseconds=100), id="E3-100ms"),
        pytest.param("2m500ms", timedelta(seconds=120.5), id="E4-2m500ms"),
        pytest.param("2h30m", timedelta(hours=2, minutes=30), id="E4-2h30m"),
        pytest.param("90s", timedelta(seconds=90), id="E4-90s"),
    ],
)
def test_vectors_parse(text: str, expected: timedelta | None) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize(
    "text", [pytest.param("1h30", id="E5-1h30"), pytest.param("oops", id="E5-oops")]
)
def test_vectors_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1.5", timedelta(seconds=90), id="bare-decimal-is-minutes"),
        pytest.param("0.5h", timedelta(minutes=30), id="decimal-hours"),
        pytest.param(".5h", timedelta(minutes=30), id="leading-dot"),
        pytest.param(" 30M ", timedelta(minutes=30), id="trimmed-and-lowercased"),
        pytest.param("\t2H30M\n", timedelta(hours=2, minutes=30), id="upper-case-pieces"),
        pytest.param("1d2h", timedelta(days=1, hours=2), id="days-and-hours"),
        pytest.param(
            "2h30m15s500ms", timedelta(hours=2, minutes=30, seconds=15, milliseconds=500), id="all"
        ),
        pytest.param("30m2h", timedelta(hours=2, minutes=30), id="any-order"),
        pytest.param("1m1m", 2 * MIN, id="repeated-unit-adds"),
        pytest.param("5ms", timedelta(milliseconds=5), id="ms-is-not-m-then-s"),
        pytest.param("0.1s", timedelta(milliseconds=100), id="exact-decimal"),
        pytest.param("1.0001ms", timedelta(microseconds=1000), id="rounds-to-microseconds"),
        pytest.param("0h0m", None, id="all-zero-pieces-disabled"),
        pytest.param("0.0", None, id="zero-decimal-disabled"),
        pytest.param("0.0000001s", None, id="below-a-microsecond-is-zero"),
        pytest.param("999999999d", timedelta(days=999_999_999), id="largest-day-count"),
    ],
)
def test_grammar_accepts(text: str, expected: timedelta | None) -> None:
    assert parse_interval(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("1h 30m", id="space-between-pieces"),
        pytest.param("1 h", id="space-before-unit"),
        pytest.param("-5m", id="minus-sign"),
        pytest.param("+5m", id="plus-sign"),
        pytest.param("-0", id="signed-zero"),
        pytest.param("1h30", id="trailing-bare-number"),
        pytest.param("m", id="unit-only"),
        pytest.param("5x", id="unknown-unit"),
        pytest.param("5w", id="weeks-are-not-a-unit"),
        pytest.param("5min", id="long-unit-name"),
        pytest.param("1,5h", id="comma-decimal"),
        pytest.param("1.h", id="dot-without-digits"),
        pytest.param("1.2.3m", id="two-dots"),
        pytest.param("1e3s", id="exponent"),
        pytest.param("1h,30m", id="comma-separator"),
        pytest.param("1h_30m", id="underscore-separator"),
        pytest.param("٣m", id="non-ascii-digit"),
        pytest.param("inf", id="inf"),
        pytest.param("nan", id="nan"),
        pytest.param("1000000000d", id="beyond-timedelta"),
    ],
)
def test_grammar_refuses(text: str) -> None:
    with pytest.raises(InvalidIntervalError):
        parse_interval(text)


def test_error_names_key_value_and_expected_form() -> None:
    with pytest.raises(InvalidIntervalError) as caught:
        parse_interval("1h 30m")
    error = caught.value
    assert (
        str(error) == 'every: "1h 30m" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)'
    )
    assert (error.key, error.value) == ("every", "1h 30m")
    assert error.expected is not None and "30m" in error.expected
    assert isinstance(error, ConfigError)
    assert isinstance(error, ValueError)


def test_error_uses_the_given_key() -> None:
    with pytest.raises(
        InvalidIntervalError, match=r'^idle_pause: "soon" is not a duration'
    ) as caught:
        parse_interval("soon", key="idle_pause")
    assert caught.value.key == "idle_pause"


def test_error_for_too_large_says_so() -> None:
    with pytest.raises(InvalidIntervalError, match="too long") as caught:
        parse_interval("1000000000d")
    assert caught.value.value == "1000000000d"


def test_error_message_shortens_a_huge_value_but_keeps_it_whole_on_the_error() -> None:
    text = "x" * 5000
    with pytest.raises(InvalidIntervalError) as caught:
        parse_interval(text)
    assert len(str(caught.value)) < 200
    assert caught.value.value == text


@pytest.mark.parametrize("value", [30, 1.5, None, b"30m"], ids=["int", "float", "None", "bytes"])
def test_non_text_is_refused_with_the_config_error(value: object) -> None:
    with pytest.raises(InvalidIntervalError):
        parse_interval(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("30m", timedelta(minutes=30), id="valid"),
        pytest.param("0m", None, id="disabled"),
        pytest.param("1h 30m", None, id="invalid-is-disabled"),
        pytest.param("", None, id="empty-is-disabled"),
        pytest.param(None, None, id="missing-is-disabled"),
        pytest.param("1000000000d", None, id="too-large-is-disabled"),
    ],
)
def test_interval_or_disabled_never_raises(text: str | None, expected: timedelta | None) -> None:
    assert interval_or_disabled(text) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        pytest.param(None, "0m", id="disabled"),
        pytest.param(timedelta(0), "0m", id="zero"),
        pytest.param(timedelta(minutes=-5), "0m", id="negative"),
        pytest.param(timedelta(minutes=30), "30m", id="30m"),
        pytest.param(timedelta(hours=1), "1h", id="1h"),
        pytest.param(timedelta(hours=2, minutes=30), "2h30m", id="2h30m"),
        pytest.param(timedelta(seconds=90), "90s", id="90s-not-1m30s"),
        pytest.param(timedelta(minutes=90), "90m", id="90m-not-1h30m"),
        pytest.param(timedelta(hours=36), "36h", id="36h-not-1d12h"),
        pytest.param(timedelta(hours=1, seconds=30), "1h30s", id="no-fold-over-a-zero-unit"),
        pytest.param(timedelta(days=1), "1d", id="1d"),
        pytest.param(timedelta(days=2, hours=3), "2d3h", id="2d3h"),
        pytest.param(timedelta(milliseconds=500), "500ms", id="500ms"),
        pytest.param(timedelta(seconds=1, milliseconds=500), "1500ms", id="1500ms"),
        pytest.param(timedelta(seconds=2, milliseconds=500), "2s500ms", id="2s500ms"),
        pytest.param(timedelta(microseconds=1500), "1.5ms", id="sub-millisecond"),
        pytest.param(timedelta(microseconds=1), "0.001ms", id="one-microsecond"),
    ],
)
def test_format_interval(delta: timedelta | None, expected: str) -> None:
    assert format_interval(delta) == expected


@pytest.mark.parametrize(
    "delta",
    [
        timedelta(minutes=30),
        timedelta(seconds=90),
        timedelta(hours=25, milliseconds=1),
        timedelta(days=3, hours=4, minutes=5, seconds=6, milliseconds=7),
        timedelta(microseconds=123_456_789),
        timedelta.max,
    ],
    ids=str,
)
def test_format_then_parse_round_trips(delta: timedelta) -> None:
    assert parse_interval(format_interval(delta)) == delta


def test_disabled_round_trips() -> None:
    assert parse_interval(format_interval(None)) is None
