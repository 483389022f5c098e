"""`load_workspace`, `find_heartbeat_file` and `read_text_file`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soulbeat.errors import WorkspaceError
from soulbeat.workspace.loader import find_heartbeat_file, load_workspace, read_text_file


def test_a_full_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".agents" / "skills" / "inbox").mkdir(parents=True)
    (ws / "SOUL.md").write_text("---\nname: Aria\n---\nBe kind.\n", encoding="utf-8")
    (ws / "HEARTBEAT.md").write_text("## Checklist\n- look\n## Daily 09:00\n- sum up\n")
    (ws / "USER.md").write_text("Ada\n", encoding="utf-8")
    (ws / ".agents" / "skills" / "inbox" / "SKILL.md").write_text(
        "---\ndescription: x\nheartbeat:\n  every: 1h\n---\n", encoding="utf-8"
    )
    loaded = load_workspace(ws, home=tmp_path / "home")
    assert loaded.root == ws
    assert loaded.soul.soul is not None and loaded.soul.soul.name == "Aria"
    assert loaded.heartbeat_path == ws / "HEARTBEAT.md"
    assert loaded.heartbeat is not None and loaded.heartbeat.checklist == ("look",)
    assert [t.name for t in loaded.heartbeat.tasks] == ["daily-09-00"]
    assert loaded.heartbeat_empty is False
    assert [s.name for s in loaded.skills.skills] == ["inbox"]
    assert [f.name for f in loaded.bootstrap.files] == ["SOUL.md", "USER.md", "HEARTBEAT.md"]
    assert loaded.lowercase_soul is None and loaded.diagnostics == ()


def test_an_empty_folder(tmp_path: Path) -> None:
    loaded = load_workspace(tmp_path, home=tmp_path / "home")
    assert loaded.soul.soul is None
    assert (loaded.heartbeat_path, loaded.heartbeat_text, loaded.heartbeat) == (None, None, None)
    assert loaded.heartbeat_empty is False  # a missing file is not empty (B1)
    assert loaded.skills.skills == () and loaded.bootstrap.files == ()


def test_relative_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ws").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_workspace("ws", home=tmp_path).root == tmp_path / "ws"


def test_a_missing_or_non_folder_workspace_raises(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        load_workspace(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="not a folder"):
        load_workspace(tmp_path / "file")


def test_an_effectively_empty_heartbeat(tmp_path: Path) -> None:
    (tmp_path / "HEARTBEAT.md").write_text("# HEARTBEAT.md\n<!-- add tasks -->\n")
    loaded = load_workspace(tmp_path, home=tmp_path)
    assert loaded.heartbeat_empty is True and loaded.heartbeat is not None


def test_heartbeat_lookup(tmp_path: Path) -> None:
    assert find_heartbeat_file(tmp_path) is None
    (tmp_path / ".agents").mkdir()
    (tmp_path / ".agents" / "HEARTBEAT.md").write_text("- a")
    assert find_heartbeat_file(tmp_path) == tmp_path / ".agents" / "HEARTBEAT.md"
    (tmp_path / "heartbeat.md").write_text("- lower")
    assert find_heartbeat_file(tmp_path) == tmp_path / ".agents" / "HEARTBEAT.md"
    (tmp_path / "HEARTBEAT.md").mkdir()
    assert find_heartbeat_file(tmp_path) == tmp_path / ".agents" / "HEARTBEAT.md"


def test_unusable_heartbeat_files_are_diagnostics(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "HEARTBEAT.md").write_bytes(b"\xff not utf-8")
    loaded = load_workspace(ws, home=tmp_path)
    assert loaded.heartbeat_text is None and loaded.heartbeat is None
    assert loaded.heartbeat_empty is False
    assert loaded.diagnostics == (f"{ws / 'HEARTBEAT.md'}: not UTF-8",)
    (ws / "HEARTBEAT.md").unlink()
    outside = tmp_path / "outside.md"
    outside.write_text("- steal")
    os.symlink(outside, ws / "HEARTBEAT.md")
    loaded = load_workspace(ws, home=tmp_path)
    assert loaded.heartbeat_text is None
    assert "outside the workspace" in loaded.diagnostics[0]


def test_odd_contents_never_raise(tmp_path: Path) -> None:
    (tmp_path / "SOUL.md").write_bytes(b"---\n: : :\n---\n\x00\x01")
    (tmp_path / "HEARTBEAT.md").write_text("tasks:\n- name: [\n```\n<!--\n")
    (tmp_path / ".agents" / "skills" / "x").mkdir(parents=True)
    (tmp_path / ".agents" / "skills" / "x" / "SKILL.md").write_text("---\n- 1\n---\n")
    (tmp_path / "lower").mkdir()
    (tmp_path / "soul.md").write_text("x")
    loaded = load_workspace(tmp_path, home=tmp_path / "home")
    assert loaded.heartbeat is not None and loaded.heartbeat.problems
    assert loaded.lowercase_soul is None  # SOUL.md exists, so soul.md would not be used anyway


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("missing", "missing"),
        ("dir", "not a file"),
        ("binary", "not UTF-8"),
        ("big", "over the size cap (11 bytes > 10)"),
    ],
)
def test_read_text_file_reasons(tmp_path: Path, setup: str, reason: str) -> None:
    path = tmp_path / "f.md"
    if setup == "dir":
        path.mkdir()
    elif setup == "binary":
        path.write_bytes(b"\x80")
    elif setup == "big":
        path.write_text("x" * 11)
    assert read_text_file(path, max_bytes=10) == (None, reason)


def test_read_text_file_drops_a_bom_and_reads_a_fifo_never(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(b"\xef\xbb\xbfhello")
    assert read_text_file(path, max_bytes=10) == ("hello", None)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert read_text_file(fifo, max_bytes=10) == (None, "not a file")
