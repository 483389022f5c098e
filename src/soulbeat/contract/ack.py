"""The HEARTBEAT_OK contract (SPEC §6): is a plain-text reply an acknowledgement or an alert?

A model answers a heartbeat with the token ``HEARTBEAT_OK`` (exact, case-sensitive) when nothing
needs attention. ``strip_heartbeat_token`` removes the token where a model is likely to put it:

* Two candidates are read: the text as given, and a normalised copy in which HTML tags and
  ``&nbsp;`` become spaces and leading/trailing runs of ``*`` `````` ``~`` ``_`` are removed (so
  ``**HEARTBEAT_OK**`` and ``<p>HEARTBEAT_OK</p>`` count). Neither holding the token → the input
  comes back unchanged.
* Edge stripping, repeated until nothing changes: a trimmed text starting with the token loses it
  (a plain prefix test: ``HEARTBEAT_OK_EXTRA`` leaves ``_EXTRA``); otherwise a text ending with the
  token plus at most four non-word characters loses the token and keeps those characters glued
  to what precedes it (``Done HEARTBEAT_OK!!`` → ``Done!!``). Five or more trailing non-word
  characters, or a token in the middle, are left alone. Whitespace runs then collapse to a space.
* The original's result wins if it stripped something and left text; else the normalised one's.
  One refinement: when the normalised copy strips to nothing, the reply was the token in markup
  and nothing else, so nothing is left (``**HEARTBEAT_OK**`` in message mode is a skip, like
  ``<p>HEARTBEAT_OK</p>``, instead of delivering ``****``).
* Nothing left → skip. In ``heartbeat`` mode a remainder of at most ``ack_max_chars`` characters
  (code points; a negative limit counts as 0) is a skip too; ``message`` mode keeps it.

``parse_response`` is the same reading in seed 004's shape: whether the token was found at an
edge, where, the stripped content and whether the reply should be dropped.

Both functions are total: any string (or ``None``) gives an answer and nothing is raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "HEARTBEAT_TOKEN",
    "Position",
    "ResponseParse",
    "StripResult",
    "parse_response",
    "strip_heartbeat_token",
]

HEARTBEAT_TOKEN = "HEARTBEAT_OK"

Position = Literal["start", "end", "middle", "none"]
Mode = Literal["heartbeat", "message"]
_EdgePosition = Literal["start", "end"]

MAX_TRAILING_NON_WORD = 4
_MARKUP_EDGE_CHARS = frozenset("*`~_")
# Tag names start with a letter, so `a < b > c` in prose is not mistaken for markup.
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_NBSP_ENTITY = re.compile(r"&nbsp;", re.IGNORECASE)
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class StripResult:
    """``text`` is what is left after stripping; on a skip it is what was dropped (often "")."""

    should_skip: bool
    text: str
    did_strip: bool


@dataclass(frozen=True)
class ResponseParse:
    """Seed 004's ``HeartbeatResponse``: ``content`` has the token stripped at the edges."""

    is_ok: bool
    position: Position
    content: str
    should_drop: bool


@dataclass(frozen=True)
class _Stripped:
    text: str
    first: _EdgePosition | None  # the edge the first token came off; None when nothing did


def strip_heartbeat_token(
    text: str | None, *, mode: Mode = "heartbeat", ack_max_chars: int = 300
) -> StripResult:
    """Strip the token from the edges of a reply and say whether the reply should be skipped."""
    if mode not in ("heartbeat", "message"):
        raise ValueError(f"mode must be 'heartbeat' or 'message', not {mode!r}")
    if text is None or not text.strip():
        return StripResult(should_skip=True, text="", did_strip=False)
    stripped = _strip_best_candidate(text)
    if stripped is None or stripped.first is None:
        return StripResult(should_skip=False, text=text, did_strip=False)
    rest = stripped.text
    short_ack = mode == "heartbeat" and len(rest) <= max(0, ack_max_chars)
    return StripResult(should_skip=not rest or short_ack, text=rest, did_strip=True)


