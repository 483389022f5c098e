"""The event journal on both stores (`SQLiteJournal`, `PostgresJournal`): ids go on after a
restart, a reader resumes after any id, and retention (`Store.prune`) drops old entries but
keeps the newest, so ids never go back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soulbeat.cluster import EventJournal
from soulbeat.config.settings import Settings
from soulbeat.events.models import Event
from soulbeat.service.core import Service
from soulbeat.store.base import Store
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.postgres.signals import PostgresJournal
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.store.sqlite.journal import SQLiteJournal
from soulbeat.testing import ScriptedLLM
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(name: str, minutes: int) -> Event:
    return Event(0, name, T0 + timedelta(minutes=minutes), {"n": minutes})


class Backend:
    def __init__(self, kind: str, tmp_path: Path, url: str) -> None:
        self.kind, self.tmp_path, self.url = kind, tmp_path, url

    def store(self) -> Store:
        if self.kind == "sqlite":
            return SQLiteStore(self.tmp_path / "soulbeat.db")
        return PostgresStore(self.url, max_size=2)

    def journal(self, store: Store) -> EventJournal:
        if isinstance(store, SQLiteStore):
            return SQLiteJournal(store, Event)
        assert isinstance(store, PostgresStore)
        return PostgresJournal(store, Event)


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    yield Backend(request.param, tmp_path, url)


async def test_ids_go_on_after_a_restart_and_readers_resume(backend: Backend) -> None:
    store = backend.store()
    await store.open()
    ids = await backend.journal(store).append_events([event("a", 0), event("b", 1)], "w1")
    await store.close()

    again = backend.store()  # the process restarted
    await again.open()
    try:
        journal = backend.journal(again)
        assert await journal.last_event_id() == ids[-1]
        [later] = await journal.append_events([event("c", 2)], "w1")
        assert later > ids[-1]
        resumed = await journal.events_after(ids[0])
        assert [(e.id, e.name, e.data) for e in resumed] == [
            (ids[1], "b", {"n": 1}),
            (later, "c", {"n": 2}),
        ]
    finally:
        await again.close()


async def test_retention_drops_old_entries_but_never_the_newest(backend: Backend) -> None:
    store = backend.store()
    await store.open()
    try:
        journal = backend.journal(store)
        ids = await journal.append_events([event(str(m), m) for m in (0, 10, 20)], "w1")
        deleted = await store.prune(T0 + timedelta(minutes=15))
        assert deleted["event_log"] == 2
        assert [e.id for e in await journal.events_after(0)] == [ids[2]]
        assert (await store.prune(T0 + timedelta(hours=1)))["event_log"] == 0  # the newest stays
        assert await journal.last_event_id() == ids[2]
        [after] = await journal.append_events([event("d", 30)], "w1")
        assert after > ids[2]
    finally:
        await store.close()


async def test_a_sqlite_service_resumes_last_event_id_after_a_restart(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    settings = Settings(data_dir=tmp_path / "data", workspace=tmp_path / "ws")

    async def names_after(service: Service, after: int, count: int) -> list[tuple[int, str]]:
        got: list[tuple[int, str]] = []
        async with asyncio.timeout(10):
            async for e in service.subscribe(after):
                if e.name.startswith("scheduler."):  # not the board's first-run events
                    got.append((e.id, e.name))
                if len(got) == count:
                    break
        return got

    first = build(settings, provider=ScriptedLLM())
    await first.open()
    await first.scheduler.stop()
    await first.scheduler.start()
    before = await names_after(first, 0, 2)
    await first.close()
    assert [name for _, name in before] == ["scheduler.stopped", "scheduler.started"]

    second = build(settings, provider=ScriptedLLM())  # the process restarted
    await second.open()
    try:
        await second.scheduler.stop()
        resumed = await names_after(second, before[0][0], 2)  # the client saw only the first
        assert resumed[0] == before[1]
        assert resumed[1][1] == "scheduler.stopped" and resumed[1][0] > before[1][0]
    finally:
        await second.close()
