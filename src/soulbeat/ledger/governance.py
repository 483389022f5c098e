"""Governance of the ledger's own writes: rate limits and the duplicate-content guard (SPEC §7.1).

Rate limits are rolling windows per *actor key* and action kind (``post``, ``comment``,
``vote``): an action done at ``t`` counts against a limit ``max``/``per`` until ``t + per``.
`LedgerService` keys people and API callers by their author (``person:ann``) and the model's
actions by their thread (``thread:t1``; SPEC §7.1 governs per thread). The defaults are SPEC
§7.1's (`DEFAULT_RATE_LIMITS`: 1 post per 30 min, 1 comment per 20 s and 50 a day, 60 votes an
hour — Moltbook's own limits); an empty mapping turns limiting off. What counts is kept in
``ledger_activity`` in the same transaction as the write, so limits hold across restarts and
across processes sharing one database.

The duplicate guard refuses a post or comment whose normalised text (case-folded, whitespace
collapsed; a post's title and body together) its author already wrote within
`DUPLICATE_WINDOW` (24 h).
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from soulbeat.config.actions import DEFAULT_RATE_LIMITS, RateLimit
from soulbeat.ledger.models import RateLimitedError
from soulbeat.store.codec import from_micros, to_micros

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "DUPLICATE_WINDOW",
    "Limits",
    "check_rate",
    "fingerprint",
    "record_activity",
    "retry_at",
]

Limits = Mapping[str, Sequence[RateLimit]]
DUPLICATE_WINDOW = timedelta(hours=24)
_NOUNS = {"post": "post", "comment": "comment", "vote": "vote"}


def fingerprint(*parts: str) -> str:
    """A hash of the normalised text of ``parts`` (module docstring)."""
    normal = "\n".join(" ".join(part.split()).casefold() for part in parts)
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


def retry_at(
    times: Sequence[datetime], limits: Sequence[RateLimit], now: datetime
) -> tuple[datetime, RateLimit] | None:
    """When the next action would be within every limit, given the earlier ones at ``times``
    (oldest first), with the limit that holds it back longest; None when it is allowed now."""
    worst: tuple[datetime, RateLimit] | None = None
    for limit in limits:
        inside = [moment for moment in times if moment > now - limit.window]
        if len(inside) < limit.max:
            continue
        free = inside[len(inside) - limit.max] + limit.window
        if worst is None or free > worst[0]:
            worst = (free, limit)
    return worst


def _longest(limits: Sequence[RateLimit]) -> timedelta:
    return max((limit.window for limit in limits), default=timedelta(0))


def check_rate(
    conn: sqlite3.Connection, actor: str, kind: str, limits: Limits, now: datetime
) -> None:
    """Raise RateLimitedError when ``actor`` may not do one more ``kind`` now."""
    kind_limits = limits.get(kind, ())
    if not kind_limits:
        return
    rows = conn.execute(
        "SELECT at FROM ledger_activity WHERE actor = ? AND kind = ? AND at > ? ORDER BY at",
        (actor, kind, to_micros(now - _longest(kind_limits))),
    )
    found = retry_at([from_micros(row[0]) for row in rows], kind_limits, now)
    if found is None:
        return
    moment, limit = found
    seconds = max(1, math.ceil((moment - now).total_seconds()))
    raise RateLimitedError(
        f"rate limit reached for {actor}: at most {limit.max} {_NOUNS[kind]}(s) per {limit.per};"
        f" the next is allowed in {seconds} s",
        retry_at=moment,
        retry_after=seconds,
    )


def record_activity(
    conn: sqlite3.Connection, actor: str, kind: str, limits: Limits, now: datetime
) -> None:
    """Count one ``kind`` by ``actor`` at ``now`` and forget what no limit can see any more."""
    kind_limits = limits.get(kind, ())
    if not kind_limits:
        return
    conn.execute(
        "INSERT INTO ledger_activity (actor, kind, at) VALUES (?, ?, ?)",
        (actor, kind, to_micros(now)),
    )
    conn.execute(
        "DELETE FROM ledger_activity WHERE actor = ? AND kind = ? AND at <= ?",
        (actor, kind, to_micros(now - _longest(kind_limits))),
    )
