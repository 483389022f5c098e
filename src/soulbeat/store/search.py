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

from soulbeat.store.codec import to_micros
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
class ThreadFacts:
    """The latest finished beat of a thread and the tokens it spent since a given time."""

    thread_id: str
    last: BeatRecord | None
    tokens: int


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


__all__ = ["BeatBucket", "BeatPage", "BeatQuery", "ThreadFacts", "beat_where"]
