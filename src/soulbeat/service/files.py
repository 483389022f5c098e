"""`WorkspaceFiles`: SOUL.md, HEARTBEAT.md and MEMORY.md read, written and versioned (seed 004's
history).

Every write through soulbeat records a version in the store; an edit made on disk by hand is
noticed the next time the file is read or its history listed (its hash differs from the newest
version's) and recorded as a version with source `disk`, so the history has no gaps a person
cannot explain. A rollback writes the old content as a new version: history only grows.

Noticing and writing hold one lock per file, so two requests arriving together (the panel reads
the file and its history at once) record a disk edit once, not twice. A write may name the hash
it was based on (`base_sha256`): when the file holds something else by then (changed on disk or
by another writer), `EditConflictError` is raised and nothing is written.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from soulbeat.agents.registry import AgentRegistry
from soulbeat.clock import Clock
from soulbeat.errors import EditConflictError, WorkspaceError
from soulbeat.store.base import BeatStore
from soulbeat.store.records import FileVersion
from soulbeat.workspace.loader import find_heartbeat_file

FileKind = Literal["soul", "heartbeat", "memory"]
FILE_KINDS: tuple[FileKind, ...] = ("soul", "heartbeat", "memory")
FILE_NAMES: dict[FileKind, str] = {
    "soul": "SOUL.md",
    "heartbeat": "HEARTBEAT.md",
    "memory": "MEMORY.md",
}
MAX_FILE_CHARS = 200_000
"""Larger writes are refused: the bootstrap caps would cut them anyway."""


@dataclass(frozen=True)
class FileView:
    """A file as it is now: `exists` False (and content "") when it was never written."""

    agent_id: str
    kind: FileKind
    path: Path
    exists: bool
    content: str
    version: int | None
    sha256: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class WorkspaceFiles:
    def __init__(self, registry: AgentRegistry, store: BeatStore, clock: Clock) -> None:
        self._registry = registry
        self._store = store
        self._clock = clock
        self._locks: dict[tuple[str, FileKind], asyncio.Lock] = {}

    def _lock(self, agent_id: str, kind: FileKind) -> asyncio.Lock:
        return self._locks.setdefault((agent_id, kind), asyncio.Lock())

    def path(self, agent_id: str, kind: FileKind) -> Path:
        """Where `kind` lives for the agent: the file soulbeat reads, else its default place."""
        root = self._registry.workspace_path(agent_id).expanduser().resolve()
        if kind == "heartbeat":
            return find_heartbeat_file(root) or root / "HEARTBEAT.md"
        if kind == "memory":
            lower = root / "memory.md"  # the bootstrap loader reads either spelling
            return (
                lower
                if lower.is_file() and not (root / "MEMORY.md").is_file()
                else root / "MEMORY.md"
            )
        soul = self._registry.workspace(agent_id).soul.soul if root.is_dir() else None
        # A soul found outside the workspace (~/.agents) is read, but writes go to the workspace.
        if soul is not None and Path(soul.file_path).is_relative_to(root):
            return Path(soul.file_path)
        return root / "SOUL.md"

    async def read(self, agent_id: str, kind: FileKind) -> FileView:
        path = self.path(agent_id, kind)
        async with self._lock(agent_id, kind):
            content = _read(path)
            version = await self._notice(agent_id, kind, content)
        return FileView(
            agent_id, kind, path, content is not None, content or "", version, _sha(content or "")
        )

    async def write(
        self,
        agent_id: str,
        kind: FileKind,
        content: str,
        *,
        source: str = "api",
        base_sha256: str | None = None,
    ) -> FileView:
        """Write `content` (atomically) and record it as a version. Refuses oversized text, and
        (`EditConflictError`) a write whose `base_sha256` is not the file's hash any more."""
        if len(content) > MAX_FILE_CHARS:
            raise WorkspaceError(
                f"{kind} file is {len(content)} characters; the most soulbeat "
                f"accepts is {MAX_FILE_CHARS}"
            )
        path = self.path(agent_id, kind)
        async with self._lock(agent_id, kind):
            current = _read(path)
            noticed = await self._notice(agent_id, kind, current)
            now_sha = _sha(current or "")
            if base_sha256 is not None and base_sha256 != now_sha:
                name = FILE_NAMES[kind]
                raise EditConflictError(
                    f"{name} changed since it was opened (now version {noticed}); "
                    "your text was not saved",
                    sha256=now_sha,
                    version=noticed,
                )
            _write_atomically(path, content)
            saved = await self._store.add_file_version(
                agent_id, kind, content, self._clock.now(), source=source
            )
        return FileView(agent_id, kind, path, True, content, saved.version, saved.sha256)

    async def versions(self, agent_id: str, kind: FileKind) -> list[FileVersion]:
        """Newest first; a pending disk edit is recorded first."""
        async with self._lock(agent_id, kind):
            await self._notice(agent_id, kind, _read(self.path(agent_id, kind)))
        return await self._store.file_versions(agent_id, kind)

    async def version(self, agent_id: str, kind: FileKind, number: int) -> FileVersion:
        return await self._store.get_file_version(agent_id, kind, number)

    async def diff(self, agent_id: str, kind: FileKind, old: int, new: int | None = None) -> str:
        """Unified diff from version `old` to version `new` (default: the file as it is now)."""
        before = await self.version(agent_id, kind, old)
        if new is None:
            after_text = (await self.read(agent_id, kind)).content
            after_name = "current"
        else:
            after_text = (await self.version(agent_id, kind, new)).content
            after_name = f"v{new}"
        lines = difflib.unified_diff(
            before.content.splitlines(keepends=True),
            after_text.splitlines(keepends=True),
            fromfile=f"{kind}@v{old}",
            tofile=f"{kind}@{after_name}",
        )
        return "".join(lines)

    async def rollback(self, agent_id: str, kind: FileKind, number: int) -> FileView:
        """Write version `number`'s content again, as a new version."""
        old = await self.version(agent_id, kind, number)
        return await self.write(agent_id, kind, old.content, source=f"rollback:v{number}")

    async def _notice(self, agent_id: str, kind: FileKind, content: str | None) -> int | None:
        """Record the file's current content as a `disk` version when it differs from the newest
        recorded one; return the version number that matches the file. Callers hold the lock."""
        if content is None:
            return None
        history = await self._store.file_versions(agent_id, kind, limit=1)
        if history and history[0].sha256 == _sha(content):
            return history[0].version
        saved = await self._store.add_file_version(
            agent_id, kind, content, self._clock.now(), source="disk"
        )
        return saved.version


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read {path}: {exc}") from exc


def _write_atomically(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["FILE_KINDS", "FILE_NAMES", "FileKind", "FileView", "WorkspaceFiles"]
