"""`database_url` picks the store (SQLite stays the default) and, on PostgreSQL, the cluster
parts; a URL soulbeat cannot open is refused naming the key and the expected form."""

from __future__ import annotations

from pathlib import Path

import pytest

from soulbeat.config import ConfigError, load_settings
from soulbeat.config.settings import Settings
from soulbeat.store.postgres import PostgresStore
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import ScriptedLLM
from soulbeat.wiring import build, build_store


def test_sqlite_in_the_data_directory_by_default(tmp_path: Path) -> None:
    store = build_store(Settings(data_dir=tmp_path))
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path.resolve() / "soulbeat.db"


def test_a_sqlite_url_names_the_file(tmp_path: Path) -> None:
    store = build_store(Settings(database_url=f"sqlite:///{tmp_path}/elsewhere.db"))
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path.resolve() / "elsewhere.db"


def test_a_postgresql_url_from_the_environment_picks_postgres(tmp_path: Path) -> None:
    url = "postgresql://soulbeat@db.internal:5432/soulbeat"
    settings = load_settings(None, env={"SOULBEAT_DATABASE_URL": url, "HOME": str(tmp_path)})
    assert settings.database_url == url
    store = build_store(settings)
    assert isinstance(store, PostgresStore) and store.url == url


@pytest.mark.parametrize("bad", ["mysql://db/x", "sqlite:///", "soulbeat.db"])
def test_an_unknown_database_url_is_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env={"SOULBEAT_DATABASE_URL": bad, "HOME": str(tmp_path)})
    assert "SOULBEAT_DATABASE_URL" in str(caught.value) or "database_url" in str(caught.value)
    assert "postgresql://user@host:5432/dbname" in str(caught.value)


def test_only_a_shared_database_passes_wakes_but_both_journal_events(tmp_path: Path) -> None:
    lite = build(Settings(data_dir=tmp_path), provider=ScriptedLLM())
    assert lite.cluster is not None and not lite.cluster.shared  # a journal, nothing shared
    shared = build(
        Settings(data_dir=tmp_path, database_url="postgresql://u@127.0.0.1:1/x"),
        provider=ScriptedLLM(),
    )
    assert shared.cluster is not None and shared.cluster.shared
