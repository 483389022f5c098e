"""`run_on_a_worker`: run-now in a process without a scheduler (`serve --no-scheduler`) on a
shared database. The beat is handed to the workers as a manual wake request (it runs on
whichever worker takes it, under the same claims and guards as any manual beat), and this
process waits for the record through the event journal every process writes to: the first
``beat.finished`` of that schedule with reason ``manual`` and status ``finished`` after the
request. Waiting reads the journal from the id it had before asking, so a beat that ends before
the wait begins is not missed. Concurrent run-nows of one schedule coalesce into one beat on the
worker; each caller gets that beat's record.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta

from soulbeat.clock import Clock
from soulbeat.cluster import ClusterNode, WakeRequest
from soulbeat.errors import SoulbeatError
from soulbeat.events.models import Event
from soulbeat.schedule.wakes import MANUAL
from soulbeat.store.base import BeatStore
from soulbeat.store.records import BeatRecord
from soulbeat.tasks import cancel_all

__all__ = ["HANDOFF_TIMEOUT", "run_on_a_worker"]

HANDOFF_TIMEOUT = timedelta(minutes=5)
"""How long the caller waits for a worker to run the beat (a model turn can take minutes)."""


async def run_on_a_worker(
    cluster: ClusterNode,
    store: BeatStore,
    clock: Clock,
    thread_id: str,
    skill: str,
    *,
    patience: timedelta = HANDOFF_TIMEOUT,
) -> BeatRecord:
    """Request the manual beat and return its record once a worker finished it; SoulbeatError
    (503) when none did within `patience` (no worker running, or all of them stuck)."""
    feed = cluster.feed
    mark = feed.last_id
    await cluster.wake(WakeRequest(thread_id, skill, MANUAL, clock.now()))
    waiting = asyncio.create_task(_record(feed.subscribe(mark), store, thread_id, skill))
    timer = asyncio.create_task(clock.sleep(patience.total_seconds()))
    try:
        await asyncio.wait({waiting, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await cancel_all([waiting, timer])
    if not waiting.cancelled() and waiting.exception() is None:
        return waiting.result()
    if not waiting.cancelled() and (error := waiting.exception()) is not None:
        raise error
    name = thread_id if not skill else f"{thread_id}/{skill}"
    raise SoulbeatError(
        f"no worker ran the manual beat of {name!r} within {patience}: is a `soulbeat worker` "
        "running on this database?"
    )


async def _record(
    events: AsyncGenerator[Event, None], store: BeatStore, thread_id: str, skill: str
) -> BeatRecord:
    try:
        async for event in events:
            data = event.data
            if (
                event.name == "beat.finished"
                and data.get("thread_id") == thread_id
                and data.get("skill") == skill
                and data.get("reason") == MANUAL
                and data.get("status") == "finished"
            ):
                return await store.get_beat(int(data["beat_id"]))
    finally:
        await events.aclose()
    raise SoulbeatError("the event stream ended before the beat did (shutting down)")
