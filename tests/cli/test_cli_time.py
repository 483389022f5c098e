"""Issue 16's commands in-process: remind, reminders list/cancel, schedule, config show's next
fires and status's unhealthy line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
    for name in ("SOULBEAT_CONFIG", "SOULBEAT_URL", "SOULBEAT_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOULBEAT_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SOULBEAT_LLM_BASE_URL", llm.openai_url)
    monkeypatch.setenv("SOULBEAT_LLM_MODEL", "fake-model")
    monkeypatch.chdir(tmp_path)
    init_workspace(tmp_path / "ws")
    return tmp_path


def sb(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--workspace", "ws", "--data-dir", "data", *args])
    return result.exit_code, result.output


def sbj(*args: str) -> dict:  # type: ignore[type-arg]
    code, out = sb(*args, "--json")
    assert code == 0, out
    return json.loads(out)  # type: ignore[no-any-return]


def test_remind_list_cancel(home: Path) -> None:
    sbj("threads", "add", "--id", "t1")
    first = sbj("remind", "t1", "stretch", "--in", "2h")
    assert first["status"] == "pending" and first["text"] == "stretch"
    later = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT08:00")
    second = sbj("remind", "t1", "call the bank", "--at", later, "--urgent")
    assert second["urgent"] is True
    listed = sbj("reminders", "list", "t1")
    assert [r["text"] for r in listed["items"]] == ["stretch", "call the bank"]
    assert sbj("reminders", "cancel", "t1", str(first["id"]))["status"] == "cancelled"
    pending = sbj("reminders", "list", "t1", "--status", "pending")
    assert [r["id"] for r in pending["items"]] == [second["id"]]
    code, out = sb("remind", "t1", "x", "--in", "soon")
    assert code != 0 and "in:" in out
    code, out = sb("reminders", "list", "t1")
    assert code == 0 and "call the bank" in out


def test_schedule_and_config_show_list_the_next_fires(home: Path) -> None:
    sbj("threads", "add", "--id", "t1")
    config = sbj("config", "set", "t1", "cron=0 9 * * MON-FRI", "timezone=Europe/Berlin")
    assert len(config["next_fires"]) == 5
    code, out = sb("config", "show", "t1")
    assert code == 0 and "next fires:" in out
    schedule = sbj("schedule", "t1")
    assert schedule["cron"] == "0 9 * * MON-FRI" and schedule["next_fires"] == config["next_fires"]
    assert schedule["health"]["state"] == "healthy"
    code, out = sb("schedule", "t1")
    assert code == 0 and "0 9 * * MON-FRI" in out and "healthy" in out
    code, out = sb("config", "set", "t1", "cron=0 9 * *")
    assert code != 0 and "cron" in out and "4 fields" in out
    code, out = sb("status")
    assert code == 0 and "unhealthy" in out
