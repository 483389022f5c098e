"""The CLI's API commands run in-process over a data directory, against a fake model server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.testing import FakeLLMServer
from soulbeat.workspace.templates import init_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(models=None) as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm: FakeLLMServer) -> Path:
    llm.reset()
    for name in ("SOULBEAT_CONFIG", "SOULBEAT_URL", "SOULBEAT_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOULBEAT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SOULBEAT_LLM_BASE_URL", llm.openai_url)
    monkeypatch.setenv("SOULBEAT_LLM_MODEL", "fake-model")
    monkeypatch.chdir(tmp_path)
    init_workspace(tmp_path / "ws")
    (tmp_path / "ws" / "HEARTBEAT.md").write_text("## Checklist\n- look at the disks\n")
    return tmp_path


def sb(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--workspace", "ws", "--data-dir", "data", *args], input=stdin)
    return result.exit_code, result.output


def sbj(*args: str) -> object:
    code, out = sb(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_threads_config_beat_history(home: Path, llm: FakeLLMServer) -> None:
    llm.on("look at the disks", reply="Disk 95% full on db-1.")
    assert sbj("threads", "add", "--id", "t1", "--title", "demo")["id"] == "t1"  # type: ignore[index]
    config = sbj("config", "set", "t1", "every=1h", "dry_run=false")
    rows = {r["key"]: r for r in config["effective"]}  # type: ignore[index]
    assert rows["every"]["value"] == "1h" and rows["every"]["source"] == "thread"
    beat = sbj("beat", "t1")
    assert beat["outcome"] == "sent"  # type: ignore[index]
    assert beat["alert_text"] == "Disk 95% full on db-1."  # type: ignore[index]
    again = sbj("beat", "t1")
    assert (again["outcome"], again["skip_reason"]) == ("skipped", "duplicate")  # type: ignore[index]
    history = sbj("history", "t1")
    assert [b["outcome"] for b in history["items"]] == ["skipped", "sent"]  # type: ignore[index]
    code, out = sb("history", "t1", "--outcome", "sent")
    assert code == 0 and "Disk 95%" in out
    record = json.loads(sb("audit", str(beat["id"]))[1])  # type: ignore[index]
    assert "look at the disks" in json.dumps(record)


def test_invalid_config_is_refused_whole_with_the_key_named(home: Path) -> None:
    sb("threads", "add", "--id", "t1")
    code, out = sb(
        "config", "set", "t1", "every=2h", "active_hours.start=25:00", "active_hours.end=10:00"
    )
    assert code == 1
    assert "active_hours.start" in out and "25:00" in out
    rows = {r["key"]: r for r in sbj("config", "show", "t1")["effective"]}  # type: ignore[index]
    assert rows["every"]["value"] == "30m"  # nothing half-applied


def test_unknown_thread_is_a_clear_error(home: Path) -> None:
    code, out = sb("beat", "nope")
    assert code == 1
    assert "nope" in out


def test_status_start_stop_survive_a_restart(home: Path) -> None:
    assert sbj("stop")["running"] is False  # type: ignore[index]
    assert sbj("status")["running"] is False  # type: ignore[index]
    assert sbj("start")["running"] is True  # type: ignore[index]


def test_soul_history_diff_and_rollback(home: Path) -> None:
    original = sb("soul", "show")[1]
    assert "SOUL.md" in original
    assert sb("soul", "set", "-", stdin="# SOUL\nBe brief.\n")[0] == 0
    versions = sbj("soul", "history")["items"]  # type: ignore[index]
    assert [v["source"] for v in versions] == ["api", "disk"]
    code, diff = sb("soul", "diff", "1", "2")
    assert code == 0 and "+Be brief." in diff
    assert sb("soul", "rollback", "1")[0] == 0
    assert sb("soul", "show")[1] == original
    assert (home / "ws" / "SOUL.md").read_text() == original


def test_heartbeat_md_set_and_show(home: Path) -> None:
    assert sb("heartbeat-md", "set", "-", stdin="## Rules\n- stay quiet\n")[0] == 0
    assert sb("heartbeat-md", "show")[1] == "## Rules\n- stay quiet\n"
    assert len(sbj("heartbeat-md", "history")["items"]) >= 2  # type: ignore[index]


def test_send_gets_the_agents_reply_and_wake_queues_an_event(
    home: Path, llm: FakeLLMServer
) -> None:
    llm.on("hello agent", reply="Hello, person.")
    sb("threads", "add", "--id", "t1")
    sent = sbj("send", "t1", "hello agent")
    assert sent["reply"]["text"] == "Hello, person."  # type: ignore[index]
    queued = sbj("wake", "t1", "--text", "deploy finished", "--next")
    assert "deploy finished" in json.dumps(queued)


def test_remote_mode_reports_an_unreachable_server(home: Path) -> None:
    result = runner.invoke(app, ["--url", "http://127.0.0.1:9", "status"])
    assert result.exit_code == 1
    assert "cannot reach soulbeat at http://127.0.0.1:9" in result.output
