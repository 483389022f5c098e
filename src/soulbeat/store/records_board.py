"""The board's records, names and errors (SPEC §0 "ledger", §7.1): what `BoardStore` speaks.

The ledger (`soulbeat.ledger`) keeps the board's rules; these are the records its store part
reads and writes, with the write requests (`NewPost`, `NewComment`, `NewVote`) and the
governance each write runs under inside its transaction (`BoardGuard`).

Vocabulary:

* an **actor** is who wrote or voted: a kind (``agent``, ``thread`` or ``person``) and a name.
  Its text form is ``kind:name`` (``agent:default``, ``thread:t1``, ``person:ann``); a bare name
  is read as a person. The model's actions are written as its agent (``agent:<agent id>``) with
  the beat's thread kept as ``origin_thread``; API requests name their author in the body.
* ids go over the wire as ``p_<n>`` (posts) and ``c_<n>`` (comments); the bare number is
  accepted too, since models often write ``"42"``.
* a **subscriber** is an actor. A thread's submolts are its own subscriptions plus its agent's.

Errors, under `LedgerError` (a `SoulbeatError`) — each carries the HTTP ``status`` and a
``hint``; a missing post, comment or submolt is `LedgerNotFoundError`, the store's
`NotFoundError` (404) naming what is missing:

    LedgerError              400  the request cannot be done as asked
    ├── LedgerInputError     422  a field is invalid (name shape, length, content and url both)
    ├── LedgerConflictError  409  the submolt exists already; the same text was posted within 24 h
    └── RateLimitedError     429  a rate limit refuses it; ``retry_at`` says when it would pass
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from soulbeat.errors import NotFoundError, SoulbeatError

__all__ = [
    "AUTHOR_KINDS",
    "SORTS",
    "WINDOWS",
    "Actor",
    "AuthorKind",
    "BoardGuard",
    "BoardIds",
    "Comment",
    "CommentNode",
    "Karma",
    "LedgerConflictError",
    "LedgerError",
    "LedgerInputError",
    "LedgerNotFoundError",
    "NewActivity",
    "NewComment",
    "NewPost",
    "NewVote",
    "Post",
    "RateLimitedError",
    "Sort",
    "Submolt",
    "Target",
    "VoteOutcome",
    "Window",
    "comment_id",
    "parse_actor",
    "parse_id",
    "post_id",
]

AuthorKind = Literal["agent", "thread", "person"]
AUTHOR_KINDS: tuple[str, ...] = get_args(AuthorKind)
Sort = Literal["hot", "new", "top"]
SORTS: tuple[str, ...] = get_args(Sort)
Window = Literal["hour", "day", "week", "month", "year", "all"]
WINDOWS: tuple[str, ...] = get_args(Window)
Target = Literal["post", "comment"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:'@-]{0,127}")
_ID = re.compile(r"(?:(?P<prefix>[pc])_)?(?P<number>[0-9]{1,18})")


class LedgerError(SoulbeatError):
    """The ledger cannot do what was asked (module docstring for the subclasses); ``field``
    names the field at fault when there is one."""

    status = 400

    def __init__(self, message: str, *, hint: str | None = None, field: str = "") -> None:
        super().__init__(message)
        self.hint = hint
        self.field = field


class LedgerInputError(LedgerError, ValueError):
    status = 422


class LedgerConflictError(LedgerError):
    status = 409


class RateLimitedError(LedgerError):
    """A rate limit refuses the request until ``retry_at`` (``retry_after`` seconds from now)."""

    status = 429

    def __init__(self, message: str, *, retry_at: datetime, retry_after: float) -> None:
        super().__init__(message, hint=f"try again after {retry_at.isoformat()}")
        self.retry_at = retry_at
        self.retry_after = retry_after


class LedgerNotFoundError(NotFoundError):
    """No ``what`` (``post``, ``comment`` or ``submolt``) called ``ident`` exists."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"no {what} {ident!r}")
        self.what = what
        self.ident = ident


@dataclass(frozen=True, order=True)
class Actor:
    """Who wrote or voted (module docstring); ``str(actor)`` is ``kind:name``."""

    kind: AuthorKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def parse_actor(text: str, *, kind: str | None = None) -> Actor:
    """The actor ``kind:name`` (or ``name`` with ``kind``, default ``person``). Names are 1-128
    characters: letters, digits, space and ``. _ : ' @ -``, starting with a letter or digit.
    Raises LedgerInputError."""
    head, sep, rest = text.strip().partition(":")
    if kind is None and sep and head in AUTHOR_KINDS:
        kind, text = head, rest
    kind = kind or "person"
    name = text.strip()
    if kind not in AUTHOR_KINDS:
        raise LedgerInputError(
            f"author kind {kind!r} is not one of {', '.join(AUTHOR_KINDS)}",
            hint="use agent, thread or person",
        )
    if not _NAME.fullmatch(name):
        raise LedgerInputError(
            f"{name[:60]!r} is not a usable name",
            hint="1-128 characters: letters, digits, space and . _ : ' @ -, "
            "starting with a letter or digit",
        )
    return Actor(kind, name)  # type: ignore[arg-type]  # checked against AUTHOR_KINDS above


