"""`normalize_heartbeat_mapping`: both seed shapes (and camelCase) mean the same config; conflicts
and unknown keys are refused by name; nothing but `ConfigError` ever escapes."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soulbeat.config import (
    ConfigError,
    InvalidConfigError,
    normalize_heartbeat_mapping,
    validate_heartbeat_config,
    validate_partial_config,
)
from soulbeat.config.normalize import FLAT_KEYS, HEARTBEAT_KEYS, snake_case


def meaning(raw: dict[str, Any]) -> dict[str, Any]:
    """The config as a dict, with `every` as a duration (its text is kept as written)."""
    config = validate_heartbeat_config(raw, source="test")
    return {**config.model_dump(), "every": config.interval}


def same_config(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert meaning(a) == meaning(b)


# Seed 000, "Example 1: Daily Summary Bot".
DAILY_SUMMARY_SEED = {
    "every_seconds": 86400,
    "active_hours_start": 9,
    "active_hours_end": 10,
    "target": "none",
}
# Seed 000, "Example 2: High-Frequency Voter".
HIGH_FREQUENCY_VOTER_SEED = {
    "every_seconds": 900,
    "target": "none",
    "temperature": 0.3,
    "max_tokens": 200,
}
# Seed 000, "Example 3: Silent Cost-Saver".
SILENT_COST_SAVER_SEED = {
    "every_seconds": 86400,
    "model": "llama3.2:latest",
    "max_tokens": 200,
    "dry_run": True,
}
# Seed 004's C# HeartbeatConfig, as it would be serialised.
PASCAL_SEED = {
    "Every": "30m",
    "Target": "last",
    "Prompt": "Check the inbox.",
    "IncludeReasoning": False,
    "AckMaxChars": 300,
    "ActiveHours": {"Start": "08:00", "End": "18:00"},
    "Model": "gpt-4",
    "To": "+15551234567",
}


@pytest.mark.parametrize(
    ("seed", "canonical"),
    [
        (
            DAILY_SUMMARY_SEED,
            {
                "every": "24h",
                "active_hours": {"start": "09:00", "end": "10:00"},
                "target": "none",
            },
        ),
        (
            HIGH_FREQUENCY_VOTER_SEED,
            {"every": "15m", "target": "none", "temperature": 0.3, "max_tokens": 200},
        ),
        (
            SILENT_COST_SAVER_SEED,
            {"every": "1d", "model": "llama3.2:latest", "max_tokens": 200, "dry_run": True},
        ),
        (
            PASCAL_SEED,
            {
                "every": "30m",
                "target": "last",
                "prompt": "Check the inbox.",
                "include_reasoning": False,
                "ack_max_chars": 300,
                "active_hours": {"start": "08:00", "end": "18:00"},
                "model": "gpt-4",
                "to": "+15551234567",
            },
        ),
    ],
)
def test_seed_shapes_mean_the_same_as_the_canonical_shape(
    seed: dict[str, Any], canonical: dict[str, Any]
) -> None:
    same_config(seed, canonical)


def test_every_seconds_is_written_as_an_interval() -> None:
    assert normalize_heartbeat_mapping(DAILY_SUMMARY_SEED) == {
        "every": "1d",
        "active_hours": {"start": "09:00", "end": "10:00"},
        "target": "none",
    }
    assert normalize_heartbeat_mapping({"every_seconds": 90})["every"] == "90s"
    assert normalize_heartbeat_mapping({"every_seconds": 0})["every"] == "0m"
    assert normalize_heartbeat_mapping({"every_seconds": "5400"})["every"] == "90m"


def test_daily_summary_seed_is_a_daily_beat_in_a_nine_to_ten_window() -> None:
    config = validate_heartbeat_config(DAILY_SUMMARY_SEED, source="seed")
    assert config.interval is not None and config.interval.total_seconds() == 86400
    assert config.active_hours is not None
    assert (config.active_hours.start, config.active_hours.end) == ("09:00", "10:00")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ({"DryRun": True, "MaxTokens": 10}, {"dry_run": True, "max_tokens": 10}),
        ({"ackMaxChars": 5, "dryRun": True}, {"ack_max_chars": 5, "dry_run": True}),
        (
            {"activeHours": {"start": "01:00", "end": "02:00", "timeZone": "UTC"}},
            {"active_hours": {"start": "01:00", "end": "02:00", "time_zone": "UTC"}},
        ),
        (
            {"Visibility": {"ShowOk": True, "showAlerts": False, "UseIndicator": True}},
            {"visibility": {"show_ok": True, "show_alerts": False, "use_indicator": True}},
        ),
        (
            {"Actions": {"Allowed": ["post"], "RequiresApproval": ["post"]}},
            {"actions": {"allowed": ["post"], "requires_approval": ["post"]}},
        ),
        (
            {"actions": {"limits": {"post": {"Max": 2, "Per": "1h"}}}},
            {"actions": {"limits": {"post": {"max": 2, "per": "1h"}}}},
        ),
        (
            {"IdlePause": "7d", "DailyTokenBudget": 9, "MaxToolCalls": 2, "EverySeconds": 60},
            {"idle_pause": "7d", "daily_token_budget": 9, "max_tool_calls": 2, "every": "1m"},
        ),
        (
            {"active_hours": {"start": 9, "end": 17}},
            {"active_hours": {"start": "09:00", "end": "17:00"}},
        ),
        (
            {"active_hours_start": "09:30", "active_hours_end": 24},
            {"active_hours": {"start": "09:30", "end": "24:00"}},
        ),
    ],
)
def test_pascal_camel_and_flat_spellings_are_recased(
    raw: dict[str, Any], canonical: dict[str, Any]
) -> None:
    if "time_zone" in str(canonical):
        # `timeZone` is not a spelling of `timezone`: refused as an unknown key.
        with pytest.raises(InvalidConfigError) as caught:
            normalize_heartbeat_mapping(raw)
        assert caught.value.issues[0].key == "active_hours.timeZone"
        return
    assert normalize_heartbeat_mapping(raw) == canonical


def test_snake_case() -> None:
    assert snake_case("AckMaxChars") == "ack_max_chars"
    assert snake_case("ackMaxChars") == "ack_max_chars"
    assert snake_case("ack_max_chars") == "ack_max_chars"
    assert snake_case("ShowOK") == "show_ok"
    assert snake_case("EVERY") == "every"


def problems_of(raw: dict[Any, Any]) -> list[str]:
    with pytest.raises(InvalidConfigError) as caught:
        normalize_heartbeat_mapping(raw)
    return caught.value.problems


def test_unknown_keys_are_refused_naming_the_key_and_the_known_ones() -> None:
    known = ", ".join((*HEARTBEAT_KEYS, *FLAT_KEYS))
    assert problems_of({"evrey": "1h"}) == [
        f"evrey: is not a known key (expected one of: {known}; did you mean every?)"
    ]
    assert problems_of({"colour": "blue"}) == [
        f"colour: is not a known key (expected one of: {known})"
    ]
    assert problems_of({"visibility": {"show_okay": True}}) == [
        "visibility.show_okay: is not a known key "
        "(expected one of: show_ok, show_alerts, use_indicator; did you mean show_ok?)"
    ]
    assert problems_of({"actions": {"limits": {"post": {"max": 1, "every": "1h"}}}}) == [
        "actions.limits.post.every: is not a known key (expected one of: max, per)"
    ]
    assert problems_of({3: "x"}) == [f"3: is not a known key (expected one of: {known})"]


def test_every_and_every_seconds_must_agree() -> None:
    assert normalize_heartbeat_mapping({"every": "1d", "every_seconds": 86400}) == {"every": "1d"}
    assert problems_of({"every": "30m", "every_seconds": 86400}) == [
        'every_seconds: 86400 conflicts with every: "30m" '
        "(expected only one of every and every_seconds, or both meaning the same)"
    ]


def test_two_spellings_of_one_key_must_agree() -> None:
    assert normalize_heartbeat_mapping({"dry_run": True, "DryRun": True}) == {"dry_run": True}
    assert problems_of({"dry_run": True, "DryRun": False}) == [
        "DryRun: False conflicts with dry_run: True (expected one)"
    ]


def test_flat_and_nested_active_hours_conflict() -> None:
    assert problems_of(
        {"active_hours": {"start": "09:00", "end": "10:00"}, "active_hours_start": 9}
    ) == [
        "active_hours_start: conflicts with active_hours "
        "(expected either active_hours or its flat keys)"
    ]


def test_half_a_flat_window_is_refused() -> None:
    assert problems_of({"active_hours_start": 9}) == [
        "active_hours_end: is missing (expected both active_hours_start and active_hours_end)"
    ]


@pytest.mark.parametrize("hour", [25, -1, 9.5, "25"])
def test_whole_hours_are_zero_to_twenty_four(hour: object) -> None:
    assert problems_of({"active_hours_start": hour, "active_hours_end": 10})[0].startswith(
        "active_hours.start: "
    )


@pytest.mark.parametrize("seconds", [-1, "soon", True, None, float("inf"), 10**30])
def test_every_seconds_must_be_a_number_of_seconds(seconds: object) -> None:
    [problem] = problems_of({"every_seconds": seconds})
    assert problem.startswith("every_seconds: ")


def test_a_mapping_is_required() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        normalize_heartbeat_mapping(["every", "1h"])  # type: ignore[arg-type]
    assert str(caught.value) == (
        "heartbeat: ['every', '1h'] is not a table (expected a table of heartbeat keys)"
    )


def test_shape_and_value_problems_are_reported_together() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        validate_heartbeat_config({"Evry": "1h", "target": "A B"}, source="x")
    assert [issue.key for issue in caught.value.issues] == ["Evry", "target"]


def test_partial_config_keeps_only_the_keys_given_in_canonical_form() -> None:
    assert validate_partial_config(
        {
            "Model": " llama3.2:1b ",
            "active_hours_start": 9,
            "active_hours_end": 17,
            "visibility": {"showOk": True},
            "actions": {"limits": {"post": "2/1h"}},
        },
        source="thread",
    ) == {
        "model": "llama3.2:1b",
        "active_hours": {"start": "09:00", "end": "17:00", "timezone": "user"},
        "visibility": {"show_ok": True},
        "actions": {"limits": {"post": [{"max": 2, "per": "1h"}]}},
    }
    assert validate_partial_config({}, source="thread") == {}
    assert validate_partial_config({"active_hours": None}, source="t") == {"active_hours": None}


PLAUSIBLE_KEYS = st.sampled_from(
    [
        *HEARTBEAT_KEYS,
        *FLAT_KEYS,
        "Every",
        "AckMaxChars",
        "ActiveHours",
        "activeHours",
        "DryRun",
        "start",
        "Start",
        "end",
        "timezone",
        "show_ok",
        "allowed",
        "limits",
        "post",
        "max",
        "per",
        "unknown",
    ]
)
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["30m", "0", "09:00", "24:00", "1/30m", "post", "UTC", "Mars/Base", "9"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(PLAUSIBLE_KEYS, children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(PLAUSIBLE_KEYS, JSONISH, max_size=8))
def test_arbitrary_mappings_raise_nothing_but_config_errors(raw: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        validate_heartbeat_config(raw, source="fuzz")
    with contextlib.suppress(ConfigError):
        validate_partial_config(raw, source="fuzz")


SECTIONS = st.fixed_dictionaries(
    {},
    optional={
        "active_hours": st.none()
        | st.dictionaries(st.sampled_from(["start", "End", "timezone", "x"]), JSONISH, max_size=4),
        "ActiveHours": JSONISH,
        "actions": st.dictionaries(
            st.sampled_from(["allowed", "requiresApproval", "limits", "x"]),
            JSONISH
            | st.dictionaries(
                st.sampled_from(["post", "comment", "vote", "message", "none", "x"]),
                JSONISH | st.lists(st.dictionaries(st.sampled_from(["max", "Per", "x"]), JSONISH)),
            ),
            max_size=4,
        ),
        "visibility": st.dictionaries(st.sampled_from(["showOk", "show_alerts", "x"]), JSONISH),
    },
)


@settings(max_examples=150, deadline=None)
@given(SECTIONS)
def test_arbitrary_sections_raise_nothing_but_config_errors(raw: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        validate_partial_config(raw, source="fuzz")
