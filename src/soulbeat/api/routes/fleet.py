"""The panel's reads over everything: the fleet overview with bulk enable/disable, and the beat
search with counts over time (history you can page through and chart)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from soulbeat.api.deps import ServiceDep, aware_utc, require_api
from soulbeat.service.fleet import Filter, FleetQuery, SortKey
from soulbeat.service.views import beat_view, plain
from soulbeat.store.search import BeatQuery

Status = Annotated[
    Literal["claimed", "deferred", "finished", "interrupted"] | None,
    Query(description="Only beats in this state (deferred: waiting to run again)"),
]
router = APIRouter(dependencies=[Depends(require_api)])

BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
Word = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class BulkEnabled(BaseModel):
    """Turn these threads on or off."""

    model_config = ConfigDict(extra="forbid")
    thread_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=10_000
    )
    enabled: bool


@router.get("/api/fleet", tags=["fleet"])
async def fleet(
    service: ServiceDep,
    q: Annotated[str, Query(max_length=200, description="Text in id, title or agent")] = "",
    state: Annotated[Filter, Query(description="Only threads in this state")] = "all",
    sort: Annotated[SortKey, Query()] = "next_due",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Every thread with its state (disabled, paused, quiet-hours, overdue, scheduled), next
    beat, latest finished beat and tokens today (UTC), sorted, filtered and paged; `total` is
    the number that match, `counts` the threads per state over all threads."""
    query = FleetQuery(q, state, sort, order == "desc", limit, offset)
    return await service.fleet.page(query)


@router.post("/api/fleet/enabled", tags=["fleet"])
async def fleet_enabled(body: BulkEnabled, service: ServiceDep) -> dict[str, Any]:
    """Enable or disable many threads at once (all ids must exist; nothing changes otherwise)."""
    changed = await service.fleet.set_enabled(body.thread_ids, body.enabled)
    return {"changed": changed, "enabled": body.enabled}


def _query(
    thread: str | None,
    outcome: str | None,
    status: str | None,
    reason: str | None,
    q: str | None,
    since: datetime | None,
    until: datetime | None,
) -> BeatQuery:
    return BeatQuery(
        thread_id=thread or None,
        outcome=outcome or None,
        status=status or None,
        reason=reason or None,
        text=(q or "").strip() or None,
        since=aware_utc(since, "since"),
        until=aware_utc(until, "until"),
    )


@router.get("/api/beats", tags=["audit"])
async def search_beats(
    service: ServiceDep,
    thread: Annotated[str | None, Query(max_length=128)] = None,
    outcome: Word = None,
    status: Status = None,
    reason: Word = None,
    q: Annotated[str | None, Query(max_length=200, description="Text anywhere")] = None,
    since: Annotated[datetime | None, Query(description="Due at or after")] = None,
    until: Annotated[datetime | None, Query(description="Due before")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> dict[str, Any]:
    """Beats of every thread (or `thread`), newest first by due time, filtered by outcome, status,
    reason (skip reason, or the start of a failure's error), text (thread id, alert, error,
    skip reason) and due time; `total` counts every match, `next_offset` is null on the last
    page."""
    page = await service.search_beats(
        _query(thread, outcome, status, reason, q, since, until), limit=limit, offset=offset
    )
    return {
        "items": [beat_view(b) for b in page.items],
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < page.total else None,
    }


@router.get("/api/beats/stats", tags=["audit"])
async def beat_stats(
    service: ServiceDep,
    bucket: Annotated[Literal["hour", "day"], Query()] = "hour",
    thread: Annotated[str | None, Query(max_length=128)] = None,
    outcome: Word = None,
    status: Status = None,
    reason: Word = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    """The same filters as `/api/beats`, summed per hour or UTC day of due time: beats per
    outcome, tokens, and the duration of beats that reached the model (average and max ms)."""
    buckets = await service.beat_buckets(
        _query(thread, outcome, status, reason, q, since, until), BUCKETS[bucket]
    )
    return {"bucket": bucket, "items": [plain(b) for b in buckets]}
