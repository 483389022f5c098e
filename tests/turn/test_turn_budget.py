"""Doctor's prompt budget (issue 14 item 3): the main heartbeat's prompt, part by part, in both
profiles, against the context window the model server reports."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.config.settings import Settings
from soulbeat.doctor import diagnose
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.turn.budget import BUDGET_PARTS, prompt_budget
from soulbeat.workspace.loader import load_workspace
from soulbeat.workspace.templates import init_workspace


def workspace(tmp_path: Path, template: str = "daily-summary") -> Path:
    root = tmp_path / "ws"
    init_workspace(root, template)
    return root


def test_the_compact_budget_is_smaller_in_every_part_that_has_prose(tmp_path: Path) -> None:
    ws = load_workspace(workspace(tmp_path), home=tmp_path / "home")
    config = HeartbeatConfig(actions={"allowed": ["message", "none", "post"]})
    full = prompt_budget(ws, config, "full", "tools")
    compact = prompt_budget(ws, config, "compact", "tools")
    assert set(full.parts) == set(BUDGET_PARTS)
    for part in ("rules", "soul", "tool_schemas", "other"):
        assert compact.parts[part] < full.parts[part], part
    assert compact.parts["tasks"] <= full.parts["tasks"]
    assert compact.total < 0.7 * full.total
    schema = prompt_budget(ws, config, "full", "schema")
    assert schema.parts["tool_schemas"] > 0  # the decision schema is counted in schema mode
    assert prompt_budget(ws, config, "full", "text").parts["tool_schemas"] == 0
    # issue 14: schema mode's decision carries heartbeat_remind as its "calls"
    bare = HeartbeatConfig(actions={"allowed": ["message", "none", "post"]}, max_tool_calls=0)
    without = prompt_budget(ws, bare, "full", "schema")
    assert schema.parts["tool_schemas"] > without.parts["tool_schemas"]
    assert schema.parts["other"] > without.parts["other"]  # the "Tools you may call" lines


def test_doctor_reports_the_budget_against_the_reported_window(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    with FakeLLMServer(context_tokens=1024) as server:
        settings = Settings(
            workspace=root,
            data_dir=tmp_path / "data",
            llm_provider="ollama",
            llm_base_url=server.url,
            llm_model="fake-model",
        )
        report = diagnose(root, settings=settings, home=tmp_path / "home", probe_model=True)
    budget = report.details["budget"]
    assert budget["context_window"] == {"tokens": 1024, "source": "ollama /api/show num_ctx"}
    assert budget["profile"] == "compact" and budget["configured_profile"] == "auto"
    full = budget["profiles"]["full"]
    assert full["total"] == sum(full[part] for part in BUDGET_PARTS)
    assert budget["profiles"]["compact"]["total"] < full["total"]
    warned = [f.message for f in report.findings if f.topic == "budget"]
    assert (budget["profiles"]["compact"]["total"] > 768) == bool(warned)


def test_doctor_prints_the_budget_with_context_tokens_from_the_config(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "soulbeat.toml").write_text("[heartbeat]\ncontext_tokens = 300\n")
    result = CliRunner().invoke(app, ["doctor", str(root), "--no-model"])
    out = result.output
    assert "prompt budget" in out and "tool schemas" in out
    assert "model context: 300 tokens (config context_tokens)" in out
    assert "prompt_profile = auto → compact" in out
    assert "budget:" in out  # the prompt alone takes more than 3/4 of 300 tokens: a warning
