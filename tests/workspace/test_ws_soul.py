"""SOUL.md lookup (SPEC §1.1): order, reasons for passing a location over, names, formatting."""

from __future__ import annotations

import pathlib
from pathlib import Path
from typing import Any

import pytest

from soulbeat.workspace.soul import (
    Soul,
    find_lowercase_soul,
    format_soul_for_system_prompt,
    load_soul,
    soul_candidates,
)

LOCATIONS = {
    "workspace": ("ws", "SOUL.md"),
    "agents": ("ws", ".agents", "SOUL.md"),
    "agents-soul": ("ws", ".agents", "soul", "SOUL.md"),
    "user": ("home", ".agents", "SOUL.md"),
}
ORDER = ["workspace", "agents", "agents-soul", "user"]


def _write(base: Path, parts: tuple[str, ...], data: str | bytes) -> Path:
    path = base.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def _load(tmp_path: Path, **kwargs: Any) -> Any:
    return load_soul(cwd=tmp_path / "ws", home=tmp_path / "home", **kwargs)


@pytest.mark.parametrize("winner", ORDER)
def test_each_location_wins_when_the_earlier_ones_are_missing(tmp_path: Path, winner: str) -> None:
    (tmp_path / "ws").mkdir()
    for source in ORDER[ORDER.index(winner) :]:
        _write(tmp_path, LOCATIONS[source], f"I am from {source}.\n")
    result = _load(tmp_path)
    assert result.soul is not None
    assert result.soul.source == winner
    assert result.soul.content == f"I am from {winner}.\n"
    assert result.soul.file_path == str(tmp_path.joinpath(*LOCATIONS[winner]))
    passed_over = [str(tmp_path.joinpath(*LOCATIONS[s])) for s in ORDER[: ORDER.index(winner)]]
    assert [d.split(": ")[0] for d in result.diagnostics] == passed_over
    assert all(d.endswith(": missing") for d in result.diagnostics)


def _make_unusable(tmp_path: Path, how: str) -> None:
    parts = LOCATIONS["workspace"]
    if how == "empty":
        _write(tmp_path, parts, "")
    elif how == "blank":
        _write(tmp_path, parts, "  \n\n")
    elif how == "front matter only":
        _write(tmp_path, parts, "---\nname: ghost\n---\n\n")
    elif how == "not UTF-8":
        _write(tmp_path, parts, b"\xff\xfe\x00bad")
    elif how == "not a file":
        tmp_path.joinpath(*parts).mkdir(parents=True)
    elif how == "over the size cap":
        _write(tmp_path, parts, "x" * 200)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("empty", "empty"),
        ("blank", "empty"),
        ("front matter only", "empty"),
        ("not UTF-8", "not UTF-8"),
        ("not a file", "not a file"),
        ("over the size cap", "over the size cap"),
    ],
)
def test_an_unusable_earlier_location_is_passed_over(tmp_path: Path, how: str, reason: str) -> None:
    (tmp_path / "ws").mkdir()
    _make_unusable(tmp_path, how)
    _write(tmp_path, LOCATIONS["agents"], "fallback soul")
    result = _load(tmp_path, max_bytes=100)
    assert result.soul is not None and result.soul.source == "agents"
    first = result.diagnostics[0]
    assert first.startswith(str(tmp_path / "ws" / "SOUL.md") + ": ")
    assert reason in first


def test_an_unreadable_location_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = _write(tmp_path, LOCATIONS["workspace"], "secret")
    _write(tmp_path, LOCATIONS["user"], "user soul")
    real_open = pathlib.Path.open

    def fake_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == blocked:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", fake_open)
    result = _load(tmp_path)
    assert result.soul is not None and result.soul.source == "user"
    assert result.diagnostics[0] == f"{blocked}: unreadable (Permission denied)"


