"""`HeartbeatConfig` and `validate_heartbeat_config`: every key's default, valid and invalid
values, and the exact wording of each refusal (key, value, expected form)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from soulbeat.config import (
    DEFAULT_HEARTBEAT_PROMPT,
    HeartbeatConfig,
    InvalidConfigError,
    RateLimit,
    validate_heartbeat_config,
)
from soulbeat.contract.active_hours import (
    EXPECTED_END,
    EXPECTED_HHMM,
    EXPECTED_TIMEZONE,
    ActiveHours,
)
from soulbeat.errors import ConfigError


def refusal(mapping: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidConfigError) as caught:
        validate_heartbeat_config(mapping, source="test")
    return caught.value.problems


def test_defaults_are_those_of_the_spec() -> None:
    config = validate_heartbeat_config({}, source="test")
    assert config.model_dump(mode="json") == {
        "enabled": True,
        "every": "30m",
        "target": "thread",
        "to": None,
        "prompt": None,
        "model": None,
        "temperature": None,
        "max_tokens": None,
        "ack_max_chars": 300,
        "active_hours": None,
        "include_reasoning": False,
        "dry_run": False,
        "context": "light",
        "visibility": {"show_ok": False, "show_alerts": True, "use_indicator": True},
        "actions": {
            "allowed": ["message", "none"],
            "requires_approval": [],
            "limits": {
                "post": [{"max": 1, "per": "30m"}],
                "comment": [{"max": 1, "per": "20s"}, {"max": 50, "per": "1d"}],
                "vote": [{"max": 60, "per": "1h"}],
                "message": [],
            },
        },
        "dedupe": "exact",
        "idle_pause": "14d",
        "daily_token_budget": None,
        "timeout": None,
        "max_tool_calls": 8,
        "decision_mode": "auto",
        "cron": None,
        "timezone": "user",
        "quiet_after_message": "0",
        "dead_after": None,
        "health_target": "none",
        "max_pending_reminders": 10,
        "reminder_min_delay": "5m",
        # issue 15
        "skip_unchanged": True,
        "scratch_max_bytes": 262144,
        "memory_edits": True,
        "soul_edits": "off",
        "heartbeat_edits": "off",
        "tools": ["*"],
        "tool_timeout": "20s",
        "mcp_max_calls": 5,
        "tool_result_chars": 8000,
        "mcp_result_chars": 32000,
        "prompt_profile": "auto",
        "context_tokens": None,
    }
    assert config.interval == timedelta(minutes=30)
    assert config.effective_prompt == DEFAULT_HEARTBEAT_PROMPT
    assert config.active_window is None


@pytest.mark.parametrize(
    ("key", "given", "stored"),
    [
        ("enabled", False, False),
        ("every", "2h30m", "2h30m"),
        ("every", " 90s ", "90s"),
        ("every", "0m", "0m"),
        ("target", "last", "last"),
        ("target", "none", "none"),
        ("target", "ops-alerts_2", "ops-alerts_2"),
        ("to", " +15551234567 ", "+15551234567"),
        ("to", "  ", None),
        ("prompt", "Check the build.", "Check the build."),
        ("prompt", "", None),
        ("model", " llama3.2:1b ", "llama3.2:1b"),
        ("model", None, None),
        ("temperature", 0, 0.0),
        ("temperature", 2, 2.0),
        ("temperature", 0.3, 0.3),
        ("max_tokens", 200, 200),
        ("max_tokens", 200.0, 200),
        ("ack_max_chars", 0, 0),
        ("ack_max_chars", -5, 0),
        ("include_reasoning", True, True),
        ("dry_run", True, True),
        ("context", "full", "full"),
        ("dedupe", "fuzzy", "fuzzy"),
        ("dedupe", "off", "off"),
        ("dedupe", False, "off"),
        ("idle_pause", "0", "0"),
        ("idle_pause", "7d", "7d"),
        ("daily_token_budget", 50_000, 50_000),
        ("timeout", "2m", "2m"),
        ("max_tool_calls", 0, 0),
        ("max_tool_calls", 20, 20),
    ],
)
def test_valid_values(key: str, given: object, stored: object) -> None:
    config = validate_heartbeat_config({key: given}, source="test")
    assert getattr(config, key) == stored


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (
            {"every": "1h 30m"},
            'every: "1h 30m" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)',
        ),
        ({"every": 30}, "every: 30 is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)"),
        (
            {"target": "Foo Bar"},
            'target: "Foo Bar" is not a target (expected thread, last, none or a channel name)',
        ),
        (
            {"target": "-ops"},
            'target: "-ops" is not a target (expected thread, last, none or a channel name)',
        ),
        ({"enabled": "yes"}, 'enabled: "yes" is not a boolean (expected true or false)'),
        ({"dry_run": 1}, "dry_run: 1 is not a boolean (expected true or false)"),
        (
            {"include_reasoning": None},
            "include_reasoning: None is not a boolean (expected true or false)",
        ),
        (
            {"to": 15551234567},
            "to: 15551234567 is not a recipient (expected text such as +15551234567 or a user id)",
        ),
        (
            {"prompt": ["a"]},
            "prompt: ['a'] is not a prompt (expected text, or nothing for the default prompt)",
        ),
        (
            {"model": "llama 3"},
            'model: "llama 3" is not a model name (expected a name such as llama3.2:1b)',
        ),
        (
            {"temperature": 2.5},
            "temperature: 2.5 is out of range (expected a number from 0 to 2)",
        ),
        (
            {"temperature": -0.1},
            "temperature: -0.1 is out of range (expected a number from 0 to 2)",
        ),
        (
            {"temperature": "hot"},
            'temperature: "hot" is not a number (expected a number from 0 to 2)',
        ),
        (
            {"temperature": True},
            "temperature: True is not a number (expected a number from 0 to 2)",
        ),
        (
            {"max_tokens": 0},
            "max_tokens: 0 is too small (expected a positive whole number, such as 200)",
        ),
        (
            {"max_tokens": 1.5},
            "max_tokens: 1.5 is not a whole number (expected a positive whole number, such as 200)",
        ),
        (
            {"ack_max_chars": "300"},
            'ack_max_chars: "300" is not a whole number (expected a whole number, such as 300)',
        ),
        (
            {"context": "heavy"},
            'context: "heavy" is not a context (expected light or full)',
        ),
        (
            {"dedupe": "smart"},
            'dedupe: "smart" is not a dedupe mode (expected exact, fuzzy or off)',
        ),
        (
            {"idle_pause": "two weeks"},
            'idle_pause: "two weeks" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)',
        ),
        (
            {"daily_token_budget": -1},
            "daily_token_budget: -1 is too small (expected a positive whole number, such as 50000)",
        ),
        (
            {"timeout": "0m"},
            'timeout: "0m" is not a positive duration (expected such as 10m, 90s or 1h)',
        ),
        (
            {"max_tool_calls": -1},
            "max_tool_calls: -1 is too small (expected a whole number >= 0, such as 8)",
        ),
        (
            {"visibility": {"show_ok": "on"}},
            'visibility.show_ok: "on" is not a boolean (expected true or false)',
        ),
        (
            {"visibility": "quiet"},
            'visibility: "quiet" is not a table (expected a table of visibility keys)',
        ),
        (
            {"active_hours": {"start": "9:00", "end": "17:00"}},
            f'active_hours.start: "9:00" is not a time (expected {EXPECTED_HHMM})',
        ),
        (
            {"active_hours": {"start": "24:00", "end": "17:00"}},
            'active_hours.start: "24:00" is allowed only as the end of a window '
            f"(expected {EXPECTED_HHMM})",
        ),
        (
            {"active_hours": {"start": "09:00", "end": "24:01"}},
            f'active_hours.end: "24:01" is not a time of day (expected {EXPECTED_END})',
        ),
        (
            {"active_hours": {"start": "09:00"}},
            f"active_hours.end: None is missing (expected {EXPECTED_END})",
        ),
        (
            {"active_hours": {"start": "09:00", "end": "17:00", "timezone": "Mars/Base"}},
            f'active_hours.timezone: "Mars/Base" is not a known timezone '
            f"(expected {EXPECTED_TIMEZONE})",
        ),
        (
            {"actions": {"allowed": ["post", "tweet"]}},
            'actions.allowed[1]: "tweet" is not an action type '
            "(expected post, comment, vote, message or none)",
        ),
        (
            {"actions": {"allowed": "post"}},
            'actions.allowed: "post" is not a list of action types '
            "(expected post, comment, vote, message or none)",
        ),
        (
            {"actions": {"requires_approval": ["none"]}},
            'actions.requires_approval[0]: "none" is not an action type '
            "(expected post, comment, vote or message)",
        ),
        (
            {"actions": {"limits": {"post": "often"}}},
            'actions.limits.post: "often" is not a rate limit '
            '(expected a limit such as "1/30m" or {max = 1, per = "30m"})',
        ),
        (
            {"actions": {"limits": {"comment": ["1/20s", {"max": 0, "per": "1d"}]}}},
            "actions.limits.comment[1].max: 0 is too small "
            "(expected a positive whole number, such as 1)",
        ),
        (
            {"actions": {"limits": {"vote": {"max": 60, "per": "0m"}}}},
            'actions.limits.vote.per: "0m" is not a positive duration '
            "(expected such as 10m, 90s or 1h)",
        ),
        (
            {"actions": {"limits": {"none": "1/1h"}}},
            'actions.limits.none: "none" is not an action type '
            "(expected post, comment, vote or message)",
        ),
    ],
)
def test_invalid_values_are_refused_naming_key_value_and_form(
    mapping: dict[str, Any], problem: str
) -> None:
    assert refusal(mapping) == [problem]


def test_every_problem_is_listed_in_one_error() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        validate_heartbeat_config(
            {"every": "1h 30m", "target": "Foo Bar", "Temperature": 9}, source="soulbeat.toml"
        )
    error = caught.value
    assert isinstance(error, ConfigError)
    assert isinstance(error, ValueError)
    assert error.source == "soulbeat.toml"
    assert error.key == "every"
    assert error.problems == [
        'every: "1h 30m" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)',
        'target: "Foo Bar" is not a target (expected thread, last, none or a channel name)',
        "temperature: 9 is out of range (expected a number from 0 to 2)",
    ]
    assert str(error) == "soulbeat.toml: 3 problems:\n" + "\n".join(
        f"  - {line}" for line in error.problems
    )


def test_a_single_problem_is_one_line() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        validate_heartbeat_config({"every": "oops"}, source="thread")
    assert str(caught.value) == (
        'thread: every: "oops" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)'
    )
    assert caught.value.value == "oops"


def test_config_is_frozen_and_refuses_unknown_keys() -> None:
    config = HeartbeatConfig()
    with pytest.raises(ValueError):
        config.every = "1h"
    with pytest.raises(ValueError):
        HeartbeatConfig.model_validate({"evry": "1h"})


def test_active_hours_become_the_contract_window() -> None:
    config = validate_heartbeat_config(
        {"active_hours": {"start": "22:00", "end": "06:00", "timezone": " Europe/Berlin "}},
        source="test",
    )
    assert config.active_window == ActiveHours("22:00", "06:00", "Europe/Berlin")
    config = validate_heartbeat_config(
        {"active_hours": {"start": "08:00", "end": "24:00", "timezone": "LOCAL"}}, source="test"
    )
    assert config.active_window == ActiveHours("08:00", "24:00", "local")
    assert validate_heartbeat_config(
        {"active_hours": {"start": "08:00", "end": "18:00"}}, source="test"
    ).active_window == ActiveHours("08:00", "18:00", "user")


@pytest.mark.parametrize(
    ("every", "timeout", "expected"),
    [
        ("30m", None, timedelta(minutes=10)),
        ("90s", None, timedelta(seconds=90)),
        ("0m", None, timedelta(minutes=10)),
        ("30m", "45s", timedelta(seconds=45)),
        ("10s", "1h", timedelta(hours=1)),
    ],
)
def test_effective_timeout_is_min_of_every_and_ten_minutes(
    every: str, timeout: str | None, expected: timedelta
) -> None:
    config = validate_heartbeat_config({"every": every, "timeout": timeout}, source="test")
    assert config.effective_timeout() == expected


def test_intervals_and_disabled_values() -> None:
    config = validate_heartbeat_config({"every": "0m", "idle_pause": "0"}, source="test")
    assert config.interval is None
    assert config.idle_pause_interval is None
    assert HeartbeatConfig().idle_pause_interval == timedelta(days=14)


def test_rate_limits_in_short_and_long_form_and_defaults_kept_for_other_types() -> None:
    config = validate_heartbeat_config(
        {
            "actions": {
                "allowed": ["post", "comment", "post"],
                "requires_approval": ["post"],
                "limits": {"post": {"max": 2, "per": "1h"}, "message": ["5/1h", "20/1d"]},
            }
        },
        source="test",
    )
    actions = config.actions
    assert actions.allowed == ("post", "comment")
    assert actions.requires_approval == ("post",)
    assert actions.limits_for("post") == (RateLimit(max=2, per="1h"),)
    assert [str(lim) for lim in actions.limits_for("message")] == ["5/1h", "20/1d"]
    assert [str(lim) for lim in actions.limits_for("comment")] == ["1/20s", "50/1d"]
    assert actions.limits_for("none") == ()
    assert actions.limits_for("message")[1].window == timedelta(days=1)


def test_an_empty_limit_list_removes_the_limit() -> None:
    config = validate_heartbeat_config({"actions": {"limits": {"vote": []}}}, source="test")
    assert config.actions.limits_for("vote") == ()


def test_rate_limits_built_directly_are_checked_too() -> None:
    assert RateLimit(max=3, per=" 1h ").per == "1h"
    with pytest.raises(ValueError, match='per: "0m" is not a positive duration'):
        RateLimit(max=3, per="0m")
    with pytest.raises(ValueError, match="max: 0 is too small"):
        RateLimit(max=0, per="1h")
