"""Sanitising (SPEC §7.1, seed 000's ``sanitize_action``): cap the length, keep the text.

Stored text is what the person or the model wrote: `sanitize_text` does not escape anything
(escaping belongs to each output — the panel renders text as text, a webhook body escapes for
its chat service, the prompt escapes untrusted data). Escaping into storage made the panel show
``&lt;b&gt;`` literally, since the text was escaped once when stored and again when shown.
When the text is longer than ``limit`` characters it is cut and ended with `TRUNCATION_MARKER`
so a reader sees that something was cut; the result is never longer than ``limit``.

`escape_text` is the HTML escaping of ``&``, ``<`` and ``>`` for an output that needs it, and
`escape_and_cap` escapes and caps at once (never ending in half an entity) for an output with a
length limit, such as a Slack message.

`sanitize_action` applies the cap to every free-text field of an action — title (`TITLE_LIMIT`),
post content (`POST_LIMIT`), comment (`COMMENT_LIMIT`), message text (`MESSAGE_LIMIT`), a none
action's reason (`REASON_LIMIT`) — and leaves ids, submolt names, targets and directions untouched
(they are checked by shape in `validate_action` instead).
"""

from __future__ import annotations

from dataclasses import replace

from soulbeat.actions.models import (
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    VoteAction,
)
from soulbeat.actions.validate import COMMENT_LIMIT, MESSAGE_LIMIT, POST_LIMIT, TITLE_LIMIT

__all__ = [
    "REASON_LIMIT",
    "TRUNCATION_MARKER",
    "escape_and_cap",
    "escape_text",
    "sanitize_action",
    "sanitize_text",
]

TRUNCATION_MARKER = " … [truncated]"
REASON_LIMIT = 1_000


def escape_text(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` replaced by their HTML entities (nothing else)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_and_cap(text: str, limit: int) -> str:
    """``text`` escaped (`escape_text`) and, if longer than ``limit`` once escaped, cut to fit
    with the marker; an entity that does not fit whole is left out. For outputs only."""
    if limit <= 0:
        return ""
    escaped = escape_text(text)
    if len(escaped) <= limit:
        return escaped
    marker = TRUNCATION_MARKER if limit > len(TRUNCATION_MARKER) else ""
    room = limit - len(marker)
    kept: list[str] = []
    used = 0
    for char in text:
        piece = _ENTITIES.get(char, char)
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    head = "".join(kept)
    return head.rstrip() + marker if marker else head


def sanitize_text(text: str, limit: int) -> str:
    """``text`` unchanged or, if longer than ``limit``, cut to fit with the marker.

    When ``limit`` is too small to hold the marker the text is cut without one; a limit of 0 or
    less gives "". Raises `TypeError` when ``text`` is not a string (a programming error).
    """
    if not isinstance(text, str):
        raise TypeError(f"sanitize_text expects a string, got {type(text).__name__}")
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    marker = TRUNCATION_MARKER if limit > len(TRUNCATION_MARKER) else ""
    head = text[: limit - len(marker)]
    return head.rstrip() + marker if marker else head


def sanitize_action(action: Action) -> Action:
    """A copy of ``action`` with its free text capped (see the module docstring)."""
    if isinstance(action, PostAction):
        return replace(
            action,
            title=sanitize_text(action.title, TITLE_LIMIT),
            content=sanitize_text(action.content, POST_LIMIT),
        )
    if isinstance(action, CommentAction):
        return replace(action, content=sanitize_text(action.content, COMMENT_LIMIT))
    if isinstance(action, MessageAction):
        return replace(action, text=sanitize_text(action.text, MESSAGE_LIMIT))
    if isinstance(action, NoneAction):
        return replace(action, reason=sanitize_text(action.reason, REASON_LIMIT))
    if isinstance(action, VoteAction):
        return action
    raise TypeError(f"not an action: {type(action).__name__}")
