"""Pins the public names of `soulbeat`: removing or renaming one is a breaking change."""

from __future__ import annotations

import inspect

import soulbeat

SPEC_NAMES = {
    "strip_heartbeat_token",
    "parse_response",
    "parse_interval",
    "ActiveHours",
    "is_within_active_hours",
    "is_heartbeat_content_effectively_empty",
    "parse_heartbeat_md",
    "load_soul",
    "format_soul_for_system_prompt",
}


def test_every_name_the_spec_uses_is_exported() -> None:
    assert set(soulbeat.__all__) >= SPEC_NAMES
    for name in soulbeat.__all__:
        assert hasattr(soulbeat, name), name


def test_all_is_exactly_the_pinned_list() -> None:
    assert sorted(soulbeat.__all__) == sorted(
        SPEC_NAMES
        | {
            "HEARTBEAT_TOKEN",
            "ConfigError",
            "HeartbeatInstructions",
            "InvalidActiveHoursError",
            "InvalidIntervalError",
            "InvalidTimezoneError",
            "ResponseParse",
            "Skill",
            "Soul",
            "SoulLoadResult",
            "SoulbeatError",
            "StripResult",
            "WorkspaceError",
            "__version__",
            "due_tasks",
            "format_interval",
            "load_bootstrap_files",
            "load_skills",
        }
    )


def test_signatures_match_the_spec() -> None:
    strip = inspect.signature(soulbeat.strip_heartbeat_token)
    assert strip.parameters["mode"].kind is inspect.Parameter.KEYWORD_ONLY
    assert strip.parameters["mode"].default == "heartbeat"
    assert strip.parameters["ack_max_chars"].default == 300
    assert inspect.signature(soulbeat.parse_response).parameters["ack_max_chars"].default == 300
    load = inspect.signature(soulbeat.load_soul)
    assert {"cwd", "soul_path", "home"} <= set(load.parameters)
    assert all(
        load.parameters[n].kind is inspect.Parameter.KEYWORD_ONLY
        for n in ("cwd", "soul_path", "home")
    )
    active = inspect.signature(soulbeat.is_within_active_hours)
    assert active.parameters["user_timezone"].default == "UTC"
    assert soulbeat.ActiveHours("09:00", "17:00").timezone == "user"


def test_result_objects_have_the_documented_fields() -> None:
    stripped = soulbeat.strip_heartbeat_token("HEARTBEAT_OK")
    assert (stripped.should_skip, stripped.text, stripped.did_strip) == (True, "", True)
    parsed = soulbeat.parse_response("HEARTBEAT_OK")
    assert (parsed.is_ok, parsed.position, parsed.content, parsed.should_drop) == (
        True,
        "start",
        "",
        True,
    )
    md = soulbeat.parse_heartbeat_md("## Checklist\n- a\n")
    assert {"checklist", "rules", "behaviors", "sections", "tasks"} <= set(dir(md))


def test_errors_share_one_root_and_config_errors_are_value_errors() -> None:
    assert issubclass(soulbeat.InvalidIntervalError, soulbeat.ConfigError)
    assert issubclass(soulbeat.ConfigError, ValueError)
    assert issubclass(soulbeat.ConfigError, soulbeat.SoulbeatError)
    assert issubclass(soulbeat.WorkspaceError, soulbeat.SoulbeatError)
