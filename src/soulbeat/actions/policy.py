"""Governance (SPEC §7.1) as plain rules: rate limits, the duplicate guard, targets — the one
engine for every write that is limited, whoever makes it.

Nothing here reads a clock or a database: the store feeds these rules the times it finds, inside
the write's transaction. The engine is keyed; two kinds of key use it:

- a thread (the model's actions): `soulbeat.actions.log` hands the store an `ActionQuota` built
  on `check_rate_limits` and `check_duplicate` over the action log, and `GovernedExecutor`
  decides with the refusal;
- an author (people writing to the ledger through the API, ``person:ann``): `board_guard` hands
  the store a `BoardGuard` built on the same two rules (`next_free`, `duplicate_until`) over the
  board's counted activity, raising the ledger's `RateLimitedError` / `LedgerConflictError`.

Rate limits (`next_free`, `check_rate_limits`): a limit ``max`` per ``per`` allows an action
when fewer than ``max`` actions of the same key and kind that use quota happened in the sliding
window ``(now - per, now]``. An action exactly ``per`` old has left the window. A refusal is
``rate-limited`` and carries ``retry_after``: the first instant at which enough of the counted
actions have left the window for this one to fit; with several limits broken (1 per 20 s and 50
a day), the latest of their instants. For a thread the counted actions are the log's rows whose
status uses quota (`QUOTA_STATUSES`); for an author, the board's counted writes.

Duplicate guard (`duplicate_until`, `check_duplicate`): an action whose normalised content
(`normalize_content`: trimmed, case-folded, runs of whitespace collapsed to one space) equals
that of an action of the same thread and type that used quota within `DUPLICATE_WINDOW` (24 h)
is ``rejected``, with ``retry_after`` when the earlier one leaves the window. What "content" is,
per type (`content_of`): a post's content (a new title on the same text is still the same
post), a comment's content (the same text under another post is still spam), a vote's target,
id and direction (voting the same way twice). Messages are left to the turn's alert dedupe,
which the thread's ``dedupe`` setting controls, and ``none`` does nothing to repeat. On the
board, an author's post or comment is compared by its `fingerprint` (a post's title and body
together) with what the same author wrote within the window.

What uses quota: ``executed`` and ``pending-approval`` actions (a waiting action has been
proposed for real and will likely run, so queueing ten of them is as limited as posting ten),
and ``admitted`` ones (admitted, being carried out). ``would-do`` (dry-run), ``rejected``,
``rate-limited``, ``failed`` and ``unsupported-until-ledger`` do not: they never reached anyone.

Targets (`target_problems`): the ledger's ``exists(kind, id)`` lookup, sync or async, asked
for every target of a well-formed action (`targets_of`), then `validate_action` with the
answers, so the problems read exactly as validation's own ("no post '42' exists").
"""

from __future__ import annotations

import hashlib
import inspect
import math
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from soulbeat.actions.models import (
    Action,
    CommentAction,
    PostAction,
    Problem,
    VoteAction,
    errors_in,
)
from soulbeat.actions.validate import validate_action
from soulbeat.config.actions import DEFAULT_RATE_LIMITS, RateLimit
from soulbeat.store.records_board import (
    Actor,
    BoardGuard,
    LedgerConflictError,
    RateLimitedError,
)

__all__ = [
    "DEDUPED_TYPES",
    "DEFAULT_RATE_LIMITS",
    "DUPLICATE_WINDOW",
    "QUOTA_STATUSES",
    "Limits",
    "Refusal",
    "TargetLookup",
    "board_guard",
    "check_duplicate",
    "check_rate_limits",
    "content_hash",
    "content_of",
    "duplicate_until",
    "fingerprint",
    "longest_window",
    "next_free",
    "normalize_content",
    "target_problems",
    "targets_of",
]

Limits = Mapping[str, Sequence[RateLimit]]
"""Rate limits per kind (``post``, ``comment``, ``vote``, ``message``); a missing or empty kind
is not limited, an empty mapping turns limiting off. The defaults are SPEC §7.1's
(`DEFAULT_RATE_LIMITS`: 1 post per 30 min, 1 comment per 20 s and 50 a day, 60 votes an hour)."""

DUPLICATE_WINDOW = timedelta(hours=24)
QUOTA_STATUSES: tuple[str, ...] = ("executed", "pending-approval", "admitted")
"""Statuses in the action log that use quota and feed the duplicate guard."""
DEDUPED_TYPES: tuple[str, ...] = ("post", "comment", "vote")

TargetLookup = Callable[[str, str], bool | Awaitable[bool]]
"""``exists(kind, id)`` with kind ``submolt``, ``post`` or ``comment``; may be async."""


@dataclass(frozen=True)
class Refusal:
    """Why governance refused an action: its status, the problem for the audit record and when
    the same action could be tried again."""

    status: Literal["rate-limited", "rejected"]
    problem: Problem
    retry_after: datetime


def normalize_content(text: str) -> str:
    """``text`` trimmed, case-folded and with every run of whitespace turned into one space."""
    return " ".join(text.casefold().split())


def content_of(action: Action) -> str | None:
    """The content the duplicate guard compares (module docstring); None when it does not look
    at this type."""
    if isinstance(action, PostAction | CommentAction):
        return action.content
    if isinstance(action, VoteAction):
        return f"{action.target}:{action.id}:{action.direction}"
    return None


def content_hash(action: Action) -> str | None:
    """sha256 (hex) of the normalised content of ``action``, or None (see `content_of`)."""
    content = content_of(action)
    if content is None:
        return None
    return hashlib.sha256(normalize_content(content).encode("utf-8")).hexdigest()


