"""The Agent Skills conventions (issue 10, item 12): departures are kept as doctor warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soulbeat.doctor import diagnose
from soulbeat.workspace.skill_conventions import convention_problems
from soulbeat.workspace.skills import load_skills
from soulbeat.workspace.templates import init_workspace

OK = {"name": "inbox-watch", "description": "Watches the inbox."}


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (OK, []),
        (OK | {"heartbeat": {"every": "1h"}, "license": "MIT", "allowed-tools": "Read"}, []),
        (OK | {"metadata": {"author": "ann"}, "compatibility": "needs git"}, []),
        (OK | {"name": "a" * 65}, ["name is 65 characters long (at most 64)"]),
        (OK | {"name": "a" * 64}, []),
        (OK | {"name": "inbox--watch"}, ["single hyphens"]),
        (OK | {"name": "inbox-"}, ["single hyphens"]),
        (OK | {"description": "x" * 1025}, ["description is 1,025 characters long"]),
        (OK | {"description": "x" * 1024}, []),
        (OK | {"compatibility": "y" * 501}, ["compatibility is 501 characters"]),
        (OK | {"metadata": {"n": 1}}, ["metadata should map text keys to text values"]),
        (OK | {"allowed-tools": ["Read"]}, ["allowed-tools should be space-separated"]),
        (OK | {"hearbeat": {}}, ["unknown front-matter key 'hearbeat'"]),
        ({"description": "d"}, ["no name in the front matter"]),
    ],
)
def test_conventions(front: dict[str, Any], expected: list[str]) -> None:
    found = convention_problems(front)
    assert len(found) == len(expected), found
    for line, words in zip(found, expected, strict=True):
        assert words in line


def _skill(root: Path, folder: str, front: str) -> None:
    base = root / ".agents" / "skills" / folder
    base.mkdir(parents=True)
    (base / "SKILL.md").write_text(f"---\n{front}---\nBody.\n", encoding="utf-8")


def test_departures_are_kept_and_reported_by_doctor(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    long_name = "a" * 70
    _skill(ws, long_name, f"name: {long_name}\ndescription: Long.\n")
    _skill(ws, "odd", "name: odd\ndescription: Odd.\ntrigger: always\nheartbeat:\n  every: 2h\n")
    names = [s.name for s in load_skills(ws).skills]
    assert long_name in names and "odd" in names  # still used
    report = diagnose(ws, env={})
    warnings = [f.message for f in report.findings if f.level == "warn" and f.topic == "skills"]
    assert any("name is 70 characters long (at most 64)" in w for w in warnings)
    assert any("unknown front-matter key 'trigger'" in w for w in warnings)
    assert not any("'heartbeat'" in w for w in warnings)  # soulbeat's own key is known
    assert any("inbox-watch" in w and "effectively empty" in w for w in warnings)
