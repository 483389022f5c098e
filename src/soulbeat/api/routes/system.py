"""Health, metrics, the doctor report and the page at `/` when the panel is not built."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from soulbeat import __version__
from soulbeat.api.deps import ServiceDep, StateDep, require_api
from soulbeat.api.metrics import CONTENT_TYPE
from soulbeat.service.views import plain

open_router = APIRouter(tags=["system"])
router = APIRouter(tags=["system"], dependencies=[Depends(require_api)])

NO_PANEL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>soulbeat</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>soulbeat is running</h1>
<p>The API is at <code>/api</code> (documented at <a href="/docs">/docs</a>).
The web panel has not been built into this installation.</p>
<p>Build it with <code>make panel</code> (or <code>npm --prefix web run build</code>),
then restart <code>soulbeat serve</code>.</p>
</body></html>
"""


@open_router.get("/healthz")
async def healthz() -> dict[str, Any]:
    """Liveness: 200 while the server answers. No token needed; tells nothing private."""
    return {"status": "ok", "version": __version__}


async def no_panel() -> HTMLResponse:
    """`GET /` when the panel is not built: how to build it (added by `create_app`)."""
    return HTMLResponse(NO_PANEL_PAGE)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(state: StateDep) -> Response:
    """Prometheus metrics (see `soulbeat.api.metrics` for each one)."""
    body = await state.metrics.render(state.service)
    return Response(body, media_type=CONTENT_TYPE)


@router.get("/api/doctor")
async def doctor(
    service: ServiceDep,
    agent: Annotated[str, Query(max_length=64)] = "default",
    model: Annotated[bool, Query(description="Also probe the model server")] = False,
) -> dict[str, Any]:
    """The doctor report of an agent's workspace: soul, HEARTBEAT.md, skills, bootstrap files,
    the effective config, and with `model=true` the model server (reachable, model present,
    tool calls); `ok` is false when any finding is an error."""
    found = await asyncio.to_thread(service.doctor, agent, probe_model=model)
    report: dict[str, Any] = plain(found.as_dict())
    return report
