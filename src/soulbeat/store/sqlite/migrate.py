"""Numbered SQL migrations for the SQLite store.

Migrations are the package's `soulbeat/store/sqlite/migrations/NNN_name.sql` files (read through
importlib.resources, so they work from a wheel or a zip), applied in version order. Each one runs
in its own `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations`
(version, name, applied_at), and the "already applied?" check happens inside that transaction: two
processes opening one new database at once apply every migration exactly once, and a failing
migration leaves nothing behind. A database that records a version this code does not know (it was
written by a newer soulbeat) is refused rather than used.
"""

from __future__ import annotations

import sqlite3
from importlib.resources import files
from importlib.resources.abc import Traversable

from soulbeat.errors import StoreError
from soulbeat.store import migrate
from soulbeat.store.migrate import Migration

__all__ = ["applied_versions", "apply_migrations", "load_migrations", "split_statements"]

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)
"""

# applied_at in the store's datetime encoding (epoch microseconds). The store takes no clock, so
# this bookkeeping column alone is stamped with SQLite's own idea of now.
_RECORD = """
INSERT INTO schema_migrations (version, name, applied_at)
VALUES (?, ?, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
"""


def load_migrations(folder: Traversable | None = None) -> list[Migration]:
    """The migrations in `folder` (default: the packaged `store/sqlite/migrations/`), in version
    order (`soulbeat.store.migrate.load_migrations`)."""
    return migrate.load_migrations(folder or files("soulbeat.store.sqlite").joinpath("migrations"))


def split_statements(script: str) -> list[str]:
    """The SQL statements of `script`, each ending with its `;`.

    Splits only where SQLite itself says a statement is complete, so a `;` inside a string, a
    comment or a trigger body does not cut a statement. Blank and comment-only text is dropped;
    an unfinished statement at the end raises StoreError.
    """
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if not _only_comments(pending[:-1]):
                statements.append(pending.strip())
            pending = ""
    if not _only_comments(pending[:-1]):
        raise StoreError(f"incomplete SQL statement at the end: {pending.strip()[:60]!r}")
    return statements


def _only_comments(text: str) -> bool:
    """True when `text` holds nothing but whitespace and `--` comments."""
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def applied_versions(conn: sqlite3.Connection) -> dict[int, str]:
    """version → name of every migration recorded in the database."""
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    return {int(version): str(name) for version, name in rows}


def apply_migrations(conn: sqlite3.Connection, migrations: list[Migration]) -> list[Migration]:
    """Apply the migrations not yet recorded; return the ones this call applied.

    `conn` must be in autocommit mode (isolation_level=None): transactions are managed here.
    Raises StoreError when the database records a version newer than any in `migrations`.
    """
    conn.execute(_BOOTSTRAP)
    known = {migration.version for migration in migrations}
    unknown = sorted(set(applied_versions(conn)) - known)
    if unknown:
        raise StoreError(
            f"the database has schema version {unknown[-1]:03d}, newer than this soulbeat knows "
            f"(up to {max(known, default=0):03d}); upgrade soulbeat to use it"
        )
    done: list[Migration] = []
    for migration in migrations:
        if _apply_one(conn, migration):
            done.append(migration)
    return done


def _apply_one(conn: sqlite3.Connection, migration: Migration) -> bool:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if migration.version in applied_versions(conn):
            conn.execute("COMMIT")
            return False
        for statement in split_statements(migration.sql):
            conn.execute(statement)
        conn.execute(_RECORD, (migration.version, migration.name))
        conn.execute("COMMIT")
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            label = f"{migration.version:03d}_{migration.name}"
            raise StoreError(f"migration {label} failed: {exc}") from exc
        raise
    return True
