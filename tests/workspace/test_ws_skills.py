"""`load_skills` (SPEC §1.4): names, heartbeat blocks, own HEARTBEAT.md files, diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from soulbeat.workspace.skills import Skill, load_skills


def _skill(ws: Path, folder: str, front: str | None, body: str = "Body\n") -> Path:
    base = ws / ".agents" / "skills" / folder
    base.mkdir(parents=True, exist_ok=True)
    text = body if front is None else f"---\n{front}\n---\n{body}"
    (base / "SKILL.md").write_text(text, encoding="utf-8")
    return base


def test_no_skills_folder_means_no_skills(tmp_path: Path) -> None:
    result = load_skills(tmp_path)
    assert result.skills == () and result.diagnostics == ()


def test_a_skill_with_a_heartbeat_block_and_its_own_file(tmp_path: Path) -> None:
    front = "name: inbox-watch\ndescription: Watches.\nheartbeat:\n  every: 1h\n  target: last"
    base = _skill(tmp_path, "inbox-watch", front)
    (base / "HEARTBEAT.md").write_text("## Checklist\n- look\n", encoding="utf-8")
    (skill,) = load_skills(tmp_path).skills
    assert skill == Skill(
        name="inbox-watch",
        description="Watches.",
        file_path=str(base / "SKILL.md"),
        base_dir=str(base),
        heartbeat={"every": "1h", "target": "last"},
        heartbeat_file=str(base / "HEARTBEAT.md"),
    )
    assert skill.has_schedule
    with pytest.raises(TypeError):
        skill.heartbeat["every"] = "2h"  # type: ignore[index]


def test_schedule_from_either_source_or_none(tmp_path: Path) -> None:
    _skill(tmp_path, "a", "description: A\nheartbeat: {}")
    own = _skill(tmp_path, "b", "description: B")
    (own / "HEARTBEAT.md").write_text("- check\n", encoding="utf-8")
    _skill(tmp_path, "c", "description: C")
    skills = {s.name: s for s in load_skills(tmp_path).skills}
    assert (skills["a"].heartbeat, skills["a"].heartbeat_file) == ({}, None)
    assert skills["b"].heartbeat is None and skills["b"].heartbeat_file is not None
    assert [skills[n].has_schedule for n in "abc"] == [True, True, False]


def test_sorted_by_name_and_name_defaults_to_the_folder(tmp_path: Path) -> None:
    _skill(tmp_path, "zeta", "description: z")
    _skill(tmp_path, "alpha", None)
    _skill(tmp_path, "folder-m", "name: mid\ndescription: m")
    result = load_skills(tmp_path)
    assert [s.name for s in result.skills] == ["alpha", "mid", "zeta"]
    assert any("no description" in d and "alpha" in d for d in result.diagnostics)
    assert any("'mid' differs from its folder 'folder-m'" in d for d in result.diagnostics)


@pytest.mark.parametrize(
    ("folder", "front"),
    [
        ("My Skill", None),
        ("Upper", "description: x"),
        ("-dash", None),
        ("ok-folder", "name: ../../etc\ndescription: x"),
        ("ok-folder", "name: Bad_Name\ndescription: x"),
        ("ok-folder", "name: ''\ndescription: x"),
        ("ok-folder", "name: 42\ndescription: x"),
    ],
)
def test_bad_names_are_diagnostics_never_skills(
    tmp_path: Path, folder: str, front: str | None
) -> None:
    _skill(tmp_path, folder, front)
    result = load_skills(tmp_path)
    assert result.skills == ()
    assert any("left out" in d for d in result.diagnostics), result.diagnostics


def test_a_valid_front_matter_name_rescues_an_odd_folder(tmp_path: Path) -> None:
    base = _skill(tmp_path, "My_Skill", "name: my-skill\ndescription: x")
    (skill,) = load_skills(tmp_path).skills
    assert skill.name == "my-skill" and skill.base_dir == str(base)


@pytest.mark.parametrize("value", ["'1h'", "[every, 1h]", "true", ""])
def test_a_non_mapping_heartbeat_is_a_diagnostic(tmp_path: Path, value: str) -> None:
    _skill(tmp_path, "s", f"description: x\nheartbeat: {value}")
    result = load_skills(tmp_path)
    (skill,) = result.skills
    assert skill.heartbeat is None and not skill.has_schedule
    assert any("heartbeat must be a mapping" in d for d in result.diagnostics)


def test_duplicate_names_keep_the_first_folder(tmp_path: Path) -> None:
    _skill(tmp_path, "a", "name: same\ndescription: first")
    _skill(tmp_path, "b", "name: same\ndescription: second")
    result = load_skills(tmp_path)
    assert [s.description for s in result.skills] == ["first"]
    assert any("already used" in d for d in result.diagnostics)


def test_unusable_files_and_folders(tmp_path: Path) -> None:
    skills_dir = tmp_path / ".agents" / "skills"
    (skills_dir / "no-skill-md").mkdir(parents=True)
    (skills_dir / "binary").mkdir()
    (skills_dir / "binary" / "SKILL.md").write_bytes(b"\xff\xfe")
    (skills_dir / "lower").mkdir()
    (skills_dir / "lower" / "skill.md").write_text("---\ndescription: x\n---\n")
    (skills_dir / "README.md").write_text("not a folder")
    (skills_dir / ".hidden").mkdir()
    _skill(tmp_path, "broken-yaml", "description: [x")
    own_dir = _skill(tmp_path, "dir-heartbeat", "description: x")
    (own_dir / "HEARTBEAT.md").mkdir()
    result = load_skills(tmp_path)
    assert [s.name for s in result.skills] == ["broken-yaml", "dir-heartbeat"]
    assert result.skills[1].heartbeat_file is None
    joined = "\n".join(result.diagnostics)
    assert "no-skill-md" in joined and "binary" in joined and "not UTF-8" in joined
    assert "lower" in joined and "not valid YAML" in joined
    assert "README" not in joined and ".hidden" not in joined
