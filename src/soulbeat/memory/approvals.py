"""Proposed SOUL.md / HEARTBEAT.md edits through the approval queue (``soul_edits`` /
``heartbeat_edits`` = ``approval``).

A beat's proposal is stored as an approval of type ``soul_edit`` or ``heartbeat_edit`` whose
action holds the whole new text (``{"file": "soul", "content": …, "why": …}``); it waits in the
queue like any action (API, CLI, panel). Approving it writes the text through `WorkspaceFiles`
(a version with source ``approval:<id>``); rejecting it writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from soulbeat.actions.executor import ActionResult
from soulbeat.actions.models import Problem
from soulbeat.clock import Clock
from soulbeat.memory.beat import ProposeEdit
from soulbeat.service.files import WorkspaceFiles
from soulbeat.store.base import ActionStore
from soulbeat.store.records_actions import Approval, NewApproval

__all__ = ["FILE_EDIT_TYPES", "FileEditApplier", "apply_file_edit", "file_edit_proposer"]

FILE_EDIT_TYPES = ("soul_edit", "heartbeat_edit")
FileEditApplier = Callable[[Approval], Awaitable[ActionResult]]


def file_edit_proposer(store: ActionStore, clock: Clock) -> ProposeEdit:
    async def propose(kind: str, content: str, context: Mapping[str, Any]) -> int:
        new = NewApproval(
            thread_id=str(context["thread_id"]),
            agent_id=str(context.get("agent_id") or ""),
            beat_id=context.get("beat_id"),
            skill=str(context.get("skill") or ""),
            type=f"{kind}_edit",
            action={"file": kind, "content": content, "why": str(context.get("why") or "")},
        )
        return (await store.add_approval(new, clock.now())).id

    return propose


def apply_file_edit(files: WorkspaceFiles) -> FileEditApplier:
    async def apply(approval: Approval) -> ActionResult:
        kind = approval.action.get("file")
        content = approval.action.get("content")
        if kind not in ("soul", "heartbeat") or not isinstance(content, str):
            problem = Problem("", "the stored edit names no file or has no text")
            return ActionResult(
                approval.type,
                "failed",
                approval.action,
                (problem,),
                detail="not a file edit",
                approval_id=approval.id,
            )
        view = await files.write(approval.agent_id, kind, content, source=f"approval:{approval.id}")
        return ActionResult(
            approval.type,
            "executed",
            approval.action,
            detail=f"written as version {view.version}",
            approval_id=approval.id,
        )

    return apply
