"""`ActionLog`: every action the model proposed, with what became of it (migration 004).

One row per action that reached the executor: thread, agent, beat, skill, type, the hash of its
normalised content (`soulbeat.actions.policy.content_hash`), status, when, the action itself (as
carried out: sanitised), its problems, a detail line and, for a refusal, ``retry_after``. The
rate limits and the duplicate guard read it; nothing refused is dropped from it.

- `admit` is governance and bookkeeping in one write transaction: it reads the counted actions
  of the thread and type, applies the rate limits and then the duplicate guard, and inserts the
  row: status ``admitted`` (it uses quota from this instant) or the refusal's status with its
  problem and ``retry_after``. Two beats can never both take the last slot of a limit.
- `settle` gives an admitted row its final status once the action has been carried out (or
  queued for approval); an approval decided later settles it again.
- `record` inserts a row that is final at once (rejected by validation, would-do, none).

Times come from the injected clock. Rows are never deleted here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from soulbeat.actions.models import Problem
from soulbeat.actions.policy import (
    DUPLICATE_WINDOW,
    QUOTA_STATUSES,
    Refusal,
    check_duplicate,
    check_rate_limits,
)
from soulbeat.clock import Clock
from soulbeat.config.actions import RateLimit
from soulbeat.errors import NotFoundError
from soulbeat.store.codec import from_micros, opt_datetime, opt_micros, to_micros

__all__ = [
    "ADMITTED",
    "ActionLog",
    "Admission",
    "LogEntry",
    "LogRow",
    "SQLJobs",
    "dump_problems",
    "load_problems",
]

T = TypeVar("T")

ADMITTED = "admitted"
"""The status of a row whose action passed governance and is being carried out."""

_COLUMNS = (
    "id, thread_id, agent_id, beat_id, skill, type, content_hash, status, dry_run, at, "
    "updated_at, action, problems, detail, retry_after"
)
_QUOTA = ", ".join(f"'{status}'" for status in QUOTA_STATUSES)


@runtime_checkable
class SQLJobs(Protocol):
    """The store seam for tables of other folders (`SQLiteStore.run_read` / ``run_write``):
    ``job(connection)`` runs in one transaction and must not commit, roll back or await."""

    async def run_read(self, job: Callable[[sqlite3.Connection], T]) -> T: ...

    async def run_write(self, job: Callable[[sqlite3.Connection], T]) -> T: ...


@dataclass(frozen=True)
class LogRow:
    """What is written for one action (the row without its id and times)."""

    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str
    type: str
    status: str
    action: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    detail: str = ""
    content_hash: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class LogEntry:
    """One row of the action log as read back."""

    id: int
    thread_id: str
    agent_id: str
    beat_id: int | None
    skill: str
    type: str
    content_hash: str | None
    status: str
    dry_run: bool
    at: datetime
    updated_at: datetime
    action: Mapping[str, Any]
    problems: tuple[Problem, ...]
    detail: str
    retry_after: datetime | None


@dataclass(frozen=True)
class Admission:
    """What `ActionLog.admit` decided: the row written, and the refusal (None: admitted)."""

    entry_id: int
    refusal: Refusal | None

    @property
    def admitted(self) -> bool:
        return self.refusal is None


class ActionLog:
    """The action log on the store's database (module docstring)."""

    def __init__(self, db: SQLJobs, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(self, row: LogRow) -> int:
        """Insert a final row; returns its id."""
        now = to_micros(self._clock.now())
        return await self._db.run_write(lambda conn: _insert(conn, row, now, None))

    async def admit(self, row: LogRow, limits: Sequence[RateLimit]) -> Admission:
        """Apply the rate limits, then the duplicate guard, and insert the row (module
        docstring). ``row.status`` is ignored: it becomes ``admitted`` or the refusal's."""
        now = self._clock.now()

        def job(conn: sqlite3.Connection) -> Admission:
            refusal = _governance(conn, row, limits, now)
            if refusal is None:
                written = replace(row, status=ADMITTED)
                return Admission(_insert(conn, written, to_micros(now), None), None)
            refused = replace(
                row,
                status=refusal.status,
                problems=(*row.problems, refusal.problem),
                detail=refusal.problem.message,
            )
            entry = _insert(conn, refused, to_micros(now), refusal.retry_after)
            return Admission(entry, refusal)

        return await self._db.run_write(job)

    async def settle(
        self,
        entry_id: int,
        status: str,
        *,
        detail: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        """Give row ``entry_id`` its (new) status; detail and problems replace the old ones when
        given. NotFoundError for an unknown id."""
        now = to_micros(self._clock.now())

        def job(conn: sqlite3.Connection) -> None:
            sets, args = ["status = ?", "updated_at = ?"], [status, now]
            if detail is not None:
                sets.append("detail = ?")
                args.append(detail)
            if problems is not None:
                sets.append("problems = ?")
                args.append(dump_problems(problems))
            cursor = conn.execute(
                f"UPDATE action_log SET {', '.join(sets)} WHERE id = ?", (*args, entry_id)
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"action log entry {entry_id} does not exist")

        await self._db.run_write(job)

    async def get(self, entry_id: int) -> LogEntry:
        """One entry; NotFoundError for an unknown id."""

        def job(conn: sqlite3.Connection) -> LogEntry:
            found = conn.execute(
                f"SELECT {_COLUMNS} FROM action_log WHERE id = ?", (entry_id,)
            ).fetchone()
            if found is None:
                raise NotFoundError(f"action log entry {entry_id} does not exist")
            return _entry(found)

        return await self._db.run_read(job)

    async def entries(
        self,
        *,
        thread_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[LogEntry]:
        """Entries, newest first, optionally of one thread, type and status."""
        where, args = _filters(thread_id=thread_id, type=type, status=status)

        def job(conn: sqlite3.Connection) -> list[LogEntry]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM action_log{where} ORDER BY id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            return [_entry(row) for row in rows]

        return await self._db.run_read(job)


def _governance(
    conn: sqlite3.Connection, row: LogRow, limits: Sequence[RateLimit], now: datetime
) -> Refusal | None:
    if limits:
        oldest = now - max(limit.window for limit in limits)
        times = [
            from_micros(value)
            for (value,) in conn.execute(
                f"SELECT at FROM action_log WHERE thread_id = ? AND type = ? AND at > ? "
                f"AND status IN ({_QUOTA})",
                (row.thread_id, row.type, to_micros(oldest)),
            )
        ]
        refusal = check_rate_limits(row.type, limits, times, now)
        if refusal is not None:
            return refusal
    if row.content_hash is None:
        return None
    (last,) = conn.execute(
        f"SELECT max(at) FROM action_log WHERE thread_id = ? AND type = ? AND content_hash = ? "
        f"AND at > ? AND status IN ({_QUOTA})",
        (row.thread_id, row.type, row.content_hash, to_micros(now - DUPLICATE_WINDOW)),
    ).fetchone()
    return check_duplicate(row.type, opt_datetime(last), now)


def _insert(conn: sqlite3.Connection, row: LogRow, now: int, retry_after: datetime | None) -> int:
    cursor = conn.execute(
        "INSERT INTO action_log (thread_id, agent_id, beat_id, skill, type, content_hash, "
        "status, dry_run, at, updated_at, action, problems, detail, retry_after) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.thread_id,
            row.agent_id,
            row.beat_id,
            row.skill,
            row.type,
            row.content_hash,
            row.status,
            int(row.dry_run),
            now,
            now,
            json.dumps(dict(row.action), ensure_ascii=False, default=str),
            dump_problems(row.problems),
            row.detail,
            opt_micros(retry_after),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _filters(**equal: str | None) -> tuple[str, list[Any]]:
    pairs = [(column, value) for column, value in equal.items() if value is not None]
    if not pairs:
        return "", []
    return " WHERE " + " AND ".join(f"{column} = ?" for column, _ in pairs), [
        value for _, value in pairs
    ]


def _entry(row: sqlite3.Row) -> LogEntry:
    return LogEntry(
        id=row["id"],
        thread_id=row["thread_id"],
        agent_id=row["agent_id"],
        beat_id=row["beat_id"],
        skill=row["skill"],
        type=row["type"],
        content_hash=row["content_hash"],
        status=row["status"],
        dry_run=bool(row["dry_run"]),
        at=from_micros(row["at"]),
        updated_at=from_micros(row["updated_at"]),
        action=json.loads(row["action"]),
        problems=load_problems(row["problems"]),
        detail=row["detail"],
        retry_after=opt_datetime(row["retry_after"]),
    )


def dump_problems(problems: Sequence[Problem]) -> str:
    """JSON text of ``problems`` (field, message, level each)."""
    return json.dumps(
        [{"field": p.field, "message": p.message, "level": p.level} for p in problems],
        ensure_ascii=False,
    )


def load_problems(text: str) -> tuple[Problem, ...]:
    """The inverse of `dump_problems`."""
    return tuple(
        Problem(item["field"], item["message"], "info" if item.get("level") == "info" else "error")
        for item in json.loads(text)
    )
