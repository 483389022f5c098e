"""`WorkspaceSnapshots`: each workspace read once and kept until a file it was read from changes.

Planning and guarding a beat need the agent's workspace (HEARTBEAT.md, its tasks, the skills and
their own HEARTBEAT.md). Reading and parsing them for every beat of 100,000 threads is what made a
pass cost O(threads); a snapshot is read once and re-used while its *signature* is unchanged.

The signature is the `os.stat` facts (inode, size, mtime in ns) of every path the workspace is
read from: the root and its `.agents`, `.agents/soul` and `.agents/skills` folders (a file
added or removed changes a folder's mtime), the bootstrap, SOUL.md and HEARTBEAT.md names in
them, the explicit soul path and `~/.agents/SOUL.md`, and in each skill folder its SKILL.md and
HEARTBEAT.md. A stat costs about a microsecond; a missing path counts as a fact too. The skills
part alone is `skills_signature`: it is all that decides which schedules exist.

Trusted while watched: with ``trust`` > 0 (set by the planner while its `watchfiles` watch runs,
`WorkspacePlanner.watch`), a snapshot whose signature was checked less than ``trust`` seconds ago
(monotonic time) is used without a stat; the watch calls `invalidate()` on any change, so an edit
is seen as soon as the watch reports it (its debounce, about 70 ms), and within ``trust`` seconds
even if it never does. Without a watch every `get` checks the stats, as before. At fleet size the
stats were the largest part of a beat's CPU (about 40 per beat, issue 12).

Racy edits: a file rewritten within the file system's timestamp granularity, at the same size,
keeps its stat facts. So a snapshot read while any of its paths is younger than `RACY_SECONDS`
(by the file system's own clock, ``time.time``, not the scheduling clock) is not kept: the next
call reads again (the rule git uses for its index).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from soulbeat.workspace.bootstrap import BOOTSTRAP_ORDER
from soulbeat.workspace.loader import Workspace

__all__ = ["RACY_SECONDS", "Signature", "WorkspaceSnapshots", "skills_signature"]

RACY_SECONDS = 2.0
Fact = tuple[int, int, int] | None
Signature = tuple[tuple[str, Fact], ...]

_ROOT_NAMES = (*BOOTSTRAP_ORDER, "memory.md", "soul.md", "HEARTBEAT.md", "SOUL.md")
_AGENTS_NAMES = ("HEARTBEAT.md", "SOUL.md")
_SKILL_FILES = ("SKILL.md", "HEARTBEAT.md")


def _fact(path: str) -> Fact:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _skill_paths(root: Path) -> Iterator[str]:
    folder = os.path.join(root, ".agents", "skills")
    yield folder
    try:
        entries = sorted(entry.name for entry in os.scandir(folder))
    except OSError:
        return
    for name in entries:
        skill = os.path.join(folder, name)
        yield skill
        for file in _SKILL_FILES:
            yield os.path.join(skill, file)


def skills_signature(root: Path) -> Signature:
    """The stat facts of the skills folder, each skill folder and its SKILL.md / HEARTBEAT.md."""
    return tuple((path, _fact(path)) for path in _skill_paths(root))


def _fixed_paths(root: Path, extra: tuple[Path, ...]) -> tuple[str, ...]:
    agents = root / ".agents"
    paths = [str(root), str(agents), str(agents / "soul"), str(agents / "soul" / "SOUL.md")]
    paths += [str(root / name) for name in _ROOT_NAMES]
    paths += [str(agents / name) for name in _AGENTS_NAMES]
    paths += [str(path) for path in extra]
    return tuple(paths)


def workspace_signature(root: Path, extra: tuple[Path, ...] = ()) -> Signature:
    """The stat facts of every path `load_workspace` reads under ``root`` (module docstring)."""
    facts = tuple((path, _fact(path)) for path in _fixed_paths(root, extra))
    return facts + skills_signature(root)


@dataclass
class _Snapshot:
    signature: Signature
    workspace: Workspace
    memo: dict[object, object] = field(default_factory=dict)
    checked: float = float("-inf")
    """When (monotonic) the signature was last found unchanged."""


class WorkspaceSnapshots:
    """Workspaces by root folder, re-read only when their signature changes (module docstring).

    ``reads`` counts the workspaces actually read (for tests and the profile).
    """

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._snapshots: dict[Path, _Snapshot] = {}
        self._paths: dict[tuple[Path, tuple[Path, ...]], tuple[str, ...]] = {}
        self._skills: dict[Path, tuple[Signature, float]] = {}
        self.reads = 0
        self.trust = 0.0
        """Seconds a checked signature is trusted without a stat (module docstring); 0: never."""

    def invalidate(self) -> None:
        """Something changed on disk (the watch said so): check every signature again."""
        for snapshot in self._snapshots.values():
            snapshot.checked = float("-inf")
        self._skills.clear()

    def skills_signature(self, root: Path) -> Signature:
        """`skills_signature(root)`, trusted like a snapshot while ``trust`` > 0."""
        if self.trust <= 0:
            return skills_signature(root)
        now = self._monotonic()
        known = self._skills.get(root)
        if known is not None and now - known[1] < self.trust:
            return known[0]
        signature = skills_signature(root)
        self._skills[root] = (signature, now)
        return signature

    def get(
        self, root: Path, load: Callable[[], Workspace], extra: tuple[Path, ...] = ()
    ) -> tuple[Workspace, dict[object, object]]:
        """The workspace at ``root`` (read by ``load`` when new or changed) and a memo dict that
        lives exactly as long as this snapshot (for things derived from it)."""
        known = self._snapshots.get(root)
        now = self._monotonic()
        if known is not None and self.trust > 0 and now - known.checked < self.trust:
            return known.workspace, known.memo
        paths = self._paths.get((root, extra))
        if paths is None:
            paths = self._paths[(root, extra)] = _fixed_paths(root, extra)
        signature = tuple((path, _fact(path)) for path in paths) + skills_signature(root)
        if known is not None and known.signature == signature:
            known.checked = now
            return known.workspace, known.memo
        workspace = load()  # raises WorkspaceError for a missing folder: nothing is kept
        self.reads += 1
        snapshot = _Snapshot(signature, workspace, checked=now)
        if self._settled(signature):
            self._snapshots[root] = snapshot
        else:
            self._snapshots.pop(root, None)
        return workspace, snapshot.memo

    def _settled(self, signature: Signature) -> bool:
        newest = max((fact[2] for _, fact in signature if fact is not None), default=0)
        return self._wall() - newest / 1e9 >= RACY_SECONDS
