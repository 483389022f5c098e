"""The seed's heartbeat endpoints: status, start/stop, a thread's config, run-now and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response

from soulbeat.api.deps import ServiceDep, require_api
from soulbeat.api.paging import page
from soulbeat.api.schemas import BeatOut, ConfigChanges, Outcome, RunNow
from soulbeat.service.core import ThreadConfigView
from soulbeat.service.views import beat_view, plain
from soulbeat.store.records import MAIN

router = APIRouter(tags=["heartbeat"], dependencies=[Depends(require_api)])

CONFIG_EXAMPLES = {
    "snake_case": {"value": {"every": "2h", "active_hours": {"start": "09:00", "end": "17:00"}}},
    "seed 000": {
        "value": {"every_seconds": 86400, "active_hours_start": 9, "active_hours_end": 10}
    },
    "PascalCase": {"value": {"Every": "30m", "AckMaxChars": 200}},
    "enable": {"value": {"enabled": True}},
    "remove a key": {"value": {"every": None}},
}


def config_body(view: ThreadConfigView) -> dict[str, Any]:
    return {
        "thread_id": view.thread_id,
        "enabled": view.enabled,
        "overrides": plain(view.overrides),
        "effective": plain(view.effective),
        "warnings": list(view.warnings),
        "next_fires": list(view.next_fires),
    }


STATUS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The status",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.get("/api/heartbeat/status", response_class=Response, responses=STATUS_RESPONSES)
async def heartbeat_status(service: ServiceDep) -> Response:
    """Whether the heartbeat runs, beats in flight, the next due time and the last beat."""
    # Already encoded, kept until something changes (`soulbeat.service.status_cache`): no
    # response model, no re-encoding per request.
    return Response(await service.status_json(), media_type="application/json")


@router.post("/api/heartbeat/start")
async def heartbeat_start(service: ServiceDep) -> dict[str, Any]:
    """Turn the global heartbeat flag on (stored: a restart keeps it); returns the status."""
    return await service.start()


@router.post("/api/heartbeat/stop")
async def heartbeat_stop(service: ServiceDep) -> dict[str, Any]:
    """Turn the global heartbeat flag off: nothing is claimed or recorded until started again
    (manual beats still run); returns the status."""
    return await service.stop()


@router.post("/api/heartbeat/prune")
async def heartbeat_prune(service: ServiceDep) -> dict[str, Any]:
    """Delete finished beats, action log rows and consumed events older than the `retention`
    setting (default 30d; a daily pass does the same); returns how many rows went."""
    return await service.prune()


@router.get("/api/threads/{tid}/heartbeat/config")
async def get_thread_config(tid: str, service: ServiceDep) -> dict[str, Any]:
    """The thread's enabled flag, its stored overrides and the effective config with the
    source of each key (default, file, env, agent, thread)."""
    return config_body(await service.thread_config(tid))


@router.post("/api/threads/{tid}/heartbeat/config")
async def set_thread_config(
    tid: str,
    service: ServiceDep,
    changes: Annotated[ConfigChanges, Body(openapi_examples=CONFIG_EXAMPLES)],
    replace: Annotated[bool, Query(description="Replace all overrides instead of merging")] = False,
) -> dict[str, Any]:
    """Change the thread's heartbeat config: a partial config in any accepted spelling
    (snake_case, seed 000's `every_seconds` / `active_hours_start`, PascalCase). `enabled` sets
    the stored thread flag; a key set to null falls back to the lower layers. Invalid → 422
    naming each key, value and expected form; nothing is stored then."""
    return config_body(await service.configure_thread(tid, changes, replace=replace))


@router.post("/api/threads/{tid}/heartbeat/run-now", response_model=BeatOut)
async def run_now(
    tid: str, service: ServiceDep, body: Annotated[RunNow | None, Body()] = None
) -> dict[str, Any]:
    """Run one manual beat now (of the thread, or of `skill`) and return its summary when it
    has ended; the whole audit record is at `audit_url`."""
    record = await service.run_now(tid, (body.skill if body else None) or MAIN)
    return beat_view(record) | {"audit_url": f"/api/beats/{record.id}"}


@router.get("/api/threads/{tid}/heartbeat/history")
async def history(
    tid: str,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    outcome: Annotated[Outcome | None, Query(description="Only beats with this outcome")] = None,
) -> dict[str, Any]:
    """The thread's beats, newest first, `limit` at a time; `next_offset` is null on the last
    page."""
    beats = await service.history(tid, outcome=outcome, limit=limit, offset=offset)
    total = await service.history_count(tid, outcome=outcome)
    return {"thread_id": tid} | page([beat_view(b) for b in beats], total, limit, offset)
