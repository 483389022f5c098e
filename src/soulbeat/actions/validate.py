"""`validate_action`: is an action complete, well-formed, allowed and aimed at something real?

Rules (SPEC §7.1; every one gives a `Problem` naming the field, never an exception):

- the type is allowed for the thread: ``allowed`` lists the permitted types, and the problem names
  the type and that list. ``none`` is always allowed: doing nothing cannot be refused.
- required text is a string and not blank: post ``submolt``, ``title``, ``content``; comment
  ``post_id``, ``content``; vote ``id``; message ``text``. A none action's ``reason`` is optional
  but must be a string.
- lengths in characters (code points), measured before sanitising: title <= `TITLE_LIMIT` (300),
  post content <= `POST_LIMIT` (40,000), comment <= `COMMENT_LIMIT` (10,000), message text <=
  `MESSAGE_LIMIT` (40,000, what Slack accepts in one message).
- a submolt name matches `SUBMOLT_PATTERN`: 2 to 40 characters of lower-case letters, digits, ``-``
  and ``_``, starting with a letter or digit (ledger community names; never a path).
- an id (post, comment, parent) is 1 to 128 characters of letters, digits, ``-``, ``_``, ``.`` and
  ``:`` (integers, UUIDs and prefixed ids all fit; whitespace and markup do not).
- a vote's ``target`` is ``post`` or ``comment`` and ``direction`` is ``up`` or ``down``.
- when ``exists(kind, id)`` is given and the fields above are well-formed, the target exists:
  ``submolt`` for a post, ``post`` (and ``comment`` for ``parent_id``) for a comment, the voted
  ``post`` or ``comment`` for a vote. ``exists`` is the caller's lookup; if it raises, that error
  propagates (it is not the model's mistake).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from soulbeat.actions.models import (
    ACTION_TYPES,
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    Problem,
    VoteAction,
    describe_value,
    short_repr,
)

__all__ = [
    "COMMENT_LIMIT",
    "ID_PATTERN",
    "MESSAGE_LIMIT",
    "POST_LIMIT",
    "SUBMOLT_PATTERN",
    "TITLE_LIMIT",
    "Exists",
    "validate_action",
]

TITLE_LIMIT = 300
POST_LIMIT = 40_000
COMMENT_LIMIT = 10_000
MESSAGE_LIMIT = 40_000
SUBMOLT_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{1,39}")
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

Exists = Callable[[str, str], bool]
"""``exists(kind, id)`` with kind ``post``, ``comment`` or ``submolt``: does that thing exist?"""


def validate_action(
    action: Action, *, allowed: Collection[str], exists: Exists | None = None
) -> list[Problem]:
    """Every problem with ``action`` (empty: valid). See the module docstring for the rules."""
    if not isinstance(action, PostAction | CommentAction | VoteAction | MessageAction | NoneAction):
        return [Problem("action", f"is {describe_value(action)}, not an action")]
    problems = _allowed(action.TYPE, allowed)
    checks = _Checks()
    if isinstance(action, PostAction):
        checks.name("submolt", action.submolt)
        checks.text("title", action.title, TITLE_LIMIT)
        checks.text("content", action.content, POST_LIMIT)
        checks.exists(exists, "submolt", "submolt", action.submolt)
    elif isinstance(action, CommentAction):
        checks.ident("post_id", action.post_id)
        checks.text("content", action.content, COMMENT_LIMIT)
        if action.parent_id is not None:
            checks.ident("parent_id", action.parent_id)
        checks.exists(exists, "post_id", "post", action.post_id)
        if action.parent_id is not None:
            checks.exists(exists, "parent_id", "comment", action.parent_id)
    elif isinstance(action, VoteAction):
        checks.one_of("target", action.target, ("post", "comment"))
        checks.ident("id", action.id)
        checks.one_of("direction", action.direction, ("up", "down"))
        checks.exists(exists, "id", action.target, action.id)
    elif isinstance(action, MessageAction):
        checks.text("text", action.text, MESSAGE_LIMIT)
    elif not isinstance(action.reason, str):
        checks.fail("reason", f"is {describe_value(action.reason)}, expected a string")
    return problems + checks.problems


def _allowed(kind: str, allowed: Collection[str]) -> list[Problem]:
    if kind == "none" or kind in allowed:
        return []
    listed = [name for name in ACTION_TYPES if name in allowed]
    listed += sorted(str(name) for name in allowed if name not in ACTION_TYPES)
    names = ", ".join(listed) if listed else "nothing"
    return [Problem("action", f"{kind!r} is not allowed for this thread (allowed: {names})")]


class _Checks:
    """Field checks that collect problems; ``bad`` remembers fields already found wrong so the
    existence lookup is only made for well-formed values."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.bad: set[str] = set()

    def fail(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))
        self.bad.add(field)

    def string(self, field: str, value: object) -> str | None:
        if not isinstance(value, str):
            self.fail(field, f"is {describe_value(value)}, expected a string")
            return None
        if not value.strip():
            self.fail(field, "is blank")
            return None
        return value

    def text(self, field: str, value: object, limit: int) -> None:
        text = self.string(field, value)
        if text is not None and len(text) > limit:
            self.fail(field, f"is {len(text):,} characters long; the limit is {limit:,}")

    def name(self, field: str, value: object) -> None:
        text = self.string(field, value)
        if text is not None and not SUBMOLT_PATTERN.fullmatch(text):
            self.fail(
                field,
                f"{short_repr(text)} is not a submolt name "
                "(2-40 characters: a-z, 0-9, '-' and '_', starting with a letter or digit)",
            )

    def ident(self, field: str, value: object) -> None:
        text = self.string(field, value)
        if text is not None and not ID_PATTERN.fullmatch(text):
            self.fail(
                field,
                f"{short_repr(text)} is not an id (1-128 characters: letters, digits, '-', '_', "
                "'.' and ':')",
            )

    def one_of(self, field: str, value: object, choices: tuple[str, ...]) -> None:
        if value not in choices:
            self.fail(field, f"{short_repr(value)} is not one of {', '.join(choices)}")

    def exists(self, exists: Exists | None, field: str, kind: str, value: str) -> None:
        if exists is None or self.bad & {field, "target"}:
            return
        if not exists(kind, value):
            self.fail(field, f"no {kind} {value!r} exists")
