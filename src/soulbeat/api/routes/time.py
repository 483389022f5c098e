"""Issue 16's routes: a thread's schedule (cron's next fires), its reminders and its health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from soulbeat.api.deps import ServiceDep, require_api
from soulbeat.service.timing import ReminderRequest, reminder_view

router = APIRouter(tags=["time"], dependencies=[Depends(require_api)])


class ReminderCreate(BaseModel):
    """A one-shot reminder: ``text`` and exactly one of ``at`` (ISO 8601; without an offset it
    is read in the thread's timezone) and ``in`` (an interval such as ``2h``). ``urgent``
    reminders fire outside the active hours too."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    at: str | None = None
    in_: Annotated[str | None, Field(alias="in")] = None
    urgent: bool = False


@router.get("/api/threads/{tid}/schedule")
async def thread_schedule(tid: str, service: ServiceDep) -> dict[str, Any]:
    """``every`` or ``cron`` (with its zone), the next due time, a cron thread's next five fire
    times, the thread's health and its pending reminders."""
    await service.thread_detail(tid)  # plans the thread now when the scheduler has not yet
    return await service.timing.schedule(tid)


ReminderId = Annotated[int, Path(ge=1, le=2**62, description="The reminder's id.")]


@router.get("/api/threads/{tid}/reminders")
async def list_reminders(
    tid: str,
    service: ServiceDep,
    status: Annotated[str | None, Query(description="pending, done or cancelled")] = None,
) -> dict[str, Any]:
    found = await service.timing.reminders(tid, status=status)
    return {"items": [reminder_view(r) for r in found], "total": len(found)}


@router.post("/api/threads/{tid}/reminders", status_code=201)
async def add_reminder(tid: str, body: ReminderCreate, service: ServiceDep) -> dict[str, Any]:
    """A beat of the thread at that time with reason ``reminder:<id>`` and the text as a system
    event; kept across restarts. 422 names what is wrong (time, text, the pending cap)."""
    request = ReminderRequest(body.text, at=body.at, after=body.in_, urgent=body.urgent)
    return reminder_view(await service.timing.add_reminder(tid, request))


@router.delete("/api/threads/{tid}/reminders/{rid}")
async def cancel_reminder(tid: str, rid: ReminderId, service: ServiceDep) -> dict[str, Any]:
    """Cancel a pending reminder (a settled one is returned as it is)."""
    return reminder_view(await service.timing.cancel_reminder(tid, rid))


@router.get("/api/threads/{tid}/health")
async def thread_health(tid: str, service: ServiceDep) -> dict[str, Any]:
    """``healthy``, ``failing`` (a failure streak) or ``unhealthy``, with the streak."""
    return await service.timing.health(tid)


@router.get("/api/health/threads")
async def fleet_health(service: ServiceDep) -> dict[str, Any]:
    """Every thread that has a health record, and how many are unhealthy."""
    rows = await service.timing.all_health()
    return {"items": rows, "unhealthy": sum(1 for r in rows if r["state"] == "unhealthy")}
