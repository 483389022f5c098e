"""Fixtures of the scheduler tests: a real SQLite store on tmp_path and a `Rig` around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sched_support import MakeRig, RecordingSink, Rig, open_store

from soulbeat.schedule.scheduler import Scheduler
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock
from soulbeat.testing.planner import StaticPlanner
from soulbeat.testing.runner import RecordingRunner


@pytest.fixture
async def make_rig(tmp_path: Path, clock: FakeClock) -> AsyncIterator[MakeRig]:
    """Build rigs over one store file; keyword arguments go to `Scheduler`."""
    stores: list[SQLiteStore] = []

    async def build(**options: Any) -> Rig:
        store = await open_store(tmp_path / "soulbeat.db")
        stores.append(store)
        planner, runner, events = StaticPlanner(), RecordingRunner(clock), RecordingSink()
        options.setdefault("worker_id", "w1")
        options.setdefault("events", events)
        scheduler = Scheduler(store, planner, runner, clock, **options)
        return Rig(store, clock, planner, runner, events, scheduler)

    yield build
    for store in stores:
        await store.close()


@pytest.fixture
async def rig(make_rig: MakeRig) -> Rig:
    return await make_rig()
