"""`soulbeat init`, `soulbeat doctor` and `soulbeat parse-response`, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soulbeat.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # doctor reads the environment and ./soulbeat.toml; keep the developer's out of the tests.
    for name in ("SOULBEAT_CONFIG", "SOULBEAT_WORKSPACE", "SOULBEAT_DATA_DIR", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    if args[:1] == ("doctor",):  # these are about the workspace: no model server runs here
        args = (*args, "--no-model")
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_init_writes_the_default_template(tmp_path: Path) -> None:
    code, out = invoke("init", "ws", "--json")
    assert code == 0, out
    data = json.loads(out)
    names = {Path(p).relative_to(tmp_path / "ws").as_posix() for p in data["created"]}
    assert names == {
        "SOUL.md",
        "HEARTBEAT.md",
        "USER.md",
        "MEMORY.md",
        ".agents/skills/inbox-watch/SKILL.md",
        ".agents/skills/inbox-watch/HEARTBEAT.md",
    }
    assert data["kept"] == []


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "SOUL.md").write_text("mine\n")
    code, out = invoke("init", "ws", "--json")
    assert code == 0
    assert [Path(p).name for p in json.loads(out)["kept"]] == ["SOUL.md"]
    assert (tmp_path / "ws" / "SOUL.md").read_text() == "mine\n"
    code, out = invoke("init", "ws", "--json")
    assert json.loads(out)["created"] == []


def test_init_unknown_template_is_a_clear_error() -> None:
    code, out = invoke("init", "ws", "--template", "nope")
    assert code == 2
    assert 'template "nope" does not exist' in out
    assert "daily-summary" in out


@pytest.mark.parametrize("template", ["daily-summary", "high-frequency-voter", "silent-cost-saver"])
def test_seed_templates_pass_doctor(template: str) -> None:
    assert invoke("init", "ws", "--template", template)[0] == 0
    code, out = invoke("doctor", "ws", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["ok"] is True
    assert report["heartbeat_md"]["effectively_empty"] is False
    assert report["config_file"].endswith("soulbeat.toml")


def test_doctor_on_a_fresh_default_workspace() -> None:
    invoke("init", "ws")
    code, out = invoke("doctor", "ws", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["soul"]["source"] == "workspace"
    assert report["heartbeat_md"]["effectively_empty"] is True
    assert any(
        f["level"] == "warn" and "effectively empty" in f["message"] for f in report["findings"]
    )
    skill = report["skills"][0]
    assert (skill["name"], skill["scheduled"], skill["every"]) == ("inbox-watch", True, "1h")
    assert skill["active_hours"]["start"] == "08:00"
    # the default template's empty HEARTBEAT.md is a warning: --strict turns it into a failure
    assert invoke("doctor", "ws", "--strict")[0] == 1


def test_doctor_text_output_names_the_soul_and_heartbeat() -> None:
    invoke("init", "ws")
    code, out = invoke("doctor", "ws")
    assert code == 0
    assert "SOUL.md" in out and "effectively empty" in out and "inbox-watch" in out


def test_doctor_reports_passed_over_souls_and_lowercase_soul(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".agents").mkdir(parents=True)
    (ws / "soul.md").write_text("lower case\n")
    (ws / ".agents" / "SOUL.md").write_text("   \n")
    code, out = invoke("doctor", "ws", "--json")
    report = json.loads(out)
    assert code == 0  # a missing soul is a warning, not an error
    assert report["soul"] is None
    text = " ".join(report["soul_diagnostics"])
    assert "empty" in text and "missing" in text
    assert any("soul.md" in f["message"] and f["level"] == "warn" for f in report["findings"])


def test_doctor_fails_on_a_bad_skill_schedule(tmp_path: Path) -> None:
    invoke("init", "ws")
    skill = tmp_path / "ws" / ".agents" / "skills" / "inbox-watch" / "SKILL.md"
    skill.write_text(skill.read_text().replace('every: "1h"', 'every: "1h 30m"'))
    code, out = invoke("doctor", "ws")
    assert code == 1
    assert 'every: "1h 30m" is not a duration' in out


def test_doctor_fails_on_a_config_error_with_its_exact_message(tmp_path: Path) -> None:
    invoke("init", "ws")
    (tmp_path / "bad.toml").write_text('[heartbeat]\nevery = "1h 30m"\n')
    code, out = invoke("doctor", "ws", "--config", "bad.toml", "--json")
    assert code == 1
    report = json.loads(out)
    errors = [f["message"] for f in report["findings"] if f["level"] == "error"]
    assert any(
        'every: "1h 30m" is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)' in e
        for e in errors
    ), errors


def test_doctor_on_a_missing_workspace_fails() -> None:
    code, out = invoke("doctor", "nowhere")
    assert code == 1
    assert "nowhere" in out


def test_doctor_reports_truncated_bootstrap_files(tmp_path: Path) -> None:
    invoke("init", "ws")
    (tmp_path / "ws" / "TOOLS.md").write_text("x" * 25_000)
    (tmp_path / "ws" / "AGENTS.md").write_text("y" * 18_000)
    report = json.loads(invoke("doctor", "ws", "--json")[1])
    messages = " ".join(f["message"] for f in report["findings"] if f["topic"] == "bootstrap")
    assert "TOOLS.md" in messages and "AGENTS.md" in messages


@pytest.mark.parametrize(
    ("reply", "verdict", "position"),
    [
        ("All clear. HEARTBEAT_OK", "drop (ack)", "end"),
        ("Status HEARTBEAT_OK due to watchdog failure", "deliver", "middle"),
        ("⚠️ Build failed 3 times in the last hour.", "deliver", "none"),
    ],
)
def test_parse_response_reads_stdin(reply: str, verdict: str, position: str) -> None:
    code, out = invoke("parse-response", "--json", stdin=reply)
    assert code == 0
    data = json.loads(out)
    assert (data["verdict"], data["position"]) == (verdict, position)


def test_parse_response_honours_ack_max_chars() -> None:
    _code, out = invoke(
        "parse-response",
        "--json",
        "--ack-max-chars",
        "0",
        stdin="Inbox has 2 urgent emails. HEARTBEAT_OK",
    )
    data = json.loads(out)
    assert data["strip"]["text"] == "Inbox has 2 urgent emails."
    assert data["verdict"] == "deliver"


def test_parse_response_rejects_an_unknown_mode() -> None:
    code, out = invoke("parse-response", "--mode", "loud", stdin="x")
    assert code == 2
    assert "heartbeat or message" in out


def test_the_console_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "soulbeat", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("soulbeat ")
