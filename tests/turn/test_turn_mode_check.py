"""Issue 14: ``soulbeat doctor`` says what ``decision_mode = auto`` picks for each configured
model — probing the server as the runner does — and counts the prompt budget in that mode."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.config.settings import Settings
from soulbeat.doctor import diagnose
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.workspace.templates import init_workspace

Honour = Literal["honour", "refuse", "ignore", "json_object"]


def settings_for(tmp_path: Path, url: str, kind: str = "openai", **extra: Any) -> Settings:
    root = tmp_path / "ws"
    if not root.exists():
        init_workspace(root, "daily-summary")
    return Settings(
        workspace=root,
        data_dir=tmp_path / "data",
        llm_provider=kind,
        llm_base_url=url if kind == "ollama" else f"{url}/v1",
        llm_model="fake-model",
        **extra,
    )


@pytest.mark.parametrize("kind", ["openai", "ollama"])
@pytest.mark.parametrize(
    ("behaviour", "picked"),
    [("honour", "schema"), ("json_object", "schema"), ("refuse", "tools"), ("ignore", "tools")],
)
def test_doctor_probes_what_auto_picks_and_budgets_that_mode(
    tmp_path: Path, kind: str, behaviour: Honour, picked: str
) -> None:
    with FakeLLMServer(structured_output=behaviour) as server:
        settings = settings_for(tmp_path, server.url, kind)
        report = diagnose(
            settings.workspace, settings=settings, home=tmp_path / "home", probe_model=True
        )
        probes = [r for r in server.requests if r.get("max_tokens") == 16 or "format" in r]
    if kind == "ollama" and behaviour == "json_object":
        picked = "schema"  # Ollama has no json_object flavour: the fake server answers in it
    (pick,) = report.details["decision_modes"]
    assert pick["model"] == "fake-model" and pick["agents"] == ["default"]
    assert (pick["configured"], pick["mode"]) == ("auto", picked)
    budget = report.details["budget"]
    assert budget["mode"] == picked and budget["mode_known"] is True
    assert probes, "the probe was sent"


def test_without_the_model_auto_is_unknown_and_the_budget_is_the_larger_one(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    report = diagnose(settings.workspace, settings=settings, home=tmp_path / "home")
    (pick,) = report.details["decision_modes"]
    assert pick["mode"] is None and "not probed" in pick["why"]
    assert report.details["budget"]["mode"] == "tools"
    assert report.details["budget"]["mode_known"] is False


def test_each_configured_model_and_mode_gets_its_own_line(tmp_path: Path) -> None:
    models = ("fake-model", "big-model", "tool-model")
    with FakeLLMServer(structured_output="honour", models=models) as server:
        init_workspace(tmp_path / "ws", "daily-summary")
        other = tmp_path / "other"
        init_workspace(other)
        agents = {
            "default": {"workspace": tmp_path / "ws"},
            "pinned": {"workspace": other, "heartbeat": {"decision_mode": "text"}},
            "big": {"workspace": other, "heartbeat": {"model": "big-model"}},
            "gone": {"workspace": other, "heartbeat": {"model": "missing-model"}},
            "tooled": {
                "workspace": other,
                "heartbeat": {"model": "tool-model"},
                "mcp_servers": {"ci": {"command": [sys.executable, "-c", "pass"]}},
            },
        }
        settings = settings_for(tmp_path, server.url, agents=agents)
        report = diagnose(
            settings.workspace, settings=settings, home=tmp_path / "home", probe_model=True
        )
    picks = {(p["model"], p["configured"]): p for p in report.details["decision_modes"]}
    assert picks[("fake-model", "auto")]["mode"] == "schema"
    assert picks[("fake-model", "auto")]["agents"] == ["default"]
    assert picks[("fake-model", "text")]["mode"] == "text"
    assert picks[("fake-model", "text")]["why"] == "pinned"
    assert picks[("big-model", "auto")]["mode"] == "schema"
    gone = picks[("missing-model", "auto")]  # the server does not have it: unknown
    assert gone["mode"] is None and "told nothing" in gone["why"]
    tooled = picks[("tool-model", "auto")]
    assert tooled["mode"] == "tools" and "MCP" in tooled["why"]


def test_doctor_prints_the_pick(tmp_path: Path) -> None:
    with FakeLLMServer(structured_output="refuse") as server:
        settings = settings_for(tmp_path, server.url)
        toml = (
            f'llm_provider = "openai"\nllm_base_url = "{server.url}/v1"\nllm_model = "fake-model"\n'
        )
        (settings.workspace / "soulbeat.toml").write_text(toml)
        result = CliRunner().invoke(app, ["doctor", str(settings.workspace)])
    out = result.output
    assert "fake-model: decision_mode = auto → tools" in out, out
    assert "refused or ignored a JSON schema" in out
    assert "tools mode, what decision_mode = auto picks" in out
