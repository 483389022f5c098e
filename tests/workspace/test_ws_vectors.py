"""Rows B1–B13 and H1–H4 of spec/vectors.md, one test case per row (or per input of a row)."""

from __future__ import annotations

from pathlib import Path

import pytest

import soulbeat
from soulbeat.workspace.bootstrap import apply_caps, load_bootstrap_files, truncate_for_cap

FENCE = "```"


@pytest.mark.parametrize(
    ("row", "text", "expected"),
    [
        ("B1", None, False),
        ("B2", "", True),
        ("B3", "   ", True),
        ("B3", "\n\n\n", True),
        ("B3", "\t\t", True),
        ("B4", "# HEARTBEAT.md", True),
        ("B4", "# HEARTBEAT.md\n\n\n", True),
        ("B5", "# Header\n# Another comment", True),
        ("B5", "## Subheader\n### Another", True),
        ("B6", "- Check email", False),
        ("B7", "# HEARTBEAT.md\n- Task 1", False),
        ("B8", "Remind me to call mom", False),
        ("B9", "# HEARTBEAT.md\n## Tasks\nCheck the server logs", False),
        ("B10", "# HEARTBEAT.md\n## Section 1\n### Subsection", True),
        (
            "B11",
            f"{FENCE}markdown\n# Keep this file empty when you want to skip.\n\n"
            f"- Check email\n{FENCE}",
            False,
        ),
        ("B12", f"{FENCE}\nKeep this file empty unless you want a tiny checklist.\n{FENCE}", False),
        ("B13", "- [ ] Check email", False),
    ],
)
def test_effectively_empty_rows(row: str, text: str | None, expected: bool) -> None:
    assert soulbeat.is_heartbeat_content_effectively_empty(text) is expected, row


def test_h1_tools_md_over_a_200_character_cap() -> None:
    text = "HEAD-" + "a" * 600 + "b" * 300 + "-TAIL"
    result = apply_caps([("TOOLS.md", "/ws/TOOLS.md", text)], per_file_cap=200)
    (file,) = result.files
    assert file.content.startswith(text[:140])
    assert file.content.endswith(text[-40:])
    assert "TOOLS.md" in file.content[140:-40]
    assert len(file.content) <= 200
    assert file.truncated and file.original_chars == len(text)
    (warning,) = result.warnings
    assert warning.file == "TOOLS.md" and warning.limit == 200
    assert "TOOLS.md" in warning.message and "200" in warning.message
    assert truncate_for_cap("TOOLS.md", text, 200) == file.content


def test_h2_a_file_just_under_the_default_cap_is_unchanged(tmp_path: Path) -> None:
    text = "x" * 19_990
    (tmp_path / "USER.md").write_text(text, encoding="utf-8")
    result = load_bootstrap_files(tmp_path)
    (file,) = result.files
    assert file.content == text and not file.truncated
    assert result.warnings == ()
    assert "truncated" not in file.content


def test_h3_the_total_cap_cuts_the_file_that_crosses_it(tmp_path: Path) -> None:
    for name in ("AGENTS.md", "SOUL.md", "USER.md"):
        (tmp_path / name).write_text(name[0] * 10_000, encoding="utf-8")
    result = load_bootstrap_files(tmp_path, total_cap=24_000)
    assert [f.name for f in result.files] == ["AGENTS.md", "SOUL.md", "USER.md"]
    assert sum(len(f.content) for f in result.files) <= 24_000
    user = result.files[2]
    assert user.truncated and "USER.md truncated" in user.content
    assert not result.files[0].truncated and not result.files[1].truncated
    assert [w.file for w in result.warnings] == ["USER.md"]


def test_h4_a_whitespace_only_memory_md_is_left_out_silently(tmp_path: Path) -> None:
    (tmp_path / "MEMORY.md").write_text("  \n\t\n", encoding="utf-8")
    (tmp_path / "USER.md").write_text("Ada", encoding="utf-8")
    result = load_bootstrap_files(tmp_path)
    assert [f.name for f in result.files] == ["USER.md"]
    assert result.warnings == () and result.diagnostics == ()
