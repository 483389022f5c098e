"""Shared fixtures. Folder-specific fixtures live in each folder's own conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import settings

# The PostgreSQL server of the session and a fresh database per test (see pg_support.py).
from pg_support import postgres_server, postgres_url  # noqa: F401
from soulbeat.testing import FakeClock

# Property tests check behaviour, not speed: on a loaded 2-core machine one example can take
# longer than Hypothesis's default 200 ms deadline, which failed runs for no fault of the code.
settings.register_profile("soulbeat", deadline=None)
settings.load_profile("soulbeat")


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-01-01 00:00 UTC; tests move it with `await clock.advance(...)`."""
    return FakeClock(datetime(2026, 1, 1, tzinfo=UTC))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps its own event loop running in
    the main thread for the whole session, and asyncio tests after it could not start theirs."""
    items.sort(key=lambda item: "tests/panel/" in item.nodeid.replace("\\", "/"))