def parse_response(text: str | None, ack_max_chars: int = 300) -> ResponseParse:
    """Where the token is, the reply without it, and whether to drop the reply.

    A token in the middle is not an acknowledgement: ``is_ok`` is false and the content is the
    input. An empty reply has nothing to deliver, so it is dropped although it is not ``is_ok``.
    """
    if text is None or not text.strip():
        return ResponseParse(is_ok=False, position="none", content="", should_drop=True)
    stripped = _strip_best_candidate(text)
    if stripped is None:
        return ResponseParse(is_ok=False, position="none", content=text, should_drop=False)
    if stripped.first is None:
        return ResponseParse(is_ok=False, position="middle", content=text, should_drop=False)
    drop = len(stripped.text) <= max(0, ack_max_chars)
    return ResponseParse(
        is_ok=True, position=stripped.first, content=stripped.text, should_drop=drop
    )


def _strip_best_candidate(text: str) -> _Stripped | None:
    """The chosen candidate's stripping, or ``None`` when no candidate holds the token."""
    normalised = _normalise(text)
    if HEARTBEAT_TOKEN not in text and HEARTBEAT_TOKEN not in normalised:
        return None
    original = _strip_edges(text)
    from_normalised = _strip_edges(normalised)
    if from_normalised.first is not None and not from_normalised.text:
        # The token wrapped in markup and nothing else (`**HEARTBEAT_OK**`): the original's
        # leftover would be bare markup such as "****", which no reader wants delivered.
        return from_normalised
    if original.first is not None and original.text:
        return original
    if from_normalised.first is not None:
        return from_normalised
    return original


def _normalise(text: str) -> str:
    """Markup a model wraps the token in, turned into nothing the edge rules would trip on."""
    spaced = _NBSP_ENTITY.sub(" ", _HTML_TAG.sub(" ", text))
    return _trim_markup_edges(spaced)


def _strip_edges(text: str) -> _Stripped:
    """Edge stripping repeated until nothing changes, then whitespace collapsed.

    Works on indexes into ``text`` instead of re-slicing it after every token, which keeps a reply
    of thousands of repeated tokens linear. Two passes are enough: once the text no longer starts
    with the token, taking tokens off the end can never make it start with one again.
    """
    lo, hi = _skip_space(text, 0, len(text)), _back_over_space(text, 0, len(text))
    first: _EdgePosition | None = None
    while text.startswith(HEARTBEAT_TOKEN, lo, hi):
        lo = _skip_space(text, lo + len(HEARTBEAT_TOKEN), hi)
        first = "start"
    new_hi, glued = _strip_trailing_tokens(text, lo, hi)
    if first is None and new_hi < hi:
        first = "end"
    rest = text[lo:new_hi] + glued
    return _Stripped(text=_WHITESPACE_RUN.sub(" ", rest).strip(), first=first)


def _strip_trailing_tokens(text: str, lo: int, hi: int) -> tuple[int, str]:
    """Take tokens off the end of ``text[lo:hi]``.

    Returns the new end (``hi`` itself when no token came off) and the non-word characters that
    followed the removed tokens, to be glued back onto what precedes them (at most four, all
    non-word, so ``glued`` counts as part of the trailing run on the next round).
    """
    glued = ""
    while True:
        run, i = len(glued), hi
        # Count at most one past the limit: the exact length of a longer run does not matter.
        while run <= MAX_TRAILING_NON_WORD and i > lo and not _is_word(text[i - 1]):
            i, run = i - 1, run + 1
        token_start = i - len(HEARTBEAT_TOKEN)
        if run > MAX_TRAILING_NON_WORD or token_start < lo:
            return hi, glued
        if not text.startswith(HEARTBEAT_TOKEN, token_start, i):
            return hi, glued
        glued = (text[i:hi] + glued).lstrip()
        hi = _back_over_space(text, lo, token_start)


def _skip_space(text: str, lo: int, hi: int) -> int:
    while lo < hi and text[lo].isspace():
        lo += 1
    return lo


def _back_over_space(text: str, lo: int, hi: int) -> int:
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return hi


def _is_word(ch: str) -> bool:
    # The same set as the regex class \w for str patterns.
    return ch.isalnum() or ch == "_"


def _is_markup_edge(ch: str) -> bool:
    return ch.isspace() or ch in _MARKUP_EDGE_CHARS


def _trim_markup_edges(text: str) -> str:
    # Whitespace counts as part of a run so `** `HEARTBEAT_OK` **` unwraps in one go; scanning
    # indexes keeps it linear where alternating strip() calls go quadratic on `* * * * …`.
    start, end = 0, len(text)
    while start < end and _is_markup_edge(text[start]):
        start += 1
    while end > start and _is_markup_edge(text[end - 1]):
        end -= 1
    return text[start:end]
