"""Precedence across default → file → env → agent → thread → skill, with a source per key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from soulbeat.config import (
    InvalidConfigError,
    effective_config,
    load_settings,
    resolve_effective,
    validate_thread_overrides,
)
from soulbeat.config.settings import Settings

SIX_LAYERS: list[tuple[str, Mapping[str, Any]]] = [
    ("file", {"every": "1h", "target": "none", "model": "file-model", "dry_run": True}),
    ("env", {"every": "2h", "model": "env-model", "temperature": 0.5}),
    ("agent", {"model": "agent-model", "max_tokens": 100}),
    ("thread", {"max_tokens": 200, "context": "full"}),
    ("skill", {"context": "light", "prompt": "Run the skill."}),
]

#: the heartbeat keys issue 15 added (memory, tools, the unchanged guard), last in the rows
ISSUE_15_KEYS = (
    "skip_unchanged",
    "scratch_max_bytes",
    "memory_edits",
    "soul_edits",
    "heartbeat_edits",
    "tools",
    "tool_timeout",
    "mcp_max_calls",
    "tool_result_chars",
    "mcp_result_chars",
)


def test_each_key_comes_from_the_highest_layer_that_sets_it() -> None:
    effective = resolve_effective(SIX_LAYERS)
    config = effective.config
    assert (config.every, config.target, config.model, config.dry_run) == (
        "2h",
        "none",
        "agent-model",
        True,
    )
    assert (config.temperature, config.max_tokens, config.context, config.prompt) == (
        0.5,
        200,
        "light",
        "Run the skill.",
    )
    assert {key: effective.source_of(key) for key in config.model_dump()} == {
        "enabled": "default",
        "every": "env",
        "target": "file",
        "to": "default",
        "prompt": "skill",
        "model": "agent",
        "temperature": "env",
        "max_tokens": "thread",
        "ack_max_chars": "default",
        "active_hours": "default",
        "include_reasoning": "default",
        "dry_run": "file",
        "context": "skill",
        "visibility": "default",
        "actions": "default",
        "dedupe": "default",
        "idle_pause": "default",
        "daily_token_budget": "default",
        "timeout": "default",
        "max_tool_calls": "default",
        "decision_mode": "default",
        "cron": "default",
        "timezone": "default",
        "quiet_after_message": "default",
        "dead_after": "default",
        "health_target": "default",
        "max_pending_reminders": "default",
        "reminder_min_delay": "default",
        **{key: "default" for key in ISSUE_15_KEYS},
        "prompt_profile": "default",
        "context_tokens": "default",
    }
    assert effective.sources["ack_max_chars"] == "default"
    assert effective.sources["actions.limits.vote"] == "default"


def test_rows_list_every_key_with_value_and_source() -> None:
    rows = resolve_effective(SIX_LAYERS).rows()
    assert rows[:3] == [
        ("enabled", True, "default"),
        ("every", "2h", "env"),
        ("target", "none", "file"),
    ]
    keys = [key for key, _, _ in rows]
    assert "visibility.show_ok" in keys
    assert ("actions.limits.comment", ["1/20s", "50/1d"], "default") in rows
    assert keys[-1] == ISSUE_15_KEYS[-1]  # issue 16's keys, then issue 15's, come last


def test_active_hours_are_replaced_whole_never_merged() -> None:
    effective = resolve_effective(
        [
            ("file", {"active_hours": {"start": "08:00", "end": "18:00", "timezone": "UTC"}}),
            ("thread", {"active_hours": {"start": "22:00", "end": "06:00"}}),
        ]
    )
    window = effective.config.active_hours
    assert window is not None
    # The thread's window keeps its own default timezone, not the file's UTC.
    assert (window.start, window.end, window.timezone) == ("22:00", "06:00", "user")
    assert effective.source_of("active_hours") == "thread"


def test_a_null_window_clears_a_lower_one() -> None:
    effective = resolve_effective(
        [
            ("file", {"active_hours_start": 9, "active_hours_end": 17}),
            ("thread", {"active_hours": None}),
        ]
    )
    assert effective.config.active_hours is None
    assert effective.source_of("active_hours") == "thread"


def test_visibility_merges_key_by_key() -> None:
    effective = resolve_effective(
        [
            ("file", {"visibility": {"show_alerts": False}}),
            ("thread", {"visibility": {"show_ok": True}}),
        ]
    )
    visibility = effective.config.visibility
    assert (visibility.show_ok, visibility.show_alerts, visibility.use_indicator) == (
        True,
        False,
        True,
    )
    assert effective.source_of("visibility.show_ok") == "thread"
    assert effective.source_of("visibility.show_alerts") == "file"
    assert effective.source_of("visibility.use_indicator") == "default"
    assert effective.source_of("visibility") == "thread"


def test_actions_merge_by_sub_key_and_limits_by_action_type() -> None:
    effective = resolve_effective(
        [
            ("file", {"actions": {"allowed": ["post", "message"], "limits": {"post": "2/1h"}}}),
            ("agent", {"actions": {"limits": {"vote": "10/1h"}}}),
            ("thread", {"actions": {"allowed": ["message"]}}),
        ]
    )
    actions = effective.config.actions
    assert actions.allowed == ("message",)  # lists replace: an entry can be removed
    assert [str(lim) for lim in actions.limits_for("post")] == ["2/1h"]
    assert [str(lim) for lim in actions.limits_for("vote")] == ["10/1h"]
    assert [str(lim) for lim in actions.limits_for("comment")] == ["1/20s", "50/1d"]
    assert effective.source_of("actions.allowed") == "thread"
    assert effective.source_of("actions.limits.post") == "file"
    assert effective.source_of("actions.limits.vote") == "agent"
    assert effective.source_of("actions.limits.comment") == "default"


def test_a_bad_layer_is_refused_naming_the_layer() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        resolve_effective([("file", {"every": "1h"}), ("thread", {"every": "1h 30m"})])
    assert str(caught.value) == (
        'thread: every: "1h 30m" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)'
    )


def test_layers_may_use_any_accepted_spelling() -> None:
    effective = resolve_effective(
        [("file", {"every_seconds": 3600}), ("skill", {"Every": "2h", "DryRun": True})]
    )
    assert (effective.config.every, effective.config.dry_run) == ("2h", True)
    assert effective.source_of("every") == "skill"


def test_thread_overrides_are_normalised_and_checked_for_storage() -> None:
    assert validate_thread_overrides({"Every": "1h", "model": " qwen2.5:0.5b "}) == {
        "every": "1h",
        "model": "qwen2.5:0.5b",
    }
    with pytest.raises(InvalidConfigError) as caught:
        validate_thread_overrides(
            {"active_hours": {"start": "09:00", "end": "17:00", "timezone": "Mars/Base"}}
        )
    assert caught.value.source == "thread"
    assert caught.value.issues[0].key == "active_hours.timezone"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_effective_config_uses_file_env_cli_agent_thread_and_skill(tmp_path: Path) -> None:
    config = write(
        tmp_path / "soulbeat.toml",
        """
