"""Helpers of the scheduler tests: plans, a `Rig` around a scheduler, bounded waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from soulbeat.schedule.plan import BeatPlan
from soulbeat.schedule.scheduler import Scheduler
from soulbeat.store.records import Agent, BeatRecord, Schedule, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock
from soulbeat.testing.planner import StaticPlanner
from soulbeat.testing.runner import RecordingRunner

EVERY_30M = timedelta(minutes=30)


def make_plan(thread_id: str, skill: str = "", **changes: Any) -> BeatPlan:
    """A plan that beats every 30 min, always active, with no guard in its way."""
    base = BeatPlan(thread_id=thread_id, skill=skill, enabled=True, interval=EVERY_30M)
    return replace(base, **changes)


async def until(predicate: Callable[[], bool], *, seconds: float = 5.0) -> None:
    """Yield to the loop until `predicate()` holds (the store works on a thread); bounded."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0)


class RecordingSink:
    """An `EventSink` that keeps what was published."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, name: str, data: Any) -> None:
        self.events.append((name, dict(data)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


@dataclass
class Rig:
    """A scheduler over a real store, with its fake clock, planner, runner and event sink."""

    store: SQLiteStore
    clock: FakeClock
    planner: StaticPlanner
    runner: RecordingRunner
    events: RecordingSink
    scheduler: Scheduler
    threads: set[str] = field(default_factory=set)

    async def add(self, thread_id: str, skill: str = "", **changes: Any) -> BeatPlan:
        """Create the thread (once) and plan one of its schedules."""
        if thread_id not in self.threads:
            await self.store.add_thread(Thread(thread_id, "agent", self.clock.now()))
            self.threads.add(thread_id)
        return self.planner.set(make_plan(thread_id, skill, **changes))

    async def schedule(self, thread_id: str, skill: str = "") -> Schedule:
        found = await self.store.get_schedule(thread_id, skill)
        assert found is not None
        return found

    async def due(self, thread_id: str, skill: str = "") -> datetime:
        due = (await self.schedule(thread_id, skill)).next_due_at
        assert due is not None
        return due

    async def park(self, thread_id: str, skill: str = "") -> None:
        """Move a schedule's slot ten days away (same fingerprint) so only wakes run it."""
        current = await self.schedule(thread_id, skill)
        await self.store.put_schedule(
            thread_id,
            skill,
            next_due_at=self.clock.now() + timedelta(days=10),
            phase_seconds=current.phase_seconds,
            fingerprint=current.fingerprint,
        )

    async def beats(self, thread_id: str | None = None) -> list[BeatRecord]:
        """Every beat record, oldest first."""
        found = await self.store.list_beats(thread_id=thread_id, limit=1000)
        return sorted(found, key=lambda beat: beat.id)

    async def to_due(self, thread_id: str, skill: str = "", after: float = 0.0) -> datetime:
        """Move the clock to the schedule's slot (plus `after` seconds)."""
        due = await self.due(thread_id, skill)
        await self.clock.set(due + timedelta(seconds=after))
        return due


async def open_store(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    await store.open()
    await store.upsert_agent(Agent("agent", str(path.parent)))
    return store


MakeRig = Callable[..., Awaitable[Rig]]
