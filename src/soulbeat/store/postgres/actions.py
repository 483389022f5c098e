"""`PostgresActions`: the `ActionStore` protocol (`soulbeat.store.base`) on PostgreSQL.

Each method is one transaction over the action log and the approval queue (migration 003), made
of the coroutines in `action_tables`, with the rules of `soulbeat.store.sqlite.actions`: times
are the caller's; a row that carries a beat's effect (SPEC §9.4) is noted on the effect's record
in the same transaction, so asked again under that effect `record_action` and `admit_action`
return the row written before, and admitting it again takes no quota. The effect's record is
locked first, so two attempts of one beat in two processes write the row once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from soulbeat.store.codec import to_micros
from soulbeat.store.postgres import action_tables as sql
from soulbeat.store.postgres import effects
from soulbeat.store.postgres.connection import PostgresConnection
from soulbeat.store.postgres.tables import Conn
from soulbeat.store.records_actions import (
    ActionQuota,
    Approval,
    ApprovalStatus,
    LogEntry,
    LogRow,
    NewApproval,
    Problem,
)

__all__ = ["PostgresActions"]


class PostgresActions(PostgresConnection):
    """The action log's and approval queue's part of `PostgresStore` (module docstring)."""

    # -- the action log -------------------------------------------------------------------------
    async def record_action(self, row: LogRow, at: datetime) -> int:
        now = to_micros(at)

        async def job(conn: Conn) -> int:
            kept = await _kept(conn, row)
            if kept is not None:
                return kept
            entry = await sql.insert_entry(conn, row, now)
            await _note(conn, row, entry, now)
            return entry

        return await self._run(job)

    async def admit_action(
        self, row: LogRow, quota: ActionQuota, at: datetime
    ) -> tuple[int, LogRow]:
        now = to_micros(at)

        async def job(conn: Conn) -> tuple[int, LogRow]:
            kept = await _kept(conn, row)
            if kept is not None:  # admitted by an earlier attempt of the beat
                return kept, replace(row, status=(await sql.get_entry(conn, kept)).status)
            written = await sql.admit(conn, row, quota, at)
            entry = await sql.insert_entry(conn, written, now)
            if written.status == "admitted":  # a refusal is final: the beat records it
                await _note(conn, row, entry, now)
            return entry, written

        return await self._run(job)

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
        await self._run(lambda conn: sql.settle(conn, entry_id, status, now, detail, problems))

    async def get_action(self, entry_id: int) -> LogEntry:
        return await self._run(lambda conn: sql.get_entry(conn, entry_id))

    async def list_actions(
        self,
        *,
        thread_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[LogEntry]:
        return await self._run(
            lambda conn: sql.entries(
                conn, thread_id=thread_id, type=type, status=status, limit=limit
            )
        )

    # -- the approval queue ---------------------------------------------------------------------
    async def add_approval(self, new: NewApproval, at: datetime) -> Approval:
        now = to_micros(at)
        return await self._run(lambda conn: sql.insert_approval(conn, new, now))

    async def get_approval(self, approval_id: int) -> Approval:
        return await self._run(lambda conn: sql.read_approval(conn, approval_id))

    async def list_approvals(
        self,
        *,
        status: ApprovalStatus | None = None,
        thread_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Approval]:
        return await self._run(
            lambda conn: sql.list_approvals(
                conn, status=status, thread_id=thread_id, limit=limit, offset=offset
            )
        )

    async def count_approvals(
        self, *, status: ApprovalStatus | None = None, thread_id: str | None = None
    ) -> int:
        """How many approvals `list_approvals` with these filters pages through."""
        return await self._run(
            lambda conn: sql.count_approvals(conn, status=status, thread_id=thread_id)
        )

    async def claim_approval(
        self, approval_id: int, status: ApprovalStatus, reason: str | None, at: datetime
    ) -> Approval:
        now = to_micros(at)
        return await self._run(
            lambda conn: sql.claim_approval(conn, approval_id, status, reason, now)
        )

    async def set_approval_result(self, approval_id: int, result: Mapping[str, Any]) -> Approval:
        return await self._run(lambda conn: sql.set_result(conn, approval_id, result))


async def _kept(conn: Conn, row: LogRow) -> int | None:
    """The row an earlier attempt wrote for the effect `row` carries, or None."""
    if row.effect is None:
        return None
    found = await effects.noted(conn, row.effect, "log_id")
    return found if isinstance(found, int) else None


async def _note(conn: Conn, row: LogRow, entry: int, at: int) -> None:
    if row.effect is not None:
        await effects.note(conn, row.effect, {"log_id": entry}, at)
