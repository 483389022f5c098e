"""`GET /api/events`: every bus event as Server-Sent Events (see `soulbeat.api.sse`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from soulbeat.api.deps import StateDep, require_api
from soulbeat.api.sse import event_stream, parse_last_event_id

router = APIRouter(tags=["events"], dependencies=[Depends(require_api)])


def resume_after(
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Resume after this id")] = None,
) -> int | None:
    """The id to resume after, checked before the stream starts (a bad one is a 422, not a
    broken stream)."""
    return parse_last_event_id(last_event_id, after)


@router.get("/api/events", response_class=EventSourceResponse)
async def events(
    state: StateDep, after_id: Annotated[int | None, Depends(resume_after)]
) -> AsyncIterator[ServerSentEvent]:
    """Live events (`beat.started`, `beat.finished`, `action.*`, `config.changed`,
    `message.created`, `scheduler.*` …) with `id:` = the event id and `event:` = its name.
    Reconnect with `Last-Event-ID` (or `?after=`) to have the missed ones replayed from the
    bus's recent history. Keep-alive comments flow while nothing happens."""
    stream = event_stream(state.service.subscribe(after_id), keepalive=state.sse_keepalive)
    async for item in stream:
        yield item