[heartbeat]
every = "1h"
target = "none"
model = "file-model"

[agents.default.heartbeat]
model = "agent-model"
""",
    )
    settings = load_settings(
        config,
        env={"SOULBEAT_HEARTBEAT_EVERY": "2h", "SOULBEAT_HEARTBEAT_TEMPERATURE": "0.2"},
        overrides={"heartbeat": {"temperature": 0.4}},
    )
    effective = effective_config(
        settings, thread={"max_tokens": 50}, skill={"every": "3h", "target": "last"}
    )
    assert effective.config.model_dump(
        include={"every", "target", "model", "temperature", "max_tokens"}
    ) == {
        "every": "3h",
        "target": "last",
        "model": "agent-model",
        "temperature": 0.4,
        "max_tokens": 50,
    }
    assert {
        key: effective.source_of(key)
        for key in ("every", "target", "model", "temperature", "max_tokens", "dry_run")
    } == {
        "every": "skill",
        "target": "skill",
        "model": "agent",
        "temperature": "cli",
        "max_tokens": "thread",
        "dry_run": "default",
    }
    # Without thread and skill, the service-wide layers decide.
    plain = effective_config(settings)
    assert plain.config.every == "2h"
    assert plain.source_of("every") == "env"
    assert (
        settings.heartbeat
        == effective_config(
            Settings(heartbeat_layers=settings.heartbeat_layers, agents={"default": {}})
        ).config
    )


def test_effective_config_of_an_unknown_agent_is_refused() -> None:
    settings = Settings()
    with pytest.raises(InvalidConfigError) as caught:
        effective_config(settings, agent_id="ghost")
    assert caught.value.problems == ['agent: "ghost" is not a configured agent (expected default)']


def test_settings_built_directly_count_their_heartbeat_as_the_file_layer() -> None:
    settings = Settings(heartbeat={"Every": "5m"})
    assert settings.heartbeat.every == "5m"
    assert effective_config(settings).source_of("every") == "file"


def test_cron_and_every_replace_each_other_across_layers() -> None:
    """Issue 16: a thread's cron beats a file-wide every (and the other way round); one layer
    setting both is refused, naming cron."""
    cron = resolve_effective([("file", {"every": "1h"}), ("thread", {"cron": "0 9 * * 1-5"})])
    assert (cron.config.cron, cron.source_of("cron"), cron.source_of("every")) == (
        "0 9 * * 1-5",
        "thread",
        "default",
    )
    back = resolve_effective([("agent", {"cron": "0 9 * * *"}), ("thread", {"every": "2h"})])
    assert (back.config.cron, back.config.every) == (None, "2h")
    with pytest.raises(InvalidConfigError) as caught:
        resolve_effective([("thread", {"cron": "0 9 * * *", "every": "1h"})])
    assert caught.value.source == "thread"
    assert any("set together with every" in p for p in caught.value.problems)


def test_a_file_health_target_must_name_a_channel(tmp_path: Path) -> None:
    """Issue 16: like `target`, the alert target of the file layer is checked at load."""
    config = tmp_path / "soulbeat.toml"
    config.write_text('[heartbeat]\nhealth_target = "pager"\n')
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(config)
    assert 'heartbeat.health_target: "pager" is not a configured channel' in str(caught.value)
    config.write_text(
        '[heartbeat]\nhealth_target = "pager"\n[channels.pager]\nurl = "https://example.com/h"\n'
    )
    assert load_settings(config).heartbeat.health_target == "pager"
