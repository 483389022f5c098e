"""Shared fixtures. Folder-specific fixtures live in each folder's own conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from soulbeat.testing import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-01-01 00:00 UTC; tests move it with `await clock.advance(...)`."""
    return FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
