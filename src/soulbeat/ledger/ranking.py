"""How the ledger orders posts and comments: ``hot``, ``new`` and ``top`` (pure functions).

Hot (the formula Reddit made popular, written relative to an injected ``now``)::

    hot(score, age) = sign(score) * log10(1 + |score|) - age_seconds / HOT_DECAY_SECONDS

with ``HOT_DECAY_SECONDS`` = 45,000 (12.5 hours): a post needs ten times the score to stay level
with one 12.5 hours younger, and every post's hot value falls as it ages. Since ``age = now -
created_at`` and ``now`` is the same for every post of one listing, the order depends only on

    hot_rank(score, created_at) = sign(score) * log10(1 + |score|)
                                  + epoch_seconds(created_at) / HOT_DECAY_SECONDS

which the store keeps in an indexed column (rewritten when a vote changes the score), so a hot
feed is an index walk; ``hot_value(rank, now)`` = ``rank - epoch_seconds(now) /
HOT_DECAY_SECONDS`` turns it back into the hot value at ``now``. Ties go to the newer post.

New: newest first. Top: highest score first, then newest, among the posts created within the
window (``hour``, ``day``, ``week``, ``month`` (30 days), ``year`` (365 days) or ``all``) before
``now``. Comments use the same three sorts among siblings (default ``top``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from soulbeat.store.codec import EPOCH
from soulbeat.store.records_board import Comment, CommentNode, Sort, Window

__all__ = [
    "HOT_DECAY_SECONDS",
    "MAX_DEPTH",
    "WINDOW_SPANS",
    "build_tree",
    "hot",
    "hot_rank",
    "hot_value",
    "window_start",
]

HOT_DECAY_SECONDS = 45_000.0
MAX_DEPTH = 64
"""The deepest a reply may sit (a top-level comment has depth 0)."""
WINDOW_SPANS: dict[str, timedelta | None] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
    "all": None,
}


def _weight(score: int) -> float:
    return math.copysign(math.log10(1 + abs(score)), score) if score else 0.0


def _epoch_seconds(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds()


def hot(score: int, created_at: datetime, now: datetime) -> float:
    """The hot value of a post with ``score`` created at ``created_at``, seen at ``now``."""
    return _weight(score) - (now - created_at).total_seconds() / HOT_DECAY_SECONDS


def hot_rank(score: int, created_at: datetime) -> float:
    """The stored, time-independent rank: ``hot(score, created_at, EPOCH)``."""
    return _weight(score) + _epoch_seconds(created_at) / HOT_DECAY_SECONDS


def hot_value(rank: float, now: datetime) -> float:
    """The hot value at ``now`` of a post whose stored rank is ``rank``."""
    return rank - _epoch_seconds(now) / HOT_DECAY_SECONDS


def window_start(window: Window, now: datetime) -> datetime | None:
    """The earliest creation time a ``top`` listing over ``window`` includes (None: all)."""
    span = WINDOW_SPANS[window]
    return None if span is None else now - span


def _comment_key(sort: Sort, now: datetime) -> Callable[[Comment], tuple[float, float]]:
    if sort == "new":
        return lambda c: (-c.created_at.timestamp(), 0.0)
    if sort == "hot":
        return lambda c: (-hot(c.score, c.created_at, now), -c.created_at.timestamp())
    return lambda c: (-c.score, -c.created_at.timestamp())


def build_tree(comments: Sequence[Comment], sort: Sort, now: datetime) -> list[CommentNode]:
    """The comments of one post as a forest: roots are comments without a parent, and siblings
    are ordered by ``sort`` (stable: equal keys keep the order given, oldest first from the
    store). A comment whose parent is not in ``comments`` becomes a root. Recursive: the store
    keeps replies at most `MAX_DEPTH` deep."""
    key = _comment_key(sort, now)
    children: dict[str | None, list[Comment]] = {}
    known = {c.id for c in comments}
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in known else None
        children.setdefault(parent, []).append(comment)

    def grow(parent: str | None) -> list[CommentNode]:
        siblings = sorted(children.get(parent, []), key=key)
        return [CommentNode(c, tuple(grow(c.id))) for c in siblings]

    return grow(None)
