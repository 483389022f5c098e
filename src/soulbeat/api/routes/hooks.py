"""`POST /api/hooks/wake`: a webhook trigger, guarded by the hook token (not the API token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from soulbeat.api.deps import ServiceDep, require_hook
from soulbeat.api.schemas import HookWake
from soulbeat.service.views import event_view

router = APIRouter(tags=["hooks"], dependencies=[Depends(require_hook)])


@router.post("/api/hooks/wake", status_code=202)
async def hook_wake(body: HookWake, service: ServiceDep) -> dict[str, Any]:
    """Wake `thread_id` now with reason `hook:<name>`. `text`, when given, is queued first as a
    system event from `hook:<name>`; the model sees it as untrusted data, never as instructions.
    Accepted (202): the beat runs on the scheduler's next pass, subject to its guards (cooldown
    and flood limits apply to hook wakes)."""
    reason, event = await service.hook_wake(body.thread_id, name=body.name, text=body.text)
    return {
        "thread_id": body.thread_id,
        "reason": reason,
        "event": event_view(event) if event else None,
    }
