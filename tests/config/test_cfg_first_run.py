"""Config that used to be accepted or to crash (issue 10): targets without a channel, intervals
under 1 s, absurd counts, lone surrogates; and the advice doctor gives (SPEC §9.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from soulbeat.config import InvalidConfigError, load_settings
from soulbeat.config.checks import config_warnings, target_problem
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.doctor import diagnose
from soulbeat.workspace.templates import init_workspace


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_target_problem_names_the_channels() -> None:
    assert target_problem("thread", ()) is None
    assert target_problem("pager", {"pager"}) is None
    assert "[channels.nosuch]" in (target_problem("nosuch", ()) or "")
    assert "expected thread, last, none, ops or pager" in (
        target_problem("nosuch", {"pager", "ops"}) or ""
    )


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[heartbeat]\ntarget = "nosuch"\n', "heartbeat.target"),
        ('[agents.ops]\nheartbeat = { target = "pager" }\n', "agents.ops.heartbeat.target"),
    ],
)
def test_a_file_target_without_a_channel_is_refused(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(_write(tmp_path / "soulbeat.toml", toml), env={})
    assert f"{key}: " in str(caught.value) and "is not a configured channel" in str(caught.value)
    channel = '[channels.pager]\nurl = "http://127.0.0.1:9/hook"\n[channels.nosuch]\nurl = "http://127.0.0.1:9/x"\n'
    settings = load_settings(_write(tmp_path / "ok.toml", toml + channel), env={})
    assert set(settings.channels) == {"pager", "nosuch"}


def test_an_environment_target_is_checked_against_the_file_channels(tmp_path: Path) -> None:
    file = _write(tmp_path / "soulbeat.toml", '[channels.pager]\nurl = "http://127.0.0.1:9/h"\n')
    assert load_settings(file, env={"SOULBEAT_HEARTBEAT_TARGET": "pager"}).heartbeat.target == (
        "pager"
    )
    with pytest.raises(InvalidConfigError, match="expected thread, last, none or pager"):
        load_settings(file, env={"SOULBEAT_HEARTBEAT_TARGET": "pagr"})


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"agents": {"\\ud800": {}}}', 'agents: has a key "\\ud800"'),
        ('{"heartbeat": {"prompt": "a\\udc80b"}}', 'heartbeat.prompt: "a\\udc80b"'),
        ('{"cors_origins": ["\\ud800"]}', 'cors_origins[0]: "\\ud800"'),
    ],
)
def test_a_lone_surrogate_is_a_named_error(tmp_path: Path, text: str, where: str) -> None:
    file = _write(tmp_path / "c.json", text)
    with pytest.raises(InvalidConfigError) as caught:
        load_settings(file, env={})
    message = str(caught.value)
    assert where in message and "lone surrogate" in message
    message.encode("utf-8")  # printable: the surrogate is shown escaped


def test_a_lone_surrogate_in_the_environment_is_a_named_error() -> None:
    with pytest.raises(InvalidConfigError, match=r'SOULBEAT_LLM_MODEL: "a\\udcff"'):
        load_settings(None, env={"SOULBEAT_LLM_MODEL": "a\udcff"})


def test_doctor_reports_a_surrogate_config_instead_of_crashing(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    file = _write(tmp_path / "c.json", '{"agents": {"\\ud800": {}}}')
    report = diagnose(tmp_path / "ws", config_file=file, env={})
    assert not report.ok
    assert any(f.topic == "config" and "lone surrogate" in f.message for f in report.findings)


@pytest.mark.parametrize(
    ("every", "warned"), [("10s", True), ("29s", True), ("30s", False), ("1s", True)]
)
def test_short_intervals_warn(every: str, warned: bool) -> None:
    warnings = config_warnings(HeartbeatConfig(every=every))
    assert bool(warnings) is warned


def test_doctor_warns_about_short_intervals_and_bad_skill_targets(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    skill = ws / ".agents" / "skills" / "pager-watch"
    skill.mkdir(parents=True)
    _write(
        skill / "SKILL.md",
        "---\nname: pager-watch\ndescription: watch the pager\n"
        "heartbeat:\n  every: 5s\n  target: pager\n---\nWatch.\n",
    )
    file = _write(tmp_path / "soulbeat.toml", '[heartbeat]\nevery = "15s"\n')
    report = diagnose(ws, config_file=file, env={})
    messages = [(f.level, f.topic, f.message) for f in report.findings]
    assert any(
        lvl == "warn" and t == "config" and '"15s" is under 30s' in m for lvl, t, m in messages
    )
    assert any(
        lvl == "error" and "skill pager-watch: target:" in m and "[channels.pager]" in m
        for lvl, _, m in messages
    )
    assert any(lvl == "warn" and "skill pager-watch" in m and '"5s"' in m for lvl, _, m in messages)
    assert not report.ok


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("every", "1ms", "is too short"),
        ("max_tokens", 10**500, "about 501 digits is too large"),
        ("daily_token_budget", 10**13, "is too large"),
        ("ack_max_chars", 10**40, "is too large"),
    ],
)
def test_out_of_range_values_are_named(key: str, value: object, words: str) -> None:
    with pytest.raises(InvalidConfigError, match=words) as caught:
        load_settings(None, env={}, overrides={"heartbeat": {key: value}})
    assert caught.value.issues[0].key.endswith(key)
