"""The audit trail: one beat's whole record, and the export as JSON lines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from soulbeat.api.deps import ServiceDep, aware_utc, require_api
from soulbeat.api.schemas import BeatOut
from soulbeat.service.views import beat_view

router = APIRouter(tags=["audit"], dependencies=[Depends(require_api)])


@router.get("/api/beats/{beat_id}", response_model=BeatOut)
async def get_beat(
    beat_id: Annotated[int, Path(ge=1, le=2**62)], service: ServiceDep
) -> dict[str, Any]:
    """One beat with its whole audit record (SPEC §7.4): guards, config, prompt, model, tokens,
    reply, actions, deliveries, warnings."""
    return beat_view(await service.beat(beat_id), full=True)


@router.get(
    "/api/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "JSON lines"}},
)
async def export_audit(
    service: ServiceDep,
    thread: Annotated[str | None, Query(max_length=128, description="Only this thread")] = None,
    since: Annotated[datetime | None, Query(description="Beats due at or after this time")] = None,
    until: Annotated[datetime | None, Query(description="Beats due before this time")] = None,
) -> StreamingResponse:
    """Every beat's audit record as JSON lines (`application/x-ndjson`), newest first by due
    time, streamed; `since` <= due < `until`, a time without a zone taken as UTC. Beats of
    deleted threads are kept, so an unknown `thread` is an empty export, not a 404."""
    lines = service.export_audit(
        thread_id=thread, since=aware_utc(since, "since"), until=aware_utc(until, "until")
    )
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="soulbeat-audit.ndjson"'},
    )
