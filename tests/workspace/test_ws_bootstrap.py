"""Bootstrap files (SPEC §1.2): order, fallbacks, caps, markers, symlinks, near-limit files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soulbeat.workspace.bootstrap import (
    BOOTSTRAP_ORDER,
    MIN_USEFUL_CHARS,
    apply_caps,
    load_bootstrap_files,
    truncate_for_cap,
)


def _files(ws: Path, **texts: str) -> None:
    for name, text in texts.items():
        (ws / name.replace("_", ".")).write_text(text, encoding="utf-8")


def test_order_is_fixed_whatever_the_folder_lists(tmp_path: Path) -> None:
    for name in reversed(BOOTSTRAP_ORDER):
        (tmp_path / name).write_text(f"{name} text", encoding="utf-8")
    (tmp_path / "NOTES.md").write_text("not a bootstrap file", encoding="utf-8")
    result = load_bootstrap_files(tmp_path)
    assert [f.name for f in result.files] == list(BOOTSTRAP_ORDER)
    assert all(f.content == f"{f.name} text" for f in result.files)
    assert result.files[0].path == str(tmp_path / "AGENTS.md")


def test_memory_md_falls_back_to_lowercase(tmp_path: Path) -> None:
    _files(tmp_path, memory_md="lower memory")
    assert [(f.name, f.content) for f in load_bootstrap_files(tmp_path).files] == [
        ("memory.md", "lower memory")
    ]
    _files(tmp_path, MEMORY_md="upper memory")
    assert [f.name for f in load_bootstrap_files(tmp_path).files] == ["MEMORY.md"]


def test_names_are_case_sensitive(tmp_path: Path) -> None:
    _files(tmp_path, soul_md="lower soul", agents_md="lower agents")
    assert load_bootstrap_files(tmp_path).files == ()


def test_a_symlink_escaping_the_workspace_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read", encoding="utf-8")
    os.symlink(secret, ws / "USER.md")
    (ws / "notes").mkdir()
    (ws / "notes" / "tools.txt").write_text("inside", encoding="utf-8")
    os.symlink(ws / "notes" / "tools.txt", ws / "TOOLS.md")
    result = load_bootstrap_files(ws)
    assert [(f.name, f.content) for f in result.files] == [("TOOLS.md", "inside")]
    assert result.diagnostics == (f"{ws / 'USER.md'}: refused, it resolves outside the workspace",)


def test_unusable_files_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").mkdir()
    (tmp_path / "SOUL.md").write_bytes(b"\xc3\x28 broken")
    _files(tmp_path, USER_md="fine")
    result = load_bootstrap_files(tmp_path)
    assert [f.name for f in result.files] == ["USER.md"]
    assert result.diagnostics == (
        f"{tmp_path / 'AGENTS.md'}: not a file",
        f"{tmp_path / 'SOUL.md'}: not UTF-8",
    )


def test_near_limit_files(tmp_path: Path) -> None:
    _files(tmp_path, AGENTS_md="a" * 851, USER_md="u" * 850, TOOLS_md="t" * 1001)
    result = load_bootstrap_files(tmp_path, per_file_cap=1000)
    assert result.near_limit == ("AGENTS.md",)
    assert [w.file for w in result.warnings] == ["TOOLS.md"]


def test_custom_names(tmp_path: Path) -> None:
    _files(tmp_path, USER_md="u", SOUL_md="s")
    result = load_bootstrap_files(tmp_path, names=("USER.md", "SOUL.md", "../etc/passwd"))
    assert [f.name for f in result.files] == ["USER.md", "SOUL.md"]


def test_files_after_the_total_cap_is_spent_are_dropped_with_a_warning() -> None:
    files = [(n, f"/ws/{n}", "x" * 500) for n in ("AGENTS.md", "SOUL.md", "USER.md", "MEMORY.md")]
    result = apply_caps(files, per_file_cap=1000, total_cap=1000 + MIN_USEFUL_CHARS // 2)
    assert [f.name for f in result.files] == ["AGENTS.md", "SOUL.md"]
    assert [(w.file, w.limit) for w in result.warnings] == [
        ("USER.md", MIN_USEFUL_CHARS // 2),
        ("MEMORY.md", MIN_USEFUL_CHARS // 2),
    ]
    assert all("left out" in w.message for w in result.warnings)


def test_a_file_over_both_caps_gets_one_marker() -> None:
    files = [("AGENTS.md", "/a", "a" * 900), ("USER.md", "/u", "u" * 5000)]
    result = apply_caps(files, per_file_cap=2000, total_cap=1500)
    user = result.files[1]
    assert len(user.content) <= 600 and user.content.count("truncated") == 1
    assert result.warnings[0].limit == 600 and "total cap of 1,500" in result.warnings[0].message


@pytest.mark.parametrize("cap", [0, -5])
def test_truncate_for_non_positive_caps(cap: int) -> None:
    assert truncate_for_cap("X.md", "text", cap) == ""


def test_truncate_markers_shrink_to_fit() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(100_000))
    big = truncate_for_cap("MEMORY.md", text, 20_000)
    assert big.startswith(text[:14_000]) and big.endswith(text[-4_000:])
    assert "MEMORY.md truncated: 100,000 characters" in big
    small = truncate_for_cap("A-VERY-LONG-FILE-NAME.md", text, 60)
    assert len(small) <= 60 and "[A-VERY-LONG-FILE-NAME.md truncated]" in small
    assert small.startswith(text[:5])
    tiny = truncate_for_cap("MEMORY.md", text, 10)
    assert tiny == "[MEMORY.md"
    assert truncate_for_cap("MEMORY.md", "short", 10) == "short"
