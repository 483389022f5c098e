"""`soulbeat.wiring.build` takes a complete store only: one lacking a protocol part is refused with
a message naming the part, instead of running with less (no silent bare executor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from soulbeat.config.settings import Settings
from soulbeat.store.base import ActionStore, BeatStore, BoardStore
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import ScriptedLLM
from soulbeat.wiring import build, check_store
from soulbeat.workspace.templates import init_workspace


class BeatsOnly:
    """A store with the beat part alone: every BeatStore method delegates to a real store."""

    def __init__(self, inner: SQLiteStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in vars(BeatStore):
            return getattr(self._inner, name)
        raise AttributeError(name)


def settings(tmp_path: Path) -> Settings:
    init_workspace(tmp_path / "ws")
    return Settings(data_dir=tmp_path / "data", workspace=tmp_path / "ws")


def test_the_sqlite_store_has_every_part(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    assert all(isinstance(store, part) for part in (BeatStore, BoardStore, ActionStore))
    assert check_store(store) is store


def test_the_postgres_store_has_every_part() -> None:
    store = PostgresStore("postgresql://nobody@127.0.0.1:1/none")  # never opened
    assert all(isinstance(store, part) for part in (BeatStore, BoardStore, ActionStore))
    assert check_store(store) is store


def test_build_refuses_a_store_without_its_board_and_action_parts(tmp_path: Path) -> None:
    partial = BeatsOnly(SQLiteStore(tmp_path / "s.db"))
    with pytest.raises(TypeError) as caught:
        build(settings(tmp_path), store=partial, provider=ScriptedLLM())  # type: ignore[arg-type]
    message = str(caught.value)
    assert "BeatsOnly is not a complete store" in message
    assert "BoardStore (no add_comment)" in message
    assert "ActionStore (no add_approval)" in message
    assert "BeatStore" not in message.split("lacks")[1].split(";")[0]


def test_build_refuses_something_that_is_no_store_at_all(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"lacks BeatStore .*BoardStore .*ActionStore"):
        build(settings(tmp_path), store=object(), provider=ScriptedLLM())  # type: ignore[arg-type]
