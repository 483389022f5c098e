"""Fixtures of the turn tests: a `Bench` over a real SQLite store and a real workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from turn_support import CHECKLIST, SOUL, Bench, write_workspace

from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock


@pytest.fixture
async def bench(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bench]:
    """A workspace with SOUL.md and a one-item HEARTBEAT.md, an empty store, a ScriptedLLM."""
    store = SQLiteStore(tmp_path / "soulbeat.db")
    await store.open()
    workspace = write_workspace(tmp_path / "ws", {"SOUL.md": SOUL, "HEARTBEAT.md": CHECKLIST})
    yield Bench(tmp_path, clock, store, workspace)
    await store.close()
