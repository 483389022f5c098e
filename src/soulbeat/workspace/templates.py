"""Workspace templates and `init_workspace`, which writes one into a folder without overwriting.

Templates ship as package data under `workspace/templates/<name>/`. A folder named `dot-agents`
there is written as `.agents`, so no packaging step can drop it for being hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from soulbeat.errors import WorkspaceError

TEMPLATES: dict[str, str] = {
    "default": "a commented HEARTBEAT.md (empty until edited), SOUL.md, USER.md, MEMORY.md and "
    "one example skill with its own hourly heartbeat",
    "daily-summary": "seed example 1: posts a summary of the board once a day at 09:00 "
    "when there are 3 or more new posts",
    "high-frequency-voter": "seed example 2: votes on new posts every 15 minutes, never posts",
    "silent-cost-saver": "seed example 3: daily, small model, dry-run: records what it would do",
}


@dataclass(frozen=True)
class InitResult:
    """What `init_workspace` did: files written, and files left alone because they existed."""

    root: Path
    template: str
    created: tuple[Path, ...]
    kept: tuple[Path, ...]


def _template_root(name: str) -> Traversable:
    if name not in TEMPLATES:
        known = ", ".join(sorted(TEMPLATES))
        raise WorkspaceError(f'template "{name}" does not exist (expected one of: {known})')
    return resources.files("soulbeat.workspace").joinpath("templates", name)


def _walk(node: Traversable, relative: Path) -> list[tuple[Path, bytes]]:
    found: list[tuple[Path, bytes]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = ".agents" if child.name == "dot-agents" else child.name
        if child.is_dir():
            found.extend(_walk(child, relative / name))
        elif child.is_file() and not name.endswith((".pyc", ".pyo")):
            found.append((relative / name, child.read_bytes()))
    return found


def template_files(name: str) -> list[tuple[Path, bytes]]:
    """The files of template `name` as (path relative to the workspace, content)."""
    return _walk(_template_root(name), Path())


def init_workspace(target: str | Path, template: str = "default") -> InitResult:
    """Write template `template` into `target`, creating folders as needed.

    An existing file is never overwritten, whatever it holds: it is listed in `kept`. A `target`
    that exists and is not a folder raises WorkspaceError.
    """
    root = Path(target).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a folder; choose another workspace path")
    files = template_files(template)
    created: list[Path] = []
    kept: list[Path] = []
    for relative, content in files:
        path = root / relative
        if path.exists() or path.is_symlink():
            kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x" mode: if something appeared since the check above, keep it rather than overwrite.
        try:
            with path.open("xb") as handle:
                handle.write(content)
        except FileExistsError:
            kept.append(path)
            continue
        created.append(path)
    return InitResult(root=root, template=template, created=tuple(created), kept=tuple(kept))
