"""Reading a whole workspace: the only place in ``soulbeat.workspace`` that ties the files together.

``load_workspace(path, ...)`` raises ``WorkspaceError`` when ``path`` is not a directory and
otherwise never raises: odd, unreadable or escaping files become diagnostics on the parts of the
``Workspace`` it returns.

* ``soul``: ``load_soul(cwd=root, ...)`` (§1.1).
* ``heartbeat_path``: ``find_heartbeat_file`` — ``<root>/HEARTBEAT.md``, then
  ``<root>/.agents/HEARTBEAT.md``, exact spelling, regular files only.
* ``heartbeat_text`` / ``heartbeat``: its text and ``parse_heartbeat_md`` of it, or ``None`` when
  there is no file or it could not be used (a diagnostic says why; a file that resolves outside
  the workspace is refused, as bootstrap files are).
* ``heartbeat_empty``: ``is_heartbeat_content_effectively_empty(heartbeat_text)`` — so a missing
  or unusable file is not empty and the beat runs on the default prompt.
* ``skills``, ``bootstrap``: ``load_skills`` and ``load_bootstrap_files`` with the given caps.
* ``lowercase_soul``: ``find_lowercase_soul``, for doctor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soulbeat.errors import WorkspaceError
from soulbeat.workspace.bootstrap import BootstrapResult, load_bootstrap_files
from soulbeat.workspace.files import exact_entry, inside, read_text_file
from soulbeat.workspace.heartbeat_md import (
    HeartbeatInstructions,
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)
from soulbeat.workspace.skills import SkillLoadResult, load_skills
from soulbeat.workspace.soul import SoulLoadResult, find_lowercase_soul, load_soul

__all__ = ["HEARTBEAT_MAX_BYTES", "Workspace", "find_heartbeat_file", "load_workspace",
           "read_text_file"]  # fmt: skip

HEARTBEAT_FILE = "HEARTBEAT.md"
HEARTBEAT_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Workspace:
    """Everything read from one workspace folder; see the module docstring."""

    root: Path
    soul: SoulLoadResult
    heartbeat_path: Path | None
    heartbeat_text: str | None
    heartbeat: HeartbeatInstructions | None
    heartbeat_empty: bool
    skills: SkillLoadResult
    bootstrap: BootstrapResult
    lowercase_soul: Path | None
    diagnostics: tuple[str, ...] = ()
    """Problems reading HEARTBEAT.md (the other parts carry their own diagnostics)."""


def find_heartbeat_file(workspace: str | Path) -> Path | None:
    """``<ws>/HEARTBEAT.md``, else ``<ws>/.agents/HEARTBEAT.md``, else ``None``."""
    root = Path(workspace).absolute()
    for folder in (root, root / ".agents"):
        path = folder / HEARTBEAT_FILE
        if exact_entry(folder, HEARTBEAT_FILE) and path.is_file():
            return path
    return None


def load_workspace(
    path: str | Path,
    *,
    soul_path: str | Path | None = None,
    home: str | Path | None = None,
    per_file_cap: int = 20_000,
    total_cap: int = 150_000,
) -> Workspace:
    """Read every workspace file under ``path``. Raises ``WorkspaceError`` if it is no folder."""
    root = Path(path).expanduser().absolute()
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise WorkspaceError(f"workspace {root} {what}")
    heartbeat_path = find_heartbeat_file(root)
    text, problem = _read_heartbeat(root, heartbeat_path)
    return Workspace(
        root=root,
        soul=load_soul(cwd=root, soul_path=soul_path, home=home),
        heartbeat_path=heartbeat_path,
        heartbeat_text=text,
        heartbeat=parse_heartbeat_md(text) if text is not None else None,
        heartbeat_empty=is_heartbeat_content_effectively_empty(text),
        skills=load_skills(root),
        bootstrap=load_bootstrap_files(root, per_file_cap=per_file_cap, total_cap=total_cap),
        lowercase_soul=find_lowercase_soul(root),
        diagnostics=(problem,) if problem else (),
    )


def _read_heartbeat(root: Path, path: Path | None) -> tuple[str | None, str | None]:
    if path is None:
        return None, None
    if not inside(path, root):
        return None, f"{path}: refused, it resolves outside the workspace"
    text, reason = read_text_file(path, max_bytes=HEARTBEAT_MAX_BYTES)
    return text, f"{path}: {reason}" if text is None else None
