"""File-version reads and writes for `SQLiteStore` (migration 002), as functions on a connection
inside the store's transaction."""

from __future__ import annotations

import hashlib
import sqlite3

from soulbeat.errors import NotFoundError
from soulbeat.store.records import FileVersion
from soulbeat.store.rows import file_version_from_row

_COLUMNS = "agent_id, kind, version, content, sha256, source, created_at"


def add_version(
    conn: sqlite3.Connection, agent_id: str, kind: str, content: str, created_at: int, source: str
) -> FileVersion:
    """Append the next version number for (agent, kind)."""
    row = conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM file_versions WHERE agent_id = ? AND kind = ?",
        (agent_id, kind),
    ).fetchone()
    version = int(row[0])
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    conn.execute(
        f"INSERT INTO file_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (agent_id, kind, version, content, digest, source, created_at),
    )
    return get_version(conn, agent_id, kind, version)


def list_versions(
    conn: sqlite3.Connection, agent_id: str, kind: str, limit: int | None
) -> list[FileVersion]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM file_versions WHERE agent_id = ? AND kind = ? "
        "ORDER BY version DESC LIMIT ?",
        (agent_id, kind, -1 if limit is None else limit),
    ).fetchall()
    return [file_version_from_row(r) for r in rows]


def get_version(conn: sqlite3.Connection, agent_id: str, kind: str, version: int) -> FileVersion:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM file_versions WHERE agent_id = ? AND kind = ? AND version = ?",
        (agent_id, kind, version),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"{kind} version {version} of agent {agent_id} does not exist")
    return file_version_from_row(row)
