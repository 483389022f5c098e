"""Store fixtures: the backends the contract suites run against, one suite per protocol part
(`test_store_contract.py` BeatStore, `test_board_contract.py` BoardStore,
`test_action_contract.py` ActionStore).

`open_store()` opens one more store on the test's database — a second worker, or the same store
after a restart; `store` is the first one. Every test of the contract runs once per backend in
`BACKENDS`: SQLite on a file in `tmp_path`, PostgreSQL on a fresh database of the session's
server (`postgres_url`, see `tests/pg_support.py`). To add one, add its name there and a branch in
`_make_store` that returns an unopened store on a fresh database for the test. The board and
action suites take `board_store` / `action_store`: every backend must have those parts (a test
fails, naming the part, when one lacks it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from soulbeat.store.base import ActionStore, BoardStore, Store
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.sqlite import SQLiteStore

BACKENDS = ["sqlite", "postgres"]

OpenStore = Callable[[], Awaitable[Store]]


def _make_store(backend: str, tmp_path: Path, url: str) -> Store:
    if backend == "sqlite":
        return SQLiteStore(tmp_path / "soulbeat.db")
    if backend == "postgres":
        return PostgresStore(url, max_size=4)
    raise ValueError(f"unknown store backend {backend!r}")


@pytest.fixture(params=BACKENDS)
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    """Opens stores on one database; closes them all when the test ends."""
    opened: list[Store] = []
    # PostgreSQL only when asked for: the session's server starts on first use.
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""

    async def open_one() -> Store:
        store = _make_store(request.param, tmp_path, url)
        await store.open()
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    return await open_store()


def _with_part(store: Store, part: type) -> Store:
    assert isinstance(store, part), f"{type(store).__name__} has no {part.__name__} part"
    return store


@pytest.fixture
async def board_store(store: Store) -> Store:
    """`store`, when its backend has the `BoardStore` part."""
    return _with_part(store, BoardStore)


@pytest.fixture
async def action_store(store: Store) -> Store:
    """`store`, when its backend has the `ActionStore` part."""
    return _with_part(store, ActionStore)
