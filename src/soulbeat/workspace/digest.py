"""`workspace_digest`: one hash over what a beat is shown from its workspace — every bootstrap
file (SOUL.md, USER.md, MEMORY.md …) and HEARTBEAT.md — so the `unchanged` guard (SPEC §9.1) can
tell whether a person edited them since the last beat without trusting file times."""

from __future__ import annotations

import hashlib

from soulbeat.workspace.loader import Workspace

__all__ = ["workspace_digest"]

_SEEN: dict[int, tuple[Workspace, str]] = {}
_SEEN_MAX = 1024


def workspace_digest(workspace: Workspace) -> str:
    """sha256 over (name, content) of the bootstrap files and HEARTBEAT.md, in a fixed order.
    A workspace snapshot is immutable and reused until a file changes, so its digest is
    remembered per snapshot (by identity) instead of hashed again at every beat."""
    seen = _SEEN.get(id(workspace))
    if seen is not None and seen[0] is workspace:
        return seen[1]
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()
    found = _SEEN[id(workspace)] = (workspace, _digest(workspace))
    return found[1]


def _digest(workspace: Workspace) -> str:
    digest = hashlib.sha256()
    parts = sorted((f.name, f.content) for f in workspace.bootstrap.files)
    parts.append(("HEARTBEAT.md", workspace.heartbeat_text or ""))
    for name, content in parts:
        digest.update(name.encode("utf-8") + b"\0" + content.encode("utf-8") + b"\0")
    return digest.hexdigest()
