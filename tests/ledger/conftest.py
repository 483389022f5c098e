"""Ledger fixtures: a real SQLite store on `tmp_path`, the ledger over it on the fake clock, and
an event bus that records what the ledger publishes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ledger_support import ANN

from soulbeat.events.bus import EventBus
from soulbeat.ledger.service import LedgerService
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "soulbeat.db")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def bus(clock: FakeClock) -> EventBus:
    return EventBus(clock)


@pytest.fixture
def ledger(store: SQLiteStore, clock: FakeClock, bus: EventBus) -> LedgerService:
    """Limits off (tests of the limits make their own ledger)."""
    return LedgerService(store, clock, bus, limits={}, action_limits={}, person_limits={})


@pytest.fixture
async def general(ledger: LedgerService) -> str:
    await ledger.create_submolt("general", created_by=ANN, description="everything")
    return "general"
