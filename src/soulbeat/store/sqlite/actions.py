"""`SQLiteActions`: the `ActionStore` protocol (`soulbeat.store.base`) on the SQLite file.

Each method is one transaction over the action log and the approval queue (migration 004), made
of the functions in `action_log` and `approvals`. Times are given by the caller (the rules'
clock); the store reads none. A row that carries a beat's effect (SPEC §9.4) is noted on the
effect's record in the same transaction: asked again under that effect (the beat re-run after a
crash), `record_action` and `admit_action` return the row written before, and admitting it again
takes no quota (it was counted once).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from soulbeat.store.codec import to_micros
from soulbeat.store.records_actions import (
    ActionQuota,
    Approval,
    ApprovalStatus,
    LogEntry,
    LogRow,
    NewApproval,
    Problem,
)
from soulbeat.store.sqlite import action_log, approvals, effects
from soulbeat.store.sqlite.connection import SQLiteConnection

__all__ = ["SQLiteActions"]


class SQLiteActions(SQLiteConnection):
    """The action log's and approval queue's part of `SQLiteStore` (module docstring)."""

    # -- the action log -------------------------------------------------------------------------
    async def record_action(self, row: LogRow, at: datetime) -> int:
        now = to_micros(at)

        def job(conn: sqlite3.Connection) -> int:
            kept = _kept(conn, row)
            if kept is not None:
                return kept
            entry = action_log.insert(conn, row, now)
            _note(conn, row, entry, now)
            return entry

        return await self._write(job)

    async def admit_action(
        self, row: LogRow, quota: ActionQuota, at: datetime
    ) -> tuple[int, LogRow]:
        now = to_micros(at)

        def job(conn: sqlite3.Connection) -> tuple[int, LogRow]:
            kept = _kept(conn, row)
            if kept is not None:  # admitted by an earlier attempt of the beat
                return kept, replace(row, status=action_log.get_entry(conn, kept).status)
            written = action_log.admit(conn, row, quota, at)
            entry = action_log.insert(conn, written, now)
            if written.status == "admitted":  # a refusal is final: the beat records it
                _note(conn, row, entry, now)
            return entry, written

        return await self._write(job)

    async def settle_action(
        self,
        entry_id: int,
        status: str,
        at: datetime,
        *,
        detail: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        now = to_micros(at)
        await self._write(
            lambda conn: action_log.settle(conn, entry_id, status, now, detail, problems)
        )

    async def get_action(self, entry_id: int) -> LogEntry:
        return await self._read(lambda conn: action_log.get_entry(conn, entry_id))

    async def list_actions(
        self,
        *,
        thread_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[LogEntry]:
        return await self._read(
            lambda conn: action_log.entries(
                conn, thread_id=thread_id, type=type, status=status, limit=limit
            )
        )

    # -- the approval queue ---------------------------------------------------------------------
    async def add_approval(self, new: NewApproval, at: datetime) -> Approval:
        now = to_micros(at)
        return await self._write(lambda conn: approvals.insert(conn, new, now))

    async def get_approval(self, approval_id: int) -> Approval:
        return await self._read(lambda conn: approvals.read(conn, approval_id))

    async def list_approvals(
        self,
        *,
        status: ApprovalStatus | None = None,
        thread_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Approval]:
        return await self._read(
            lambda conn: approvals.list_approvals(
                conn, status=status, thread_id=thread_id, limit=limit, offset=offset
            )
        )

    async def count_approvals(
        self, *, status: ApprovalStatus | None = None, thread_id: str | None = None
    ) -> int:
        """How many approvals `list_approvals` with these filters pages through."""
        return await self._read(
            lambda conn: approvals.count_approvals(conn, status=status, thread_id=thread_id)
        )

    async def claim_approval(
        self, approval_id: int, status: ApprovalStatus, reason: str | None, at: datetime
    ) -> Approval:
        now = to_micros(at)
        return await self._write(
            lambda conn: approvals.claim(conn, approval_id, status, reason, now)
        )

    async def set_approval_result(self, approval_id: int, result: Mapping[str, Any]) -> Approval:
        return await self._write(lambda conn: approvals.set_result(conn, approval_id, result))


def _kept(conn: sqlite3.Connection, row: LogRow) -> int | None:
    """The row an earlier attempt wrote for the effect `row` carries, or None."""
    if row.effect is None:
        return None
    found = effects.noted(conn, row.effect, "log_id")
    return found if isinstance(found, int) else None


def _note(conn: sqlite3.Connection, row: LogRow, entry: int, at: int) -> None:
    if row.effect is not None:
        effects.note(conn, row.effect, {"log_id": entry}, at)
