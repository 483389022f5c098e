"""Skills: ``.agents/skills/<dir>/SKILL.md`` with YAML front matter (SPEC §1.4, seed 004).

``load_skills(workspace)`` looks at every folder under ``.agents/skills`` (sorted; plain files and
hidden entries are ignored) and reads its ``SKILL.md``:

* The name is the front matter's ``name`` when present, else the folder's name. It must match
  ``[a-z0-9][a-z0-9-]*``; otherwise the skill is left out with a diagnostic. A skill name is only
  ever an identifier (schedule keys, ``skill:<name>`` wakes), never turned into a path: the
  skill's files are found through the folder that was actually listed.
* A valid front-matter name that differs from the folder name is kept, with a diagnostic, since
  the Agent Skills convention is that they match. Two skills with the same name: the first
  folder wins, the second is left out with a diagnostic.
* ``description`` is a string (missing → ``""`` and a diagnostic).
* ``heartbeat`` is the raw front-matter mapping, unvalidated (the config module checks its values
  with the same rules as §2); anything other than a mapping, including an empty ``heartbeat:``,
  is a diagnostic and counts as absent.
* ``heartbeat_file`` is the folder's own ``HEARTBEAT.md`` (exact spelling, a regular file).
* Unreadable, non-UTF-8 or oversized SKILL.md files and folders without one are diagnostics.
* A usable skill that departs from the Agent Skills conventions (`skill_conventions`: name and
  description lengths, single hyphens, unknown front-matter keys) is kept, with a diagnostic
  per departure.

Skills come back sorted by name. Never raises for anything found on disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from soulbeat.workspace.files import exact_entry, read_text_file
from soulbeat.workspace.front_matter import parse_front_matter
from soulbeat.workspace.skill_conventions import convention_problems

__all__ = ["SKILL_NAME", "Skill", "SkillLoadResult", "load_skills"]

SKILL_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
SKILL_FILE = "SKILL.md"
HEARTBEAT_FILE = "HEARTBEAT.md"
_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Skill:
    """One skill; ``heartbeat`` is a read-only view of its front-matter block."""

    name: str
    description: str
    file_path: str
    base_dir: str
    heartbeat: Mapping[str, Any] | None = None
    heartbeat_file: str | None = None

    @property
    def has_schedule(self) -> bool:
        """Whether the skill gets its own beat: a ``heartbeat`` block or its own HEARTBEAT.md."""
        return self.heartbeat is not None or self.heartbeat_file is not None


@dataclass(frozen=True)
class SkillLoadResult:
    """The skills found, and one line per skill or folder that could not be used as it was."""

    skills: tuple[Skill, ...] = ()
    diagnostics: tuple[str, ...] = ()


def load_skills(workspace: str | Path) -> SkillLoadResult:
    """Read every ``.agents/skills/*/SKILL.md`` under ``workspace``."""
    folder = Path(os.path.abspath(workspace)) / ".agents" / "skills"
    diagnostics: list[str] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        return SkillLoadResult()
    except OSError as exc:
        return SkillLoadResult((), (f"{folder}: unreadable ({exc.strerror or exc})",))
    by_name: dict[str, Skill] = {}
    for entry in entries:
        if entry.name.startswith(".") or not _is_dir(entry):
            continue
        skill = _load_one(Path(entry.path), diagnostics)
        if skill is None:
            continue
        if skill.name in by_name:
            diagnostics.append(
                f"{skill.file_path}: skill name {skill.name!r} is already used by "
                f"{by_name[skill.name].file_path}; left out"
            )
            continue
        by_name[skill.name] = skill
    skills = tuple(by_name[name] for name in sorted(by_name))
    return SkillLoadResult(skills, tuple(diagnostics))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _load_one(base: Path, diagnostics: list[str]) -> Skill | None:
    path = base / SKILL_FILE
    if not exact_entry(base, SKILL_FILE):
        diagnostics.append(f"{path}: missing; {base.name!r} is not a skill")
        return None
    text, reason = read_text_file(path, max_bytes=_MAX_BYTES)
    if text is None:
        diagnostics.append(f"{path}: {reason}")
        return None
    front, _, problems = parse_front_matter(text)
    diagnostics.extend(f"{path}: {problem}" for problem in problems)
    name = _skill_name(front, base.name, path, diagnostics)
    if name is None:
        return None
    diagnostics.extend(f"{path}: {problem}" for problem in convention_problems(front))
    description = front.get("description")
    if not isinstance(description, str) or not description.strip():
        diagnostics.append(f"{path}: no description")
        description = ""
    own_file = base / HEARTBEAT_FILE
    has_file = exact_entry(base, HEARTBEAT_FILE) and own_file.is_file()
    return Skill(
        name=name,
        description=description.strip(),
        file_path=str(path),
        base_dir=str(base),
        heartbeat=_heartbeat_block(front, path, diagnostics),
        heartbeat_file=str(own_file) if has_file else None,
    )


def _skill_name(
    front: Mapping[str, Any], folder: str, path: Path, diagnostics: list[str]
) -> str | None:
    given = front.get("name")
    if given is None:
        name = folder
    elif isinstance(given, str):
        name = given.strip()
    else:
        diagnostics.append(f"{path}: name must be text, not {type(given).__name__}; left out")
        return None
    if not SKILL_NAME.fullmatch(name):
        diagnostics.append(
            f"{path}: skill name {name!r} is not valid "
            "(lower-case letters, digits and '-', starting with a letter or digit); left out"
        )
        return None
    if name != folder:
        diagnostics.append(f"{path}: name {name!r} differs from its folder {folder!r}")
    return name


def _heartbeat_block(
    front: Mapping[str, Any], path: Path, diagnostics: list[str]
) -> Mapping[str, Any] | None:
    if "heartbeat" not in front:
        return None
    block = front["heartbeat"]
    if not isinstance(block, dict):
        diagnostics.append(
            f"{path}: heartbeat must be a mapping of config keys, not {type(block).__name__}; "
            "ignored"
        )
        return None
    return MappingProxyType({str(key): value for key, value in block.items()})
