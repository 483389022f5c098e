"""Actions a model may ask for (SPEC §7.1), and `parse_action` for seed 000's JSON shape.

The shape a model writes (seed 000's ``parse_llm_response``)::

    {"action": "post", "submolt": "general", "title": "...", "content": "..."}
    {"action": "comment", "post_id": "42", "content": "...", "parent_id": "7"}
    {"action": "vote", "target": "post", "id": "42", "direction": "up"}
    {"action": "message", "text": "..."}
    {"action": "none", "reason": "nothing new"}

`parse_action` is lenient about what models commonly get slightly wrong, and says so:

- the type may be under ``action`` or ``type`` (both present and different is an error), in any
  case and with spaces around it; ``{"action": {"type": "post", ...}}`` (nested) is read too;
  ``"action": null`` is the ``none`` action;
- field aliases: message text ``text`` | ``message`` | ``content``; post and comment content
  ``content`` | ``body`` (comments also ``text``); a vote's ``post_id`` or ``comment_id`` stands for
  ``id`` and sets the target; ``upvote``/``downvote`` for ``up``/``down``;
- ids may be numbers (``42`` → ``"42"``); ids, submolt, target and direction are trimmed; the
  submolt loses an ``m/`` prefix and is lower-cased;
- unknown keys are ignored and each one is recorded as an ``info`` problem.

A mistake of the model is data, never an exception: the result is ``(action, problems)`` where the
action is None whenever an ``error`` problem prevents building one (missing or mistyped field,
unknown type). Blank text, lengths, name shapes and existence are `validate_action`'s business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeAlias

from soulbeat.store.records_actions import Problem  # the actions' vocabulary, kept by the store

__all__ = [
    "ACTION_TYPES",
    "Action",
    "CommentAction",
    "MessageAction",
    "NoneAction",
    "PostAction",
    "Problem",
    "VoteAction",
    "action_type",
    "errors_in",
    "parse_action",
    "to_dict",
]

ACTION_TYPES: tuple[str, ...] = ("post", "comment", "vote", "message", "none")


def errors_in(problems: list[Problem]) -> list[Problem]:
    """The ``error`` problems of ``problems`` (an action is usable when this is empty)."""
    return [problem for problem in problems if problem.level == "error"]


@dataclass(frozen=True)
class PostAction:
    """A new post in a ledger community (submolt)."""

    TYPE: ClassVar[str] = "post"
    submolt: str
    title: str
    content: str


@dataclass(frozen=True)
class CommentAction:
    """A comment on a post, or a reply to one of its comments (``parent_id``)."""

    TYPE: ClassVar[str] = "comment"
    post_id: str
    content: str
    parent_id: str | None = None


@dataclass(frozen=True)
class VoteAction:
    """An up- or down-vote on a post or a comment."""

    TYPE: ClassVar[str] = "vote"
    target: Literal["post", "comment"]
    id: str
    direction: Literal["up", "down"]


@dataclass(frozen=True)
class MessageAction:
    """A message to the thread's delivery target."""

    TYPE: ClassVar[str] = "message"
    text: str


@dataclass(frozen=True)
class NoneAction:
    """Nothing to do, optionally with why."""

    TYPE: ClassVar[str] = "none"
    reason: str = ""


Action: TypeAlias = PostAction | CommentAction | VoteAction | MessageAction | NoneAction
_CLASSES: tuple[type[Action], ...] = (
    PostAction,
    CommentAction,
    VoteAction,
    MessageAction,
    NoneAction,
)


def action_type(action: Action) -> str:
    """The type name of ``action`` (``post``, ...); `TypeError` for anything that is not one."""
    if not isinstance(action, _CLASSES):
        raise TypeError(f"not an action: {type(action).__name__}")
    return action.TYPE


def to_dict(action: Action) -> dict[str, Any]:
    """``action`` in seed 000's shape, ``{"action": type, **fields}``; `parse_action` reads it back
    to an equal action."""
    if isinstance(action, PostAction):
        fields: dict[str, Any] = {
            "submolt": action.submolt,
            "title": action.title,
            "content": action.content,
        }
    elif isinstance(action, CommentAction):
        fields = {
            "post_id": action.post_id,
            "content": action.content,
            "parent_id": action.parent_id,
        }
    elif isinstance(action, VoteAction):
        fields = {"target": action.target, "id": action.id, "direction": action.direction}
    elif isinstance(action, MessageAction):
        fields = {"text": action.text}
    elif isinstance(action, NoneAction):
        fields = {"reason": action.reason}
    else:
        raise TypeError(f"not an action: {type(action).__name__}")
    return {"action": action.TYPE, **fields}


# -- parsing --------------------------------------------------------------------------------------

_TYPE_KEYS = ("action", "type")
_DIRECTIONS = {"up": "up", "upvote": "up", "down": "down", "downvote": "down"}
_TARGETS = ("post", "comment")
#: per type, every key it reads (aliases included); other keys are reported as unknown
_KEYS: Mapping[str, frozenset[str]] = {
    "post": frozenset({"submolt", "title", "content", "body"}),
    "comment": frozenset({"post_id", "content", "body", "text", "parent_id"}),
    "vote": frozenset({"target", "id", "post_id", "comment_id", "direction"}),
    "message": frozenset({"text", "message", "content"}),
    "none": frozenset({"reason"}),
}