def next_free(
    times: Sequence[datetime], limits: Sequence[RateLimit], now: datetime
) -> tuple[datetime, RateLimit, int] | None:
    """None when one more action fits every limit now, given the earlier counted ones at
    ``times`` (any order; older ones are ignored); else the first instant it would fit, the
    limit that holds it back longest and how many actions that limit saw in its window."""
    worst: tuple[datetime, RateLimit, int] | None = None
    for limit in limits:
        window = limit.window
        inside = sorted(t for t in times if t > now - window)
        if len(inside) < limit.max:
            continue
        retry_after = inside[len(inside) - limit.max] + window
        if worst is None or retry_after > worst[0]:
            worst = (retry_after, limit, len(inside))
    return worst


def duplicate_until(
    last: datetime | None, now: datetime, window: timedelta = DUPLICATE_WINDOW
) -> datetime | None:
    """When the same content, last used at ``last``, may be used again: None when that is now
    (never used, or ``window`` or longer ago)."""
    if last is None or last <= now - window:
        return None
    return last + window


def longest_window(limits: Sequence[RateLimit]) -> timedelta:
    """How far back the times of earlier actions matter to ``limits`` (zero: no limit)."""
    return max((limit.window for limit in limits), default=timedelta(0))


# -- the thread key: the model's actions, over the action log ------------------------------------


def check_rate_limits(
    kind: str, limits: Sequence[RateLimit], times: Sequence[datetime], now: datetime
) -> Refusal | None:
    """Refuse when any limit is reached; ``times`` are when the counted earlier actions of the
    same thread and type happened (any order; older ones are ignored)."""
    worst = next_free(times, limits, now)
    if worst is None:
        return None
    retry_after, limit, used = worst
    message = (
        f"rate limit reached: at most {limit.max} {kind} per {limit.per} for this thread "
        f"({used} in the last {limit.per}); it could run again at {retry_after.isoformat()}"
    )
    return Refusal("rate-limited", Problem("", message), retry_after)


def check_duplicate(
    kind: str, last: datetime | None, now: datetime, window: timedelta = DUPLICATE_WINDOW
) -> Refusal | None:
    """Refuse when the same content was used at ``last`` (the latest counted action with the same
    normalised content), less than ``window`` before ``now``."""
    retry_after = duplicate_until(last, now, window)
    if last is None or retry_after is None:
        return None
    hours = window.total_seconds() / 3600
    message = (
        f"duplicate {kind}: the same content (ignoring case and spacing) was used by this thread "
        f"at {last.isoformat()}, less than {hours:g} h ago"
    )
    return Refusal("rejected", Problem("content", message), retry_after)


# -- the author key: people writing to the ledger, over the board's activity ---------------------


def fingerprint(*parts: str) -> str:
    """The hash the board's duplicate guard compares: each part with its whitespace collapsed
    and case-folded, a post's title and body together."""
    normal = "\n".join(" ".join(part.split()).casefold() for part in parts)
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


def board_guard(
    key: str,
    kind: str,
    limits: Limits,
    now: datetime,
    *,
    author: Actor | None = None,
    duplicate_window: timedelta = DUPLICATE_WINDOW,
) -> BoardGuard:
    """The `BoardGuard` of one ``kind`` (``post``, ``comment``, ``vote``) under ``key`` at
    ``now``: `next_free` over ``limits`` refuses with RateLimitedError; with ``author`` (posts
    and comments), `duplicate_until` refuses the same text by that author within
    ``duplicate_window`` with LedgerConflictError."""
    kind_limits = tuple(limits.get(kind, ()))

    def check_rate(times: Sequence[datetime]) -> None:
        found = next_free(times, kind_limits, now)
        if found is None:
            return
        moment, limit, _ = found
        seconds = max(1, math.ceil((moment - now).total_seconds()))
        raise RateLimitedError(
            f"rate limit reached for {key}: at most {limit.max} {kind}(s) per "
            f"{limit.per}; the next is allowed in {seconds} s",
            retry_at=moment,
            retry_after=seconds,
        )

    def check_duplicate(last: datetime | None) -> None:
        if duplicate_until(last, now, duplicate_window) is None:
            return
        raise LedgerConflictError(
            f"{author} wrote the same {kind} within the last "
            f"{duplicate_window.total_seconds() / 3600:g} h",
            hint="say something new, or wait",
        )

    return BoardGuard(
        key=key,
        kind=kind,
        at=now,
        window=longest_window(kind_limits),
        check_rate=check_rate,
        duplicate_since=None if author is None else now - duplicate_window,
        check_duplicate=None if author is None else check_duplicate,
    )


# -- targets ------------------------------------------------------------------------------------


def targets_of(action: Action) -> list[tuple[str, str]]:
    """The ``(kind, id)`` pairs an action needs to exist: a post's submolt, a comment's post
    (and parent comment), a vote's post or comment."""
    if isinstance(action, PostAction):
        return [("submolt", action.submolt)]
    if isinstance(action, CommentAction):
        pairs = [("post", action.post_id)]
        if action.parent_id is not None:
            pairs.append(("comment", action.parent_id))
        return pairs
    if isinstance(action, VoteAction):
        return [(action.target, action.id)]
    return []


async def target_problems(
    action: Action, lookup: TargetLookup, *, allowed: Collection[str]
) -> list[Problem]:
    """The problems of a well-formed, allowed ``action`` whose targets do not exist (empty when
    they all do). Errors raised by ``lookup`` propagate: they are not the model's mistake."""
    answers: dict[tuple[str, str], bool] = {}
    for pair in targets_of(action):
        answer = lookup(*pair)
        if inspect.isawaitable(answer):
            answer = await answer
        answers[pair] = bool(answer)
    if not answers:
        return []
    problems = validate_action(
        action, allowed=allowed, exists=lambda kind, ident: answers.get((kind, ident), False)
    )
    return errors_in(problems)
