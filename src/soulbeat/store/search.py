"""What the panel asks of the beat audit beyond `list_beats`: search with a total, counts over
time for charts, and the latest facts of a page of threads. Plain records, no SQL.

`BeatQuery` fields are ANDed; None means "any". `status` is the beat's state (`claimed`,
`deferred`, `finished`, `interrupted`). `text` matches (case-insensitively, as a
substring) the thread id, the alert text, the error and the skip reason; `reason` matches the
skip reason exactly or the start of the error (failed beats keep their reason there, e.g.
`provider-unreachable: …`). Times filter the due time, `since` inclusive, `until` exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from soulbeat.store.codec import from_micros, to_micros
from soulbeat.store.records import BeatRecord


@dataclass(frozen=True)
class BeatQuery:
    thread_id: str | None = None
    outcome: str | None = None
    status: str | None = None
    reason: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class BeatPage:
    """One page of a search, newest first, and how many beats match in all."""

    items: list[BeatRecord]
    total: int


@dataclass(frozen=True)
class BeatBucket:
    """The beats due in [start, start + bucket): counts per outcome (unfinished beats under
    ``pending``), tokens, and the durations of beats that reached the model (tokens > 0)."""

    start: datetime
    outcomes: dict[str, int] = field(default_factory=dict)
    tokens: int = 0
    model_beats: int = 0
    avg_ms: float | None = None
    max_ms: float | None = None


@dataclass(frozen=True)
class FleetRow:
    """A thread as the fleet overview sorts and filters it: its config overrides as the stored
    JSON text (threads sharing overrides share one resolution), and its main schedule's times."""

    thread_id: str
    agent_id: str
    title: str
    enabled: bool
    config_json: str
    next_due_at: datetime | None
    last_finished_at: datetime | None


@dataclass(frozen=True)
class ThreadFacts:
    """The latest finished beat of a thread and the tokens it spent since a given time."""

    thread_id: str
    last: BeatRecord | None
    tokens: int


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


FLEET_SQL = """SELECT t.id, t.agent_id, t.title, t.enabled, t.config, s.next_due_at,
    s.last_finished_at FROM threads t LEFT JOIN schedules s ON s.thread_id = t.id AND s.skill = ''
    ORDER BY t.id"""
"""Every thread with its main schedule's times, the same on both stores (no parameters)."""


def fleet_row(values: tuple[object, ...] | list[object]) -> FleetRow:
    """A `FleetRow` from the columns of `FLEET_SQL`, times as epoch microseconds."""
    tid, agent, title, enabled, config, due, finished = values
    return FleetRow(
        str(tid),
        str(agent),
        str(title),
        bool(enabled),
        str(config),
        from_micros(int(due)) if due is not None else None,  # type: ignore[call-overload]
        from_micros(int(finished)) if finished is not None else None,  # type: ignore[call-overload]
    )


def beat_where(query: BeatQuery, mark: str, like: str) -> tuple[str, list[object]]:
    """The WHERE clause (trusted SQL) and its arguments for `query`, with `mark` as the
    parameter placeholder (``?`` or ``%s``) and `like` the case-insensitive LIKE of the
    database (SQLite's ``LIKE``, PostgreSQL's ``ILIKE``); times as epoch microseconds."""
    clauses: list[str] = []
    args: list[object] = []
    equal = {"thread_id": query.thread_id, "outcome": query.outcome, "status": query.status}
    for column, value in equal.items():
        if value is not None:
            clauses.append(f"{column} = {mark}")
            args.append(value)
    if query.reason is not None:
        clauses.append(f"(skip_reason = {mark} OR error LIKE {mark} ESCAPE '\\')")
        args += [query.reason, _like(query.reason) + "%"]
    if query.text:
        columns = ("thread_id", "alert_text", "error", "skip_reason")
        clauses.append("(" + " OR ".join(f"{c} {like} {mark} ESCAPE '\\'" for c in columns) + ")")
        args += [f"%{_like(query.text)}%"] * len(columns)
    if query.since is not None:
        clauses.append(f"due_at >= {mark}")
        args.append(to_micros(query.since))
    if query.until is not None:
        clauses.append(f"due_at < {mark}")
        args.append(to_micros(query.until))
    return " AND ".join(clauses) or "1 = 1", args


__all__ = ["BeatBucket", "BeatPage", "BeatQuery", "FleetRow", "ThreadFacts", "beat_where"]
