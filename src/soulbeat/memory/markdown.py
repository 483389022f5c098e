"""Pure edits of a Markdown memory file: append an entry, replace one section.

A *section* is a heading line (``#`` … ``######``) and everything after it up to the next
heading of the same or a higher level (fewer ``#``). Headings are matched on their text, trimmed
and case-folded, whatever their level; inside fenced code blocks nothing counts as a heading.
"""

from __future__ import annotations

import re

__all__ = ["append_entry", "find_section", "replace_section"]

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def append_entry(text: str, entry: str) -> str:
    """``text`` with ``entry`` added at the end as its own paragraph (one blank line between)."""
    entry = entry.strip()
    body = text.rstrip()
    if not body:
        return entry + "\n"
    return f"{body}\n\n{entry}\n"


def find_section(lines: list[str], heading: str) -> tuple[int, int, int] | None:
    """``(heading line, end line exclusive, level)`` of the first section named ``heading``."""
    wanted = " ".join(heading.split()).casefold()
    fenced = False
    start: int | None = None
    level = 0
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match is None:
            continue
        depth = len(match.group(1))
        if start is not None and depth <= level:
            return start, number, level
        if start is None and " ".join(match.group(2).split()).casefold() == wanted:
            start, level = number, depth
    return None if start is None else (start, len(lines), level)


def replace_section(text: str, heading: str, body: str) -> tuple[str, bool]:
    """``text`` with the section ``heading``'s body replaced by ``body`` (its heading line kept),
    and whether it existed; a missing section is appended as a ``##`` section."""
    heading = " ".join(heading.split())
    lines = text.splitlines()
    found = find_section(lines, heading)
    new_body = body.strip()
    if found is None:
        return append_entry(text, f"## {heading}\n{new_body}".rstrip()), False
    start, end, _ = found
    kept_after = lines[end:]
    middle = [lines[start], *new_body.splitlines()]
    if kept_after:
        middle.append("")
    result = [*lines[:start], *middle, *kept_after]
    return "\n".join(result).rstrip() + "\n", True
