"""The Agent Skills conventions a SKILL.md front matter is held to, as a pure check.

soulbeat accepts a wider set of skills than the convention (any ``[a-z0-9][a-z0-9-]*`` name, no
length limit), so a skill written for soulbeat keeps working; what the convention would refuse
is reported (``doctor`` shows each line as a warning), so the same folder also works in other
Agent Skills tools:

* ``name``: present, at most 64 characters, lower-case letters and digits joined by single
  hyphens (no leading, trailing or doubled ``-``);
* ``description``: present and at most 1,024 characters;
* ``compatibility``: at most 500 characters; ``metadata``: a mapping of text to text;
  ``allowed-tools``: space-separated tool names (text);
* no other keys than those, ``license`` and soulbeat's own ``heartbeat``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["KNOWN_KEYS", "convention_problems"]

#: the Agent Skills keys, then soulbeat's own
KNOWN_KEYS = (
    "name",
    "description",
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
    "heartbeat",
)
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def convention_problems(front: Mapping[str, Any]) -> list[str]:
    """One line per way ``front`` (a parsed front matter) departs from the conventions."""
    problems: list[str] = []
    name = front.get("name")
    if name is None:
        problems.append("no name in the front matter (the folder name is used; add name:)")
    elif isinstance(name, str):
        problems.extend(_name_problems(name.strip()))
    problems.extend(_text_problem(front, "description", MAX_DESCRIPTION))
    problems.extend(_text_problem(front, "compatibility", MAX_COMPATIBILITY))
    metadata = front.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        problems.append("metadata should map text keys to text values")
    tools = front.get("allowed-tools")
    if tools is not None and not isinstance(tools, str):
        problems.append("allowed-tools should be space-separated tool names in one text")
    for key in front:
        if key not in KNOWN_KEYS:
            problems.append(
                f"unknown front-matter key {str(key)!r} (expected {', '.join(KNOWN_KEYS)})"
            )
    return problems


def _name_problems(name: str) -> list[str]:
    problems: list[str] = []
    if len(name) > MAX_NAME:
        problems.append(f"name is {len(name)} characters long (at most {MAX_NAME})")
    if not _NAME.fullmatch(name):
        problems.append(
            f"name {name!r} should be lower-case letters and digits joined by single hyphens "
            "(no leading, trailing or doubled '-')"
        )
    return problems


def _text_problem(front: Mapping[str, Any], key: str, limit: int) -> list[str]:
    value = front.get(key)
    if value is None or not isinstance(value, str):
        return []  # a missing description is reported where the skill is read
    if len(value) > limit:
        return [f"{key} is {len(value):,} characters long (at most {limit:,})"]
    return []
