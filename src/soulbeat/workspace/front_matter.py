"""YAML front matter: the ``---`` block at the top of SOUL.md and SKILL.md.

Contract of ``parse_front_matter(text)`` → ``(mapping, body, problems)``:

* A block exists when the first line (after an optional byte-order mark) is ``---`` and a later
  line is ``---`` again; trailing spaces on those lines are allowed. The body is everything after
  the closing line.
* No opening line → ``({}, text, [])``: front matter is optional.
* An opening line that is never closed → ``({}, text, [problem])``: the whole text stays the body,
  because a lone ``---`` may just be a Markdown rule.
* YAML that does not parse, or parses to something other than a mapping → ``({}, body,
  [problem])``. An empty block is an empty mapping without a problem.
* Keys are turned into strings (YAML allows ``1: x``), so callers can look keys up by name.

``load_yaml(text)`` is the one YAML entry point of the workspace package (also used for
``tasks:`` blocks): safe loading only, every failure turned into a problem string.

Pure: never opens a file, never raises on any text.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["load_yaml", "parse_front_matter"]

_FENCE = "---"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_front_matter(text: str) -> tuple[dict[str, Any], str, list[str]]:
    """Split ``text`` into its front-matter mapping, the body after it, and any problems."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != _FENCE:
        return {}, text, []
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _FENCE), None)
    if closing is None:
        return {}, text, ["front matter opened with '---' on line 1 is never closed"]
    block = "".join(lines[1:closing])
    body = "".join(lines[closing + 1 :])
    mapping, problem = _load_mapping(block)
    return mapping, body, [problem] if problem else []


def load_yaml(text: str) -> tuple[Any, str | None]:
    """``(data, None)``, or ``(None, problem)`` when ``text`` is not YAML. Never raises.

    Uses libyaml's safe loader when PyYAML was built with it (about ten times faster on a large
    ``tasks:`` block), else the pure-Python one; both refuse Python-object tags.
    """
    try:
        return yaml.load(text, Loader=_LOADER), None
    # PyYAML reports most faults as YAMLError, but some scalars (a date like 2024-13-45) fail in
    # the datetime constructor with ValueError, and deep nesting can exhaust the stack.
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        return None, f"not valid YAML: {_first_line(exc)}"


def _load_mapping(block: str) -> tuple[dict[str, Any], str | None]:
    """The block as a string-keyed mapping, or an empty one and the reason it is not usable."""
    data, problem = load_yaml(block)
    if problem is not None:
        return {}, f"front matter is {problem}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"front matter must be a mapping of keys to values, not {type(data).__name__}"
    return {str(key): value for key, value in data.items()}, None


def _first_line(exc: BaseException) -> str:
    """A one-line description of a YAML error (PyYAML's messages span several lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines[:3]) if lines else type(exc).__name__
