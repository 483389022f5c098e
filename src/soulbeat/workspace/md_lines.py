"""The line-level Markdown reading that HEARTBEAT.md parsing is built on.

Deliberately small: ATX headings, fenced code (backticks or tildes, closed by a marker of the same
character at least as long), HTML comments that may span lines, list markers and checkboxes.
Setext headings, indented code and nested blocks are not Markdown we need to understand here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Heading",
    "Outline",
    "fence_states",
    "heading",
    "item_text",
    "join_text",
    "outline",
    "slug",
    "strip_comments",
]

_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)")
_LIST_MARKER = re.compile(r"^(?:[-*+]|[0-9]{1,9}[.)])(?:\s+|$)")
_CHECKBOX = re.compile(r"^\[[ xX]\](?:\s+|$)")
_THEMATIC_BREAK = re.compile(r"(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}")
_SLUG_GAPS = re.compile(r"[\W_]+")
_SLUG_MAX = 80


@dataclass(frozen=True)
class Heading:
    """An ATX heading at ``line``; ``body`` lists the lines up to the next heading of any level."""

    line: int
    level: int
    title: str
    body: tuple[int, ...]


@dataclass(frozen=True)
class Outline:
    """The headings of a document and the line numbers that belong to each."""

    lines: Sequence[str]
    headings: tuple[Heading, ...]
    preamble: tuple[int, ...]
    """Lines before the first heading; empty when they are all blank."""
    heading_lines: frozenset[int]


def strip_comments(lines: Iterable[str]) -> list[str]:
    """The lines with every ``<!-- … -->`` part removed; a comment may span lines.

    An unclosed comment runs to the end of the text, as it does in HTML.
    """
    out: list[str] = []
    in_comment = False
    for line in lines:
        kept: list[str] = []
        pos = 0
        while pos <= len(line):
            if in_comment:
                end = line.find("-->", pos)
                if end < 0:
                    break
                pos, in_comment = end + 3, False
                continue
            start = line.find("<!--", pos)
            if start < 0:
                kept.append(line[pos:])
                break
            kept.append(line[pos:start])
            pos, in_comment = start + 4, True
        out.append("".join(kept))
    return out


def heading(line: str) -> tuple[int, str] | None:
    """``(level, title)`` for an ATX heading (already trimmed), else ``None``.

    Written without regular expressions: a pattern with a lazy title and optional closing
    hashes backtracks quadratically on long runs of spaces.
    """
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or (len(line) > level and not line[level].isspace()):
        return None
    title = line[level:].strip()
    unclosed = title.rstrip("#")
    if len(unclosed) < len(title) and (not unclosed or unclosed[-1].isspace()):
        title = unclosed.rstrip()
    return level, title


def fence_states(lines: Sequence[str]) -> list[str]:
    """Per line: ``"marker"`` (opens or closes a fence), ``"inside"``, or ``""``."""
    states: list[str] = []
    opener: str | None = None
    for line in lines:
        stripped = line.strip()
        if opener is None:
            match = _FENCE_OPEN.fullmatch(stripped)
            # A backtick fence's info string cannot hold backticks (that is inline code).
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                opener = match.group(1)
                states.append("marker")
            else:
                states.append("")
        elif stripped.startswith(opener) and stripped == opener[0] * len(stripped):
            opener = None
            states.append("marker")
        else:
            states.append("inside")
    return states


def outline(lines: Sequence[str], fence: Sequence[str], skip: Collection[int]) -> Outline:
    """Find the headings outside fences; lines in ``skip`` belong to no heading at all."""
    found: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines):
        if fence[number] == "" and number not in skip:
            parsed = heading(line.strip())
            if parsed is not None:
                found.append((number, *parsed))
    starts = [number for number, _, _ in found] + [len(lines)]
    headings = tuple(
        Heading(number, level, title, _span(number + 1, starts[i + 1], skip))
        for i, (number, level, title) in enumerate(found)
    )
    preamble = _span(0, starts[0], skip)
    if not any(lines[n].strip() for n in preamble):
        preamble = ()
    return Outline(lines, headings, preamble, frozenset(starts[:-1]))


def _span(start: int, end: int, skip: Collection[int]) -> tuple[int, ...]:
    return tuple(n for n in range(start, end) if n not in skip)


def item_text(line: str) -> str:
    """A list item's words: markers and checkbox marks removed, emphasis kept; "" for none."""
    text = line.strip()
    if _THEMATIC_BREAK.fullmatch(text):
        return ""
    text = _LIST_MARKER.sub("", text, count=1)
    return _CHECKBOX.sub("", text, count=1).strip()


def join_text(lines: Iterable[str]) -> str:
    """Lines joined with trailing spaces and blank first and last lines removed."""
    kept = [line.rstrip() for line in lines]
    while kept and not kept[0]:
        kept.pop(0)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def slug(text: str) -> str:
    """A stable, path-free name: lower case, runs of non-word characters turned into ``-``."""
    words = _SLUG_GAPS.sub("-", text.lower()).strip("-")
    return words[:_SLUG_MAX].rstrip("-") or "task"