class _Reader:
    """Reads fields out of one mapping, collecting problems instead of raising."""

    def __init__(self, obj: Mapping[Any, Any]) -> None:
        self.obj = obj
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def text(self, *keys: str, required: bool = True) -> str | None:
        """The first of ``keys`` present, as a string (kept verbatim)."""
        key = next((k for k in keys if k in self.obj and self.obj[k] is not None), None)
        if key is None:
            if required:
                self.fail(keys[0], f"is missing (expected a string under {_names(keys)})")
            return None
        value = self.obj[key]
        if not isinstance(value, str):
            self.fail(key, f"is {describe_value(value)}, expected a string")
            return None
        return value

    def ident(self, *keys: str, required: bool = True) -> str | None:
        """The first of ``keys`` present, as a trimmed id (a whole number is accepted)."""
        key = next((k for k in keys if k in self.obj and self.obj[k] is not None), None)
        if key is None:
            if required:
                self.fail(keys[0], f"is missing (expected an id under {_names(keys)})")
            return None
        value = self.obj[key]
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) >= 10**128:
                self.fail(key, "is a number too long to be an id")
                return None
            return str(value)
        if not isinstance(value, str):
            self.fail(
                key, f"is {describe_value(value)}, expected an id (a string or a whole number)"
            )
            return None
        return value.strip()

    def choice(self, key: str, table: Mapping[str, str]) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        picked = table.get(value.strip().lower())
        if picked is None:
            self.fail(
                key, f"{short_repr(value)} is not one of {', '.join(sorted(set(table.values())))}"
            )
        return picked


def parse_action(obj: Mapping[str, Any]) -> tuple[Action | None, list[Problem]]:
    """Read one action from a JSON object in seed 000's shape (see the module docstring).

    Never raises: anything wrong is a `Problem`; the action is None when an error prevents it.
    """
    if not isinstance(obj, Mapping):
        return None, [Problem("", f"expected a JSON object, got {describe_value(obj)}")]
    nested = obj.get("action")
    if isinstance(nested, Mapping):
        action, problems = parse_action(nested)
        outer = sorted(str(key) for key in obj if key != "action")
        return action, problems + [_unknown(key) for key in outer]
    name, problems = _read_type(obj)
    if name is None:
        return None, problems
    reader = _Reader(obj)
    action = _BUILDERS[name](reader)
    problems += reader.problems
    problems += [_unknown(key) for key in _unknown_keys(obj, name)]
    return (action if not errors_in(problems) else None), problems


def _read_type(obj: Mapping[Any, Any]) -> tuple[str | None, list[Problem]]:
    present = [key for key in _TYPE_KEYS if key in obj]
    if not present:
        return None, [Problem("action", f"is missing (expected one of {', '.join(ACTION_TYPES)})")]
    values: list[str] = []
    for key in present:
        value = obj[key]
        if value is None:
            values.append("none")
        elif isinstance(value, str):
            values.append(value.strip().lower())
        else:
            return None, [Problem(key, f"is {describe_value(value)}, expected an action type")]
    if len(set(values)) > 1:
        found = ", ".join(f"{k}={short_repr(obj[k])}" for k in present)
        return None, [Problem("action", f"the object names two different types ({found})")]
    if values[0] not in ACTION_TYPES:
        expected = ", ".join(ACTION_TYPES)
        return None, [
            Problem(present[0], f"{short_repr(obj[present[0]])} is not an action type ({expected})")
        ]
    return values[0], []


def _unknown_keys(obj: Mapping[Any, Any], name: str) -> list[str]:
    known = _KEYS[name] | set(_TYPE_KEYS)
    return sorted(str(key) for key in obj if key not in known)


def _unknown(key: str) -> Problem:
    return Problem(key, "is not a field of this action; ignored", "info")


def _post(reader: _Reader) -> Action | None:
    submolt = reader.ident("submolt")
    title = reader.text("title")
    content = reader.text("content", "body")
    if submolt is None or title is None or content is None:
        return None
    submolt = submolt.lower().removeprefix("m/")
    return PostAction(submolt=submolt, title=title, content=content)


def _comment(reader: _Reader) -> Action | None:
    post_id = reader.ident("post_id")
    content = reader.text("content", "body", "text")
    parent_id = reader.ident("parent_id", required=False)
    if post_id is None or content is None:
        return None
    return CommentAction(post_id=post_id, content=content, parent_id=parent_id or None)


def _vote(reader: _Reader) -> Action | None:
    obj = reader.obj
    target: str | None
    if "target" in obj:
        target = reader.choice("target", {t: t for t in _TARGETS})
        ident = reader.ident("id", f"{target}_id" if target else "id")
    elif "post_id" in obj or "comment_id" in obj:
        target = "post" if "post_id" in obj else "comment"
        ident = reader.ident(f"{target}_id")
    else:
        reader.fail("target", "is missing (expected post or comment)")
        target, ident = None, reader.ident("id")
    direction = reader.choice("direction", _DIRECTIONS)
    if target is None or ident is None or direction is None:
        return None
    return VoteAction(
        target="post" if target == "post" else "comment",
        id=ident,
        direction="up" if direction == "up" else "down",
    )


def _message(reader: _Reader) -> Action | None:
    text = reader.text("text", "message", "content")
    return None if text is None else MessageAction(text=text)


def _none(reader: _Reader) -> Action | None:
    value = reader.obj.get("reason")
    if value is not None and not isinstance(value, str):
        reader.problems.append(
            Problem("reason", f"is {describe_value(value)}, not text; ignored", "info")
        )
        value = None
    return NoneAction(reason=value or "")


_BUILDERS = {
    "post": _post,
    "comment": _comment,
    "vote": _vote,
    "message": _message,
    "none": _none,
}


def short_repr(value: object) -> str:
    """``repr(value)``, shortened to about 60 characters for a problem message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _names(keys: tuple[str, ...]) -> str:
    return " or ".join(repr(key) for key in keys)


def describe_value(value: object) -> str:
    """How a value is described in a problem: ``null``, ``a number``, ``a list``, ... (JSON
    words, since the model wrote JSON)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
