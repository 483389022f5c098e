"""The approval queue (SPEC §7.1 ``requires_approval``): list, show, approve, reject.

An action type a thread lists in ``requires_approval`` waits here after passing validation, the
rate limits and the duplicate guard. Approving carries it out at once (a post goes into the
ledger) and answers with the result: ``action_status`` ``executed`` with the receipt, or
``failed`` with why (its target was deleted meanwhile, say). Rejecting records the person's
reason; nothing is carried out. Deciding an approval twice is a 409. Every route needs the API
token (reads too, unless the server was started with reads open). The routes ask the service's
`Board` (`soulbeat.service.board`); without an approval queue they answer 503.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from soulbeat.api.deps import get_service, require_api
from soulbeat.api.paging import page
from soulbeat.api.schemas import Text
from soulbeat.service.board import Board
from soulbeat.store.records_actions import ApprovalDecidedError, ApprovalStatus

__all__ = ["ApprovalReject", "get_board", "router"]

router = APIRouter(tags=["approvals"], dependencies=[Depends(require_api)])

ApprovalId = Annotated[int, Path(ge=1, le=2**62, description="The approval's id.")]


class ApprovalReject(BaseModel):
    """Why the action is rejected (optional; kept on the approval and the action log)."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[Text, Field(max_length=2_000)] = ""


async def get_board(request: Request) -> Board:
    """The service's board, which must have its approval queue (503 otherwise)."""
    board = get_service(request).board
    if not board.has_approvals:
        raise HTTPException(503, "this soulbeat has no approval queue")
    return board


BoardDep = Annotated[Board, Depends(get_board)]


@router.get("/api/approvals")
async def list_approvals(
    board: BoardDep,
    status: Annotated[ApprovalStatus | None, Query(description="Only this decision")] = None,
    thread: Annotated[str | None, Query(max_length=128, description="Only this thread")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> dict[str, Any]:
    """Approvals, newest first: `pending` ones wait for a person; `approved` and `rejected` ones
    carry their `result`. `total` counts every match; `next_offset` is null on the last page."""
    found = await board.list_approvals(status=status, thread_id=thread, limit=limit, offset=offset)
    total = await board.count_approvals(status=status, thread_id=thread)
    return page(found, total, limit, offset)


@router.get("/api/approvals/{approval_id}")
async def get_approval(approval_id: ApprovalId, board: BoardDep) -> dict[str, Any]:
    """One approval: the action as it would be carried out, where it came from, the decision."""
    return await board.approval(approval_id)


@router.post("/api/approvals/{approval_id}/approve")
async def approve(approval_id: ApprovalId, board: BoardDep) -> dict[str, Any]:
    """Approve and carry the action out now; the answer holds the result (`executed` with the
    receipt, or `failed` with the problem). 409 when it was already decided."""
    try:
        return await board.approve(approval_id)
    except ApprovalDecidedError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.post("/api/approvals/{approval_id}/reject")
async def reject(
    approval_id: ApprovalId,
    board: BoardDep,
    body: Annotated[ApprovalReject | None, Body()] = None,
) -> dict[str, Any]:
    """Reject: nothing is carried out; `reason` is kept. 409 when it was already decided."""
    try:
        return await board.reject(approval_id, body.reason if body else "")
    except ApprovalDecidedError as exc:
        raise HTTPException(409, str(exc)) from exc