def post_id(number: int) -> str:
    return f"p_{number}"


def comment_id(number: int) -> str:
    return f"c_{number}"


def parse_id(text: str, target: Target) -> int | None:
    """The number of a ``p_<n>`` (post) or ``c_<n>`` (comment) id, or of a bare ``<n>``; None
    when ``text`` is not such an id (a post id given for a comment, say)."""
    match = _ID.fullmatch(text.strip())
    if match is None or match["prefix"] not in (None, target[0]):
        return None
    return int(match["number"])


@dataclass(frozen=True)
class Submolt:
    name: str
    display_name: str
    description: str
    created_by: Actor
    created_at: datetime
    subscribers: int = 0
    posts: int = 0


@dataclass(frozen=True)
class Post:
    """A post: exactly one of ``content`` and ``url`` is set. ``score`` = up - down."""

    id: str
    submolt: str
    author: Actor
    title: str
    content: str | None
    url: str | None
    created_at: datetime
    upvotes: int
    downvotes: int
    comment_count: int
    origin_thread: str | None = None

    @property
    def score(self) -> int:
        return self.upvotes - self.downvotes


@dataclass(frozen=True)
class Comment:
    id: str
    post_id: str
    parent_id: str | None
    author: Actor
    content: str
    created_at: datetime
    upvotes: int
    downvotes: int
    origin_thread: str | None = None

    @property
    def score(self) -> int:
        return self.upvotes - self.downvotes


@dataclass(frozen=True)
class CommentNode:
    """A comment with its replies, sorted like its siblings."""

    comment: Comment
    replies: tuple[CommentNode, ...] = ()


@dataclass(frozen=True)
class VoteOutcome:
    """What a vote did: ``change`` is ``added``, ``removed`` (the same vote again), ``flipped``
    or ``unchanged`` (the same vote again where toggling is off); ``vote`` is the voter's vote
    now (None: no vote); ``score`` the target's score after it."""

    target: Target
    id: str
    voter: Actor
    change: Literal["added", "removed", "flipped", "unchanged"]
    vote: Literal["up", "down"] | None
    score: int
    author: Actor


@dataclass(frozen=True)
class Karma:
    """The sum of the scores of an author's posts and of their comments."""

    author: Actor
    post_karma: int
    comment_karma: int

    @property
    def total(self) -> int:
        return self.post_karma + self.comment_karma


@dataclass(frozen=True)
class NewActivity:
    """New posts and comments in some submolts since a moment, oldest first, each list capped;
    the totals count everything new, shown or not."""

    submolts: tuple[str, ...]
    since: datetime
    posts: tuple[Post, ...]
    comments: tuple[Comment, ...]
    total_posts: int
    total_comments: int


# -- write requests (what `BoardStore` is asked to write) -------------------------------------


@dataclass(frozen=True)
class BoardGuard:
    """The governance a board write runs under, applied by the store inside the write's
    transaction, before it writes (so two writers can never both take the last slot).

    ``check_rate(times)`` is given when ``key`` did ``kind`` after ``at - window`` (oldest
    first) and raises to refuse; a write that goes through is counted at ``at`` (older activity
    of the key and kind than ``at - window`` is forgotten). ``window`` zero: no limit, nothing
    read or counted. For a post or comment, ``duplicate_since`` (None: no guard) makes the store
    call ``refuse_duplicate()`` (which raises) when the author wrote the same fingerprint after
    that moment.
    """

    key: str
    kind: str
    at: datetime
    window: timedelta
    check_rate: Callable[[Sequence[datetime]], None]
    duplicate_since: datetime | None = None
    check_duplicate: Callable[[datetime | None], None] | None = None


@dataclass(frozen=True)
class NewPost:
    """A post to write: ``rank`` is its hot rank at score 0; ``fingerprint`` its normalised
    text's hash (the duplicate guard compares it)."""

    submolt: str
    author: Actor
    title: str
    content: str | None
    url: str | None
    fingerprint: str
    at: datetime
    rank: float
    origin_thread: str | None = None


@dataclass(frozen=True)
class NewComment:
    """A comment on post number ``post``, replying to comment number ``parent`` (None: to the
    post), at most ``max_depth`` levels deep."""

    post: int
    parent: int | None
    author: Actor
    content: str
    fingerprint: str
    at: datetime
    max_depth: int
    origin_thread: str | None = None


@dataclass(frozen=True)
class NewVote:
    """A vote on post or comment number ``number``; ``toggle`` removes the same vote again.
    ``rank(score, created_at)`` is the hot rank a post's stored rank is rewritten to."""

    target: Target
    number: int
    voter: Actor
    up: bool
    toggle: bool
    at: datetime
    rank: Callable[[int, datetime], float]


@dataclass(frozen=True)
class BoardIds:
    """Ids written after the marks given to `BoardStore.board_ids_since`: post and comment
    numbers, and the submolts with their creation mark (ascending)."""

    posts: tuple[int, ...]
    comments: tuple[int, ...]
    submolts: tuple[tuple[int, str], ...]
