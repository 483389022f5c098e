"""`BeatMemory`: what one beat writes into the agent's memory, once per slot (SPEC §9.4).

A beat may, through its tools or ``heartbeat_respond``'s ``scratch`` field:

* **rewrite its thread's scratch** — a note to the next beat, shown in its prompt. The write is a
  compare-and-swap on the revision the beat was shown (`BeatStore.write_scratch`): when a person
  or another beat wrote in between, the write is refused as a ``conflict`` and the model is told
  the current revision. Text over ``scratch_max_bytes`` (UTF-8) is refused, not cut.
* **append to MEMORY.md / replace one of its sections** (``memory_edits``), written through
  `WorkspaceFiles` so each edit is a version (history, diff, rollback) with source
  ``beat:<beat key>:<index>``.
* **propose a new SOUL.md or HEARTBEAT.md** — only when ``soul_edits`` / ``heartbeat_edits`` is
  not ``off``: ``approval`` puts the edit in the approval queue (a person approves or rejects
  it; `soulbeat.memory.approvals`), ``direct`` writes it as a version at once.

Every edit is an effect numbered in the beat's order (`BeatEffects`): a beat re-run after a crash
reuses the recorded outcome instead of editing again. MEMORY.md is a file outside the database,
so an edit whose record is missing is first looked for in the file's history by its source
(written, then the worker died before recording it). In a dry-run beat nothing is written; the
edit is ``would-do``. Each edit is kept in `edits` (for the audit record) and published
(``scratch.changed``, ``memory.changed``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from soulbeat.clock import Clock
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.errors import ScratchConflictError, WorkspaceError
from soulbeat.events.models import EventSink
from soulbeat.memory.markdown import append_entry, replace_section
from soulbeat.service.files import FILE_NAMES, WorkspaceFiles
from soulbeat.store.base import BeatStore
from soulbeat.store.records import EffectRef
from soulbeat.store.records_memory import Scratch

__all__ = ["BeatMemory", "MemoryScope", "ProposeEdit"]

log = logging.getLogger(__name__)

MEMORY_MAX_CHARS = 50_000
"""The largest MEMORY.md a beat may leave behind (the prompt shows it every beat)."""

ProposeEdit = Callable[[str, str, Mapping[str, Any]], Awaitable[int]]
"""Queues a proposed file edit for approval: (file kind, content, context) → approval id."""

NextRef = Callable[[str], EffectRef | None]
Reuse = Callable[[EffectRef, str], Mapping[str, Any] | None]
Finish = Callable[[EffectRef, Mapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class MemoryScope:
    """The beat a `BeatMemory` writes for."""

    thread_id: str
    agent_id: str
    beat_id: int
    beat_key: str
    config: HeartbeatConfig


class BeatMemory:
    """The memory edits of one beat (module docstring)."""

    def __init__(
        self,
        store: BeatStore,
        files: WorkspaceFiles,
        clock: Clock,
        scope: MemoryScope,
        scratch: Scratch,
        *,
        next_ref: NextRef,
        reuse: Reuse,
        finish: Finish,
        events: EventSink | None = None,
        propose: ProposeEdit | None = None,
    ) -> None:
        self._store, self._files, self._clock, self.scope = store, files, clock, scope
        self.scratch = scratch
        """The scratch as the beat was shown it (then as its own write left it)."""
        self._next, self._reuse, self._finish = next_ref, reuse, finish
        self._events, self._propose = events, propose
        self.edits: list[dict[str, Any]] = []

    # -- the scratch ------------------------------------------------------------------------------
    async def write_scratch(self, content: str, base_revision: int | None = None) -> dict[str, Any]:
        """Rewrite the scratch; ``base_revision`` None means the revision the beat was shown."""
        config, scope = self.scope.config, self.scope
        base = self.scratch.revision if base_revision is None else base_revision
        size = len(content.encode("utf-8"))
        edit: dict[str, Any] = {"kind": "scratch", "base_revision": base, "bytes": size}
        if size > config.scratch_max_bytes:
            detail = f"the scratch is {size} bytes; the most allowed is {config.scratch_max_bytes}"
            return self._done(edit | {"status": "refused", "detail": detail})
        if config.dry_run:
            return self._done(edit | {"status": "would-do", "content": content})
        ref = self._next("scratch")
        try:
            written = await self._store.write_scratch(
                scope.thread_id,
                content,
                self._clock.now(),
                expected_revision=base,
                beat_key=scope.beat_key,
                effect=ref,
            )
        except ScratchConflictError as conflict:
            detail = f"{conflict} (current revision {conflict.current})"
            return self._done(edit | {"status": "conflict", "detail": detail})
        self.scratch = written
        self._publish("scratch.changed", {"revision": written.revision, "bytes": size})
        return self._done(edit | {"status": "written", "revision": written.revision})

    # -- MEMORY.md --------------------------------------------------------------------------------
    async def append_memory(self, entry: str) -> dict[str, Any]:
        return await self._edit_memory({"kind": "memory.append", "entry": entry}, entry, None)

    async def replace_memory_section(self, heading: str, body: str) -> dict[str, Any]:
        edit = {"kind": "memory.replace_section", "heading": heading, "body": body}
        return await self._edit_memory(edit, body, heading)

    async def _edit_memory(
        self, edit: dict[str, Any], text: str, heading: str | None
    ) -> dict[str, Any]:
        scope = self.scope
        if not scope.config.memory_edits:
            return self._done(edit | {"status": "refused", "detail": "memory_edits is off"})
        if heading is not None and not heading.strip():
            return self._done(edit | {"status": "refused", "detail": "the heading is empty"})
        if heading is None and not text.strip():
            return self._done(edit | {"status": "refused", "detail": "the entry is empty"})
        if scope.config.dry_run:
            return self._done(edit | {"status": "would-do"})
        ref = self._next("memory")
        kept = None if ref is None else self._reuse(ref, "memory")
        if kept is not None:
            return self._done(edit | dict(kept))
        source = f"beat:{ref.idempotency_key}" if ref is not None else f"beat:{scope.beat_key}"
        outcome = await self._find_written(source) or await self._write_memory(
            heading, text, source
        )
        if ref is not None and outcome["status"] == "written":
            await self._finish(ref, {"memory": outcome})
        if outcome["status"] == "written":
            self._publish("memory.changed", {"version": outcome["version"], "source": source})
        return self._done(edit | outcome)

    async def _find_written(self, source: str) -> dict[str, Any] | None:
        """An earlier attempt's version of this edit (written, not recorded), if there is one."""
        recent = await self._store.file_versions(self.scope.agent_id, "memory", limit=5)
        found = next((v for v in recent if v.source == source), None)
        return None if found is None else {"status": "written", "version": found.version}

    async def _write_memory(self, heading: str | None, text: str, source: str) -> dict[str, Any]:
        agent = self.scope.agent_id
        current = await self._files.read(agent, "memory")
        if heading is None:
            new, replaced = append_entry(current.content, text), False
        else:
            new, replaced = replace_section(current.content, heading, text)
        if len(new) > MEMORY_MAX_CHARS:
            detail = f"MEMORY.md would be {len(new)} characters; the most is {MEMORY_MAX_CHARS}"
            return {"status": "refused", "detail": detail}
        try:
            view = await self._files.write(
                agent, "memory", new, source=source, base_sha256=current.sha256
            )
        except WorkspaceError as error:
            return {"status": "failed", "detail": str(error)}
        outcome: dict[str, Any] = {"status": "written", "version": view.version}
        if heading is not None:
            outcome["section_existed"] = replaced
        return outcome

    # -- SOUL.md and HEARTBEAT.md -----------------------------------------------------------------
    async def propose_file(
        self, kind: Literal["soul", "heartbeat"], content: str, why: str = ""
    ) -> dict[str, Any]:
        """Propose a new SOUL.md / HEARTBEAT.md under the config's policy for it."""
        config, scope = self.scope.config, self.scope
        policy = config.soul_edits if kind == "soul" else config.heartbeat_edits
        edit: dict[str, Any] = {"kind": f"{kind}.propose", "chars": len(content), "why": why}
        name = FILE_NAMES[kind]
        if policy == "off":
            return self._done(edit | {"status": "refused", "detail": f"{name} is read-only here"})
        if config.dry_run:
            return self._done(edit | {"status": "would-do", "policy": policy})
        ref = self._next(f"{kind}-edit")
        kept = None if ref is None else self._reuse(ref, "file_edit")
        if kept is not None:
            return self._done(edit | dict(kept))
        outcome: dict[str, Any]
        if policy == "approval":
            if self._propose is None:
                outcome = {"status": "refused", "detail": "this soulbeat has no approval queue"}
            else:
                context = {
                    "thread_id": scope.thread_id,
                    "agent_id": scope.agent_id,
                    "beat_id": scope.beat_id,
                    "why": why,
                }
                approval = await self._propose(kind, content, context)
                outcome = {"status": "pending-approval", "approval_id": approval}
        else:
            source = f"beat:{ref.idempotency_key}" if ref is not None else "beat"
            view = await self._files.write(scope.agent_id, kind, content, source=source)
            outcome = {"status": "written", "version": view.version}
        if ref is not None and outcome["status"] != "refused":
            await self._finish(ref, {"file_edit": outcome})
        return self._done(edit | outcome)

    # -- bookkeeping ------------------------------------------------------------------------------
    def _done(self, edit: dict[str, Any]) -> dict[str, Any]:
        self.edits.append(edit)
        return edit

    def _publish(self, name: str, data: Mapping[str, Any]) -> None:
        if self._events is None:
            return
        payload = {
            "thread_id": self.scope.thread_id,
            "agent_id": self.scope.agent_id,
            "beat_id": self.scope.beat_id,
            **data,
        }
        try:
            self._events.publish(name, payload)
        except Exception:  # a failing listener never stops the beat
            log.exception("publishing %s failed", name)
