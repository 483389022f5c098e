"""Governance of the ledger's own writes: rate limits and the duplicate-content guard (SPEC §7.1).

Rate limits are rolling windows per *actor key* and action kind (``post``, ``comment``,
``vote``): an action done at ``t`` counts against a limit ``max``/``per`` until ``t + per``.
`LedgerService` keys people and API callers by their author (``person:ann``) and the model's
actions by their thread (``thread:t1``; SPEC §7.1 governs per thread). The defaults are SPEC
§7.1's (`DEFAULT_RATE_LIMITS`: 1 post per 30 min, 1 comment per 20 s and 50 a day, 60 votes an
hour — Moltbook's own limits); an empty mapping turns limiting off. `guard` hands these rules to
the store (`BoardStore`), which applies them inside the write's transaction and counts the write
in the same transaction, so limits hold across restarts and across processes sharing one
database.

The duplicate guard refuses a post or comment whose normalised text (case-folded, whitespace
collapsed; a post's title and body together) its author already wrote within
`DUPLICATE_WINDOW` (24 h).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from soulbeat.config.actions import DEFAULT_RATE_LIMITS, RateLimit
from soulbeat.store.records_board import BoardGuard, RateLimitedError

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "DUPLICATE_WINDOW",
    "Limits",
    "fingerprint",
    "guard",
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


def guard(
    actor: str,
    kind: str,
    limits: Limits,
    now: datetime,
    *,
    duplicate_since: datetime | None = None,
    refuse_duplicate: Callable[[], None] | None = None,
) -> BoardGuard:
    """The `BoardGuard` for one ``kind`` by ``actor`` at ``now`` under ``limits``: the store
    runs it in the write's transaction, which raises RateLimitedError when ``actor`` may not do
    one more ``kind`` now, and counts the write when it goes through."""
    kind_limits = tuple(limits.get(kind, ()))

    def check_rate(times: Sequence[datetime]) -> None:
        found = retry_at(times, kind_limits, now)
        if found is None:
            return
        moment, limit = found
        seconds = max(1, math.ceil((moment - now).total_seconds()))
        raise RateLimitedError(
            f"rate limit reached for {actor}: at most {limit.max} {_NOUNS[kind]}(s) per "
            f"{limit.per}; the next is allowed in {seconds} s",
            retry_at=moment,
            retry_after=seconds,
        )

    return BoardGuard(
        key=actor,
        kind=kind,
        at=now,
        window=_longest(kind_limits),
        check_rate=check_rate,
        duplicate_since=duplicate_since,
        refuse_duplicate=refuse_duplicate,
    )
