"""The status is kept, encoded, until something changes (issue 12): `StatusCache` with a stamp
the test moves and a monotonic time it sets (no real time passes)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from soulbeat.service.core import Service
from soulbeat.service.status_cache import StatusCache

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class World:
    """What the cache reads: a stamp, the time of day, a monotonic time, and the computation."""

    def __init__(self) -> None:
        self.stamp, self.seconds, self.now = 0, 100.0, T0
        self.runs = 0
        self.gate: asyncio.Event | None = None

    async def compute(self) -> dict[str, Any]:
        self.runs += 1
        seen = self.runs
        if self.gate is not None:
            await self.gate.wait()
        return {"threads": seen, "name": "grüße", "now": "ignored"}

    def cache(self) -> StatusCache:
        return StatusCache(
            self.compute,
            stamp=lambda: self.stamp,
            now=lambda: self.now,
            max_age=1.0,
            monotonic=lambda: self.seconds,
        )


async def test_an_answer_is_kept_while_nothing_changes_and_tells_the_time_of_each_request() -> None:
    world = World()
    cache = world.cache()

    first = json.loads(await cache.body())
    world.now = T0 + timedelta(seconds=0.5)
    world.seconds += 0.5
    second = json.loads(await cache.body())

    assert world.runs == 1
    assert first == {"threads": 1, "name": "grüße", "now": T0.isoformat()}
    assert second["threads"] == 1 and second["now"] == world.now.isoformat()
    assert list(second) == ["threads", "name", "now"]  # now last, once
    assert await cache.value() == second


async def test_a_moved_stamp_or_an_old_answer_computes_afresh() -> None:
    world = World()
    cache = world.cache()
    await cache.body()

    world.stamp += 1  # an event, a pass, a re-plan
    assert json.loads(await cache.body())["threads"] == 2
    world.seconds += 1.0  # as old as max_age
    assert json.loads(await cache.body())["threads"] == 3
    cache.clear()
    assert (await cache.value())["threads"] == 4


async def test_callers_at_once_share_a_computation_but_not_one_begun_before_a_change() -> None:
    world = World()
    world.gate = asyncio.Event()
    cache = world.cache()

    early = [asyncio.create_task(cache.value()) for _ in range(3)]
    await asyncio.sleep(0)
    world.stamp += 1  # a change while the first answer is computed
    late = asyncio.create_task(cache.value())
    await asyncio.sleep(0)
    world.gate.set()

    assert [r["threads"] for r in await asyncio.gather(*early)] == [1, 1, 1]
    assert (await late)["threads"] == 2  # asked after the change: not the answer from before it
    assert world.runs == 2
    assert (await cache.value())["threads"] == 2  # the later one, begun after the change, is kept


async def test_an_answer_computed_across_a_change_is_not_kept() -> None:
    world = World()
    world.gate = asyncio.Event()
    cache = world.cache()

    asked = asyncio.create_task(cache.value())
    await asyncio.sleep(0)
    world.stamp += 1
    world.gate.set()
    assert (await asked)["threads"] == 1
    world.gate = None
    assert (await cache.value())["threads"] == 2


async def test_the_route_serves_the_kept_encoding_until_a_thread_is_added(
    service: Service, client: httpx.AsyncClient
) -> None:
    before = await client.get("/api/heartbeat/status")
    again = await client.get("/api/heartbeat/status")
    await service.create_thread(thread_id="fresh")
    after = await client.get("/api/heartbeat/status")

    assert before.headers["content-type"] == "application/json"
    assert before.json()["threads"] == again.json()["threads"]
    assert after.json()["threads"] == before.json()["threads"] + 1
