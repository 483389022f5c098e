"""Contract: the version history of SOUL.md and HEARTBEAT.md (run against every backend)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.errors import NotFoundError
from soulbeat.store.base import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_versions_count_from_one_per_agent_and_kind(store: Store) -> None:
    first = await store.add_file_version("default", "soul", "one", T0, source="disk")
    second = await store.add_file_version("default", "soul", "two", T0 + timedelta(1), source="api")
    other = await store.add_file_version("default", "heartbeat", "hb", T0, source="api")
    elsewhere = await store.add_file_version("ops", "soul", "x", T0, source="api")
    assert (first.version, second.version, other.version, elsewhere.version) == (1, 2, 1, 1)
    assert second.sha256 == hashlib.sha256(b"two").hexdigest()
    assert second.created_at == T0 + timedelta(1)
    assert second.source == "api"


async def test_history_is_newest_first_and_limited(store: Store) -> None:
    for n in range(5):
        await store.add_file_version("default", "heartbeat", f"v{n}", T0, source="api")
    history = await store.file_versions("default", "heartbeat")
    assert [v.content for v in history] == ["v4", "v3", "v2", "v1", "v0"]
    assert [v.version for v in await store.file_versions("default", "heartbeat", limit=2)] == [
        5,
        4,
    ]
    assert await store.file_versions("default", "soul") == []


async def test_a_version_is_read_back_whole_or_not_found(store: Store) -> None:
    text = "# SOUL\n\nünïcode ✓\n" * 100
    await store.add_file_version("default", "soul", text, T0, source="api")
    assert (await store.get_file_version("default", "soul", 1)).content == text
    with pytest.raises(NotFoundError, match="soul version 9"):
        await store.get_file_version("default", "soul", 9)


async def test_versions_survive_a_restart(open_store) -> None:  # type: ignore[no-untyped-def]
    first = await open_store()
    await first.add_file_version("default", "soul", "kept", T0, source="api")
    await first.close()
    again = await open_store()
    assert (await again.get_file_version("default", "soul", 1)).content == "kept"
