"""`copy_database`: move an installation from one store to another without losing history, and
`migrate_database`: apply a store's pending migrations (both for `soulbeat db copy / migrate`).

The copy reads every table of a SQLite file and writes it, rows and ids unchanged, into a
PostgreSQL database that has the same schema (its migrations are applied first). The two stores
share their encodings (epoch microseconds, JSON text), so rows move as they are; only SQLite's
0/1 booleans become PostgreSQL booleans where the column is one. Generated columns are left to
the destination. Identity sequences are moved past the copied ids. It all happens in one
PostgreSQL transaction: a failed copy leaves the destination as it was.

Refused (StoreError naming the reason): a destination that already holds threads or beats, and a
source table the destination has no table for (a newer soulbeat wrote it) — nothing is dropped
silently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from soulbeat.errors import StoreError
from soulbeat.store.postgres.connection import describe
from soulbeat.store.postgres.migrate import apply_migrations, load_postgres_migrations
from soulbeat.store.sqlite.migrate import apply_migrations as apply_sqlite_migrations
from soulbeat.store.sqlite.migrate import load_migrations

__all__ = ["CopyReport", "copy_database", "migrate_database"]

SQLITE_PREFIX = "sqlite:///"
_SKIPPED = frozenset({"schema_migrations", "sqlite_sequence"})
_BATCH = 2_000


@dataclass(frozen=True)
class CopyReport:
    """Rows copied per table, in copy order."""

    rows: dict[str, int]


def sqlite_path(url: str) -> Path:
    if not url.startswith(SQLITE_PREFIX) or not url.removeprefix(SQLITE_PREFIX):
        raise StoreError(f"{url!r} is not a SQLite URL (expected sqlite:///path/to/soulbeat.db)")
    return Path(url.removeprefix(SQLITE_PREFIX)).expanduser()


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


async def migrate_database(url: str) -> list[str]:
    """Apply the pending migrations of the store at `url`; the names of those applied."""
    if is_postgres(url):
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                done = await apply_migrations(conn, load_postgres_migrations())
        except psycopg.Error as exc:
            raise StoreError(f"cannot migrate the {describe(url)}: {exc}") from exc
    else:
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        lite = sqlite3.connect(path, isolation_level=None)
        try:
            done = apply_sqlite_migrations(lite, load_migrations())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot migrate the SQLite store at {path}: {exc}") from exc
        finally:
            lite.close()
    return [f"{m.version:03d}_{m.name}" for m in done]


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    """The source's tables in creation order (parents before children, as the migrations made
    them)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
    return [str(name) for (name,) in rows if name not in _SKIPPED]


async def _pg_columns(conn: psycopg.AsyncConnection[Any], table: str) -> dict[str, str]:
    """Column → data type of the destination table, generated columns left out."""
    cursor = await conn.execute(
        """SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = %s AND is_generated = 'NEVER'
        ORDER BY ordinal_position""",
        (table,),
    )
    return {str(name): str(kind) for name, kind in await cursor.fetchall()}


def _converter(kind: str) -> Callable[[Any], Any]:
    if kind == "boolean":
        return lambda value: None if value is None else bool(value)
    return lambda value: value


async def copy_database(source: str, destination: str) -> CopyReport:
    """Copy the SQLite store at `source` into the PostgreSQL database at `destination`."""
    if not is_postgres(destination):
        raise StoreError(f"the destination must be a postgresql:// URL, not {destination!r}")
    path = sqlite_path(source)
    if not path.is_file():
        raise StoreError(f"there is no SQLite store at {path}")
    await migrate_database(source)  # an older file gets the tables the copy expects
    await migrate_database(destination)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        async with await psycopg.AsyncConnection.connect(destination) as dst:
            return await _copy(src, dst)
    except psycopg.Error as exc:
        raise StoreError(f"copy into the {describe(destination)} failed: {exc}") from exc
    finally:
        src.close()


async def _copy(src: sqlite3.Connection, dst: psycopg.AsyncConnection[Any]) -> CopyReport:
    rows: dict[str, int] = {}
    async with dst.transaction():
        for table in ("threads", "beats"):
            cursor = await dst.execute(f"SELECT count(*) FROM {table}")
            found = await cursor.fetchone()
            if found is not None and found[0]:
                raise StoreError(
                    f"the destination already holds {table} ({found[0]}); copy into an empty "
                    "database (soulbeat db copy never merges two installations)"
                )
        tables = _sqlite_tables(src)
        for table in tables:
            columns = await _pg_columns(dst, table)
            if not columns:
                raise StoreError(
                    f"the destination has no table {table!r}; upgrade soulbeat there first"
                )
            rows[table] = await _copy_table(src, dst, table, columns)
        await _move_sequences(dst, tables)
    return CopyReport(rows)


SQLITE_LAYOUT = frozenset({("schedules", "room")})
"""SQLite columns that only shape how rows sit in its pages (migration 018) and hold no data:
not copied (PostgreSQL has no such column)."""


async def _copy_table(
    src: sqlite3.Connection,
    dst: psycopg.AsyncConnection[Any],
    table: str,
    columns: dict[str, str],
) -> int:
    present = {str(row[1]) for row in src.execute(f"PRAGMA table_xinfo({table})")}
    missing = [
        name
        for name in present
        if name not in columns
        and not _generated(src, table, name)
        and (table, name) not in SQLITE_LAYOUT
    ]
    if missing:
        raise StoreError(f"the destination's {table} has no column {missing[0]!r}")
    names = [name for name in columns if name in present]
    convert = [_converter(columns[name]) for name in names]
    listed = ", ".join(f'"{name}"' for name in names)
    cursor = src.execute(f"SELECT {listed} FROM {table}")
    count = 0
    async with dst.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
        while batch := cursor.fetchmany(_BATCH):
            for row in batch:
                await copy.write_row([fn(value) for fn, value in zip(convert, row, strict=True)])
            count += len(batch)
    return count


def _generated(src: sqlite3.Connection, table: str, column: str) -> bool:
    for row in src.execute(f"PRAGMA table_xinfo({table})"):
        if row[1] == column:
            return int(row[6]) != 0  # hidden: 2 or 3 for generated columns
    return False


async def _move_sequences(dst: psycopg.AsyncConnection[Any], tables: list[str]) -> None:
    cursor = await dst.execute(
        """SELECT table_name FROM information_schema.columns WHERE table_schema =
        current_schema() AND column_name = 'id' AND is_identity = 'YES'"""
    )
    with_identity = {str(row[0]) for row in await cursor.fetchall()}
    for table in (t for t in tables if t in with_identity):
        cursor = await dst.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        found = await cursor.fetchone()
        if found is None or found[0] is None:
            continue
        await dst.execute(
            f"SELECT setval(%s, coalesce((SELECT max(id) FROM {table}), 0) + 1, false)",
            (found[0],),
        )
