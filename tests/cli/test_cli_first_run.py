"""What a new user trips over on the command line (issue 10): the kill-switch variable, `--json`
on every command and in front of it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.testing import FakeLLMServer
from soulbeat.testing.llm_server import unused_local_url
from soulbeat.workspace.templates import init_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(models=None) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm: FakeLLMServer) -> Path:
    llm.reset()
    for name in (
        "SOULBEAT_CONFIG",
        "SOULBEAT_URL",
        "SOULBEAT_API_TOKEN",
        "SOULBEAT_HEARTBEAT_ENABLED",
        "CRT_HEARTBEAT_ENABLED",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOULBEAT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SOULBEAT_LLM_BASE_URL", llm.openai_url)
    monkeypatch.setenv("SOULBEAT_LLM_MODEL", "fake-model")
    monkeypatch.chdir(tmp_path)
    init_workspace(tmp_path / "ws")
    (tmp_path / "ws" / "HEARTBEAT.md").write_text("## Checklist\n- look at the disks\n")
    return tmp_path


def sb(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--workspace", "ws", "--data-dir", "data", *args], env=env)
    return result.exit_code, result.output


def sbj(*args: str, env: dict[str, str] | None = None) -> object:
    code, out = sb(*args, "--json", env=env)
    assert code == 0, out
    return json.loads(out)


@pytest.mark.parametrize("variable", ["SOULBEAT_HEARTBEAT_ENABLED", "CRT_HEARTBEAT_ENABLED"])
def test_kill_switch_variable_does_not_rewrite_the_stored_switch(home: Path, variable: str) -> None:
    held = sbj("status", env={variable: "false"})
    assert held["running"] is False and held["held_by_kill_switch"] is True  # type: ignore[index]
    code, out = sb("status", env={variable: "false"})
    assert code == 0 and "heartbeat_enabled=false" in out
    after = sbj("status")
    assert after["running"] is True and after["held_by_kill_switch"] is False  # type: ignore[index]


def test_stop_is_still_stored_and_start_resumes(home: Path) -> None:
    assert sbj("stop")["running"] is False  # type: ignore[index]
    assert sbj("status")["running"] is False  # type: ignore[index]
    assert sbj("start", env={"SOULBEAT_HEARTBEAT_ENABLED": "false"})["running"] is True  # type: ignore[index]
    assert sbj("status")["running"] is True  # type: ignore[index]


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    children = getattr(command, "commands", None)
    if children is None:
        yield " ".join(path), command
        return
    for name, child in children.items():
        yield from _leaves(child, (*path, name))


def test_every_command_takes_json() -> None:
    root = typer.main.get_command(app)
    leaves = dict(_leaves(root))
    assert {"status", "audit", "serve", "events", "ledger feed", "approvals show"} <= set(leaves)
    missing = [n for n, c in leaves.items() if not any("--json" in p.opts for p in c.params)]
    assert missing == []
    assert any("--json" in p.opts for p in root.params)


def test_audit_takes_json_and_json_may_come_first(home: Path, llm: FakeLLMServer) -> None:
    llm.on("look at the disks", reply="Disk 95% full on db-1.")
    sbj("threads", "add", "--id", "t1")
    beat = sbj("beat", "t1")
    record = sbj("audit", str(beat["id"]))  # type: ignore[index]
    assert record["id"] == beat["id"]  # type: ignore[index]
    code, out = sb("--json", "status")
    assert code == 0 and json.loads(out)["threads"] == 1
    code, out = sb("--json", "history", "t1")
    assert code == 0 and json.loads(out)["items"][0]["id"] == beat["id"]  # type: ignore[index]
    code, out = sb("--json", "doctor", "ws")
    assert json.loads(out)["workspace"].endswith("ws")
    code, out = sb("--json", "init", "--list")
    assert code == 0 and "default" in {t["name"] for t in json.loads(out)}


def test_config_set_refuses_bad_targets_and_warns_on_short_intervals(home: Path) -> None:
    sbj("threads", "add", "--id", "t1")
    code, out = sb("config", "set", "t1", "target=nosuch")
    assert code == 1 and "target" in out and "[channels.nosuch]" in out
    result = runner.invoke(
        app, ["--workspace", "ws", "--data-dir", "data", "config", "set", "t1", "every=10s"]
    )
    assert result.exit_code == 0
    assert 'warning: every: "10s" is under 30s' in result.stderr
    code, out = sb("config", "set", "t1", "every=1ms")
    assert code == 1 and "at least 1s" in out


def test_serve_and_doctor_name_a_lone_surrogate_instead_of_a_traceback(home: Path) -> None:
    (home / "c.json").write_text('{"agents": {"\\ud800": {}}}')
    code, out = sb("--config", "c.json", "serve", "--port", "1")
    assert code == 2 and "lone surrogate" in out and "Traceback" not in out
    code, out = sb("doctor", "ws", "--config", "c.json")
    assert code == 1 and "lone surrogate" in out


def test_a_template_workspace_config_is_read_by_cli_and_doctor_alike(home: Path) -> None:
    init_workspace(home / "tpl" / "daily-summary", "daily-summary")
    where = ["--workspace", "tpl/daily-summary", "--data-dir", "data2"]
    assert runner.invoke(app, [*where, "threads", "add", "--id", "x"]).exit_code == 0
    shown = runner.invoke(app, [*where, "--json", "config", "show", "x"])
    rows = {r["key"]: r for r in json.loads(shown.output)["effective"]}
    assert (rows["every"]["value"], rows["every"]["source"]) == ("1d", "file")
    assert rows["active_hours"]["value"]["start"] == "09:00"
    report = json.loads(runner.invoke(app, ["doctor", "tpl/daily-summary", "--json"]).output)
    assert report["config_file"].endswith("tpl/daily-summary/soulbeat.toml")
    every = {r["key"]: r for r in report["heartbeat"]["effective"]}["every"]
    assert (every["value"], every["source"]) == ("1d", "file")


def test_doctor_checks_the_model_server(home: Path, llm: FakeLLMServer) -> None:
    llm.on("ping", tool_calls=[("ping", {})])
    report = sbj("doctor", "ws")
    assert report["model"]["reachable"] is True and report["model"]["tool_calls"] is True  # type: ignore[index]
    code, out = sb("doctor", "ws", env={"SOULBEAT_LLM_MODEL": "qwen9"})
    assert code == 1 and "no model 'qwen9'" in out
    code, out = sb("doctor", "ws", "--no-model", env={"SOULBEAT_LLM_MODEL": "qwen9"})
    assert "no model 'qwen9'" not in out  # not asked; the decision-mode line only names it
    assert "qwen9: decision_mode = auto → unknown" in out


def test_init_ends_with_the_command_that_serves_it(home: Path) -> None:
    code, out = sb("init", "fresh")
    assert code == 0
    assert "write what to check in fresh/HEARTBEAT.md" in out
    assert out.rstrip().endswith("serve it: soulbeat serve --workspace fresh")
    code, out = sb("init", "daily", "--template", "daily-summary")
    assert "write what to check" not in out  # the template's HEARTBEAT.md has content
    assert out.rstrip().endswith("soulbeat serve --workspace daily")


def test_events_says_it_follows_from_now_and_how_to_replay(home: Path) -> None:
    result = runner.invoke(app, ["--url", unused_local_url(), "events"])
    assert result.exit_code == 1
    assert "from now on" in result.stderr and "soulbeat events --after 0" in result.stderr


@pytest.mark.slow
def test_serve_says_what_is_wrong_with_the_model_and_what_happens_next(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOULBEAT_")}
    dead = unused_local_url()
    env |= {"HOME": str(tmp_path), "SOULBEAT_LLM_BASE_URL": dead}
    args = [sys.executable, "-m", "soulbeat", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines: list[str] = []
        assert proc.stderr is not None
        for line in proc.stderr:  # the start screen is printed once the port is bound
            lines.append(line)
            if "next: to see what a beat would do" in line:
                break
        screen = "".join(lines)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert f"soulbeat serving http://127.0.0.1:{port}" in screen
    assert f"model server problem: the model server at {dead} does not answer" in screen
    assert "SOULBEAT_LLM_BASE_URL" in screen
    assert "HEARTBEAT.md is effectively empty: scheduled beats are skipped" in screen
    assert "no threads yet" in screen


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
