"""Threads, their messages and their queued system events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from soulbeat.api.deps import ServiceDep, require_api
from soulbeat.api.paging import page
from soulbeat.api.schemas import (
    EventCreate,
    EventOut,
    MessageCreate,
    ThreadCreate,
    ThreadOut,
    ThreadsCreate,
)
from soulbeat.service.core import ThreadDetail
from soulbeat.service.views import event_view, message_view, plain, thread_view
from soulbeat.store.records import Schedule

router = APIRouter(tags=["threads"], dependencies=[Depends(require_api)])


def schedule_view(schedule: Schedule) -> dict[str, Any]:
    return {
        "skill": schedule.skill,
        "next_due_at": plain(schedule.next_due_at),
        "last_started_at": plain(schedule.last_started_at),
        "last_finished_at": plain(schedule.last_finished_at),
    }


def detail_view(detail: ThreadDetail) -> dict[str, Any]:
    view = thread_view(detail.thread, detail.main)
    view["schedules"] = [schedule_view(s) for s in detail.schedules]
    return view


@router.post("/api/threads", status_code=201, response_model=ThreadOut)
async def create_thread(body: ThreadCreate, service: ServiceDep) -> dict[str, Any]:
    """A new thread (of agent `agent`, default `default`); it beats on its agent's config."""
    thread = await service.create_thread(thread_id=body.id, title=body.title, agent=body.agent)
    return detail_view(await service.thread_detail(thread.id))


@router.post("/api/threads/bulk", status_code=201)
async def create_threads(body: ThreadsCreate, service: ServiceDep) -> dict[str, Any]:
    """Many threads in one transaction, all or none (a fleet: up to 100,000 a request); they
    are planned in bulk on the scheduler's next pass. Returns how many were added and the new
    total."""
    specs = [(t.id or "", t.title, t.agent) for t in body.threads]
    specs += [
        (f"{body.prefix}{n}", "", body.agent) for n in range(body.start, body.start + body.count)
    ]
    added = await service.create_threads(specs)
    return {"added": added, "total": await service.thread_count()}


@router.get("/api/threads")
async def list_threads(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> dict[str, Any]:
    """Threads in creation order, `limit` at a time, each with its next due time (null until
    planned, or when disabled); `total` counts them all, `next_offset` is null on the last
    page."""
    rows = await service.thread_overview(limit=limit, offset=offset)
    items = [thread_view(t, s) if s else thread_view(t) | {"next_due_at": None} for t, s in rows]
    return page(items, await service.thread_count(), limit, offset)


@router.get("/api/threads/{tid}", response_model=ThreadOut)
async def get_thread(tid: str, service: ServiceDep) -> dict[str, Any]:
    """The thread with its schedules (its own heartbeat and each skill's) and next due time."""
    return detail_view(await service.thread_detail(tid))


@router.delete("/api/threads/{tid}")
async def delete_thread(tid: str, service: ServiceDep) -> dict[str, Any]:
    """Remove the thread with its messages, schedules and queued events; its beats stay in the
    audit trail."""
    await service.delete_thread(tid)
    return {"deleted": tid}


@router.get("/api/threads/{tid}/messages")
async def list_messages(
    tid: str,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> dict[str, Any]:
    """The newest `limit` messages after skipping the `offset` newest, oldest first (so the
    next page, `next_offset`, goes further back); `total` counts all of the thread's."""
    messages = await service.messages(tid, limit=limit, offset=offset)
    total = await service.message_count(tid)
    return {"thread_id": tid} | page([message_view(m) for m in messages], total, limit, offset)


@router.post("/api/threads/{tid}/messages", status_code=201)
async def send_message(tid: str, body: MessageCreate, service: ServiceDep) -> dict[str, Any]:
    """Store the person's message and return it with the agent's reply. When the model server
    fails: 502 with the reason; the person's message is kept."""
    user, reply = await service.send_message(tid, body.text, channel=body.channel)
    return {"message": message_view(user), "reply": message_view(reply) if reply else None}


@router.post("/api/threads/{tid}/events", status_code=201, response_model=EventOut)
async def queue_event(tid: str, body: EventCreate, service: ServiceDep) -> dict[str, Any]:
    """Queue a system event, shown to the model at the thread's next beat; `wake: now` wakes
    the thread at once (an event-driven beat runs even on an empty HEARTBEAT.md)."""
    event = await service.queue_event(tid, body.text, wake=body.wake)
    return event_view(event) | {"wake": body.wake}
