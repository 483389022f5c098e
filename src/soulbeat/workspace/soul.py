"""SOUL.md: who the agent is (SPEC §1.1, seed 004's SoulLoader).

Lookup order; the first *usable* file wins:

1. ``soul_path`` (source ``custom``): relative paths are taken from ``cwd``, ``~`` is ``home``;
2. ``<cwd>/SOUL.md`` (``workspace``);
3. ``<cwd>/.agents/SOUL.md`` (``agents``);
4. ``<cwd>/.agents/soul/SOUL.md`` (``agents-soul``);
5. ``<home>/.agents/SOUL.md`` (``user``).

A location is passed over, with a diagnostic ``"<path>: <reason>"``, when it is missing, not a
file, unreadable, not UTF-8, over ``max_bytes``, or empty (nothing left once front matter is
removed). An explicit path that fails is passed over like the others, so a typo in ``--soul``
shows up in the diagnostics rather than as a crash. For locations 2–5 the file name must be
spelled ``SOUL.md`` exactly, even on case-insensitive file systems; ``soul.md`` is reported as
missing (``find_lowercase_soul`` lets doctor warn about it).

The soul's name is the front matter's ``name`` (a non-empty string) else the file stem; its
content is the text after the front matter; ``file_path`` is absolute (symlinks not resolved, so it
is the path the user knows). Front-matter problems are diagnostics; the soul still loads. No soul
at all is not an error: the result has ``soul=None`` and the diagnostics say why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from soulbeat.workspace.files import MISSING, exact_entry, read_text_file
from soulbeat.workspace.front_matter import parse_front_matter

__all__ = [
    "Soul",
    "SoulLoadResult",
    "SoulSource",
    "find_lowercase_soul",
    "format_soul_for_system_prompt",
    "load_soul",
    "soul_candidates",
]

SoulSource = Literal["custom", "workspace", "agents", "agents-soul", "user"]
SOUL_FILE = "SOUL.md"
_WORKSPACE_DIRS: tuple[tuple[tuple[str, ...], SoulSource], ...] = (
    ((), "workspace"),
    ((".agents",), "agents"),
    ((".agents", "soul"), "agents-soul"),
)


@dataclass(frozen=True)
class Soul:
    """A loaded SOUL.md."""

    name: str
    file_path: str
    content: str
    source: SoulSource


@dataclass(frozen=True)
class SoulLoadResult:
    """The soul (or ``None``) and one line per location passed over or problem met."""

    soul: Soul | None
    diagnostics: tuple[str, ...] = ()


def soul_candidates(
    *,
    cwd: str | Path | None = None,
    soul_path: str | Path | None = None,
    home: str | Path | None = None,
) -> list[tuple[Path, SoulSource]]:
    """The absolute paths ``load_soul`` tries, in order, with the source each would be."""
    base = Path(os.path.abspath(cwd if cwd is not None else os.getcwd()))
    home_dir = Path(os.path.abspath(home if home is not None else Path.home()))
    found: list[tuple[Path, SoulSource]] = []
    if soul_path is not None and str(soul_path).strip():
        found.append((_explicit(str(soul_path).strip(), base, home_dir), "custom"))
    for parts, source in _WORKSPACE_DIRS:
        found.append((base.joinpath(*parts, SOUL_FILE), source))
    found.append((home_dir / ".agents" / SOUL_FILE, "user"))
    return found


def _explicit(text: str, base: Path, home: Path) -> Path:
    if text == "~" or text.startswith(("~/", "~" + os.sep)):
        text = str(home) + text[1:]
    return Path(os.path.abspath(base / text))


def load_soul(
    *,
    cwd: str | Path | None = None,
    soul_path: str | Path | None = None,
    home: str | Path | None = None,
    max_bytes: int = 1_000_000,
) -> SoulLoadResult:
    """Find and read SOUL.md; see the module docstring for the order and the reasons."""
    diagnostics: list[str] = []
    for path, source in soul_candidates(cwd=cwd, soul_path=soul_path, home=home):
        if source != "custom" and not exact_entry(path.parent, path.name):
            diagnostics.append(f"{path}: {_missing_reason(path)}")
            continue
        text, reason = read_text_file(path, max_bytes=max_bytes)
        if text is None:
            diagnostics.append(f"{path}: {reason}")
            continue
        front, body, problems = parse_front_matter(text)
        if not body.strip():
            diagnostics.append(f"{path}: empty")
            continue
        diagnostics.extend(f"{path}: {problem}" for problem in problems)
        name = front.get("name")
        if not isinstance(name, str) or not name.strip():
            name = path.stem
        return SoulLoadResult(Soul(name.strip(), str(path), body, source), tuple(diagnostics))
    diagnostics.append("no usable SOUL.md found; running without a soul")
    return SoulLoadResult(None, tuple(diagnostics))


def _missing_reason(path: Path) -> str:
    """``missing``, naming a differently-cased file when one is there instead."""
    other = _case_variant(path.parent, path.name)
    if other is None:
        return MISSING
    return f"{MISSING} (found {other}; names are case-sensitive)"


def _case_variant(folder: Path, name: str) -> str | None:
    try:
        entries = sorted(os.listdir(folder))
    except (OSError, ValueError):
        return None
    return next((e for e in entries if e != name and e.lower() == name.lower()), None)


def format_soul_for_system_prompt(soul: Soul) -> str:
    """The soul's content between ``<soul>`` and ``</soul>`` lines, blank edges trimmed."""
    content = soul.content.strip("\r\n")
    return f"<soul>\n{content}\n</soul>"


def find_lowercase_soul(workspace: Path) -> Path | None:
    """A ``soul.md`` (any casing but ``SOUL.md``) that the loader ignores because of its case.

    Looks in the workspace locations in lookup order and stops at the first that holds a real
    ``SOUL.md``: a mis-cased file after it would not have been used anyway.
    """
    root = Path(os.path.abspath(workspace))
    for parts, _ in _WORKSPACE_DIRS:
        folder = root.joinpath(*parts)
        if exact_entry(folder, SOUL_FILE):
            return None
        other = _case_variant(folder, SOUL_FILE)
        if other is not None:
            return folder / other
    return None