def test_no_soul_anywhere_is_not_an_error(tmp_path: Path) -> None:
    result = _load(tmp_path)
    assert result.soul is None
    assert len(result.diagnostics) == 5
    assert [d.split(": ")[0] for d in result.diagnostics[:4]] == [
        str(tmp_path.joinpath(*LOCATIONS[s])) for s in ORDER
    ]
    assert "no usable SOUL.md" in result.diagnostics[-1]


def test_explicit_path_comes_first_and_names_come_from_the_stem(tmp_path: Path) -> None:
    _write(tmp_path, LOCATIONS["workspace"], "workspace soul")
    _write(tmp_path, ("ws", "personas", "pirate.md"), "Arr.")
    result = _load(tmp_path, soul_path="personas/pirate.md")
    assert result.soul == Soul("pirate", str(tmp_path / "ws" / "personas" / "pirate.md"), "Arr.",
                               "custom")  # fmt: skip
    assert result.diagnostics == ()


def test_explicit_path_with_tilde_uses_home(tmp_path: Path) -> None:
    _write(tmp_path, ("home", "souls", "SOUL.md"), "from home")
    result = _load(tmp_path, soul_path="~/souls/SOUL.md")
    assert result.soul is not None and result.soul.source == "custom"
    assert result.soul.file_path == str(tmp_path / "home" / "souls" / "SOUL.md")


def test_a_missing_explicit_path_falls_through_with_a_diagnostic(tmp_path: Path) -> None:
    _write(tmp_path, LOCATIONS["workspace"], "workspace soul")
    result = _load(tmp_path, soul_path=str(tmp_path / "typo.md"))
    assert result.soul is not None and result.soul.source == "workspace"
    assert result.diagnostics == (f"{tmp_path / 'typo.md'}: missing",)


def test_front_matter_name_and_content_without_front_matter(tmp_path: Path) -> None:
    _write(tmp_path, LOCATIONS["workspace"], "---\nname: Aria\nsummary: x\n---\n# SOUL\nBe kind.\n")
    result = _load(tmp_path)
    assert result.soul is not None
    assert (result.soul.name, result.soul.content) == ("Aria", "# SOUL\nBe kind.\n")


def test_bad_front_matter_is_a_diagnostic_and_the_soul_still_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, LOCATIONS["workspace"], "---\nname: [oops\n---\nBe kind.\n")
    result = _load(tmp_path)
    assert result.soul is not None
    assert (result.soul.name, result.soul.content) == ("SOUL", "Be kind.\n")
    assert len(result.diagnostics) == 1 and result.diagnostics[0].startswith(f"{path}: ")


def test_lowercase_soul_md_is_not_soul_md(tmp_path: Path) -> None:
    _write(tmp_path, ("ws", "soul.md"), "lower")
    result = _load(tmp_path)
    assert result.soul is None
    assert result.diagnostics[0] == (
        f"{tmp_path / 'ws' / 'SOUL.md'}: missing (found soul.md; names are case-sensitive)"
    )
    assert find_lowercase_soul(tmp_path / "ws") == tmp_path / "ws" / "soul.md"


def test_find_lowercase_soul(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    assert find_lowercase_soul(ws) is None
    _write(tmp_path, ("ws", ".agents", "Soul.md"), "x")
    assert find_lowercase_soul(ws) == ws / ".agents" / "Soul.md"
    _write(tmp_path, ("ws", "SOUL.md"), "real")
    assert find_lowercase_soul(ws) is None


def test_defaults_are_the_process_cwd_and_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, LOCATIONS["user"], "home soul")
    (tmp_path / "ws").mkdir()
    monkeypatch.chdir(tmp_path / "ws")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = load_soul()
    assert result.soul is not None and result.soul.source == "user"
    assert soul_candidates()[0] == (tmp_path / "ws" / "SOUL.md", "workspace")


def test_format_for_system_prompt() -> None:
    soul = Soul("SOUL", "/x/SOUL.md", "\n\n# Me\nBe kind.\n\n", "workspace")
    assert format_soul_for_system_prompt(soul) == "<soul>\n# Me\nBe kind.\n</soul>"
