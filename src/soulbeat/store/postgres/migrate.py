"""Numbered migrations of the PostgreSQL store (`store/postgres/migrations/NNN_name.sql`).

Same rules as the SQLite store's (`soulbeat.store.sqlite.migrate`): applied in version order,
each in its own transaction together with its row in `schema_migrations`, and a database recording a
version this code does not know is refused. Concurrent openers (several workers starting at once)
are serialised by a transaction-level advisory lock, taken before the "already applied?" check, so
every migration runs exactly once.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from psycopg import AsyncConnection
from psycopg import errors as pg_errors
from psycopg.rows import tuple_row

from soulbeat.errors import StoreError
from soulbeat.store.migrate import Migration, load_migrations

__all__ = ["MIGRATION_LOCK", "apply_migrations", "load_postgres_migrations"]

MIGRATION_LOCK = 0x50554C5345
"""The advisory lock key held while migrating (any constant shared by every soulbeat)."""

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)
"""

_RECORD = """
INSERT INTO schema_migrations (version, name, applied_at)
VALUES (%s, %s, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
"""


def load_postgres_migrations() -> list[Migration]:
    """The packaged PostgreSQL migrations, in version order."""
    return load_migrations(files("soulbeat.store.postgres").joinpath("migrations"))


async def _applied(conn: AsyncConnection[Any]) -> set[int]:
    cursor = conn.cursor(row_factory=tuple_row)  # whatever the connection's row factory is
    await cursor.execute("SELECT version FROM schema_migrations")
    return {int(row[0]) for row in await cursor.fetchall()}


async def apply_migrations(
    conn: AsyncConnection[Any], migrations: list[Migration]
) -> list[Migration]:
    """Apply the migrations not yet recorded; return the ones this call applied.

    `conn` must be in autocommit mode: each migration gets its own transaction here.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(_BOOTSTRAP)
    known = {migration.version for migration in migrations}
    done: list[Migration] = []
    for migration in migrations:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            applied = await _applied(conn)
            unknown = sorted(applied - known)
            if unknown:
                raise StoreError(
                    f"the database has schema version {unknown[-1]:03d}, newer than this "
                    f"soulbeat knows (up to {max(known, default=0):03d}); "
                    "upgrade soulbeat to use it"
                )
            if migration.version in applied:
                continue
            try:
                await conn.execute(migration.sql)
            except pg_errors.Error as exc:
                label = f"{migration.version:03d}_{migration.name}"
                raise StoreError(f"migration {label} failed: {exc}") from exc
            await conn.execute(_RECORD, (migration.version, migration.name))
            done.append(migration)
    return done
