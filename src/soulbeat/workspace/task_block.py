"""The OpenClaw-style ``tasks:`` block inside HEARTBEAT.md (SPEC §1.3).

::

    tasks:
      - name: inbox
        interval: 30m
        prompt: Check the inbox for anything urgent.

A block starts at a line that is exactly ``tasks:`` (any indentation) whose first non-blank
follower is a ``- name:`` entry; a ``tasks:`` line followed by an ordinary bullet list is plain
Markdown and left alone. The block runs over blank, indented and ``-`` lines and ends at the first
other line or code-fence marker. It may sit in a fenced ``yaml`` block or in the open; when the
fence holds nothing but the block, the fence markers belong to the block too.

Each entry needs ``name`` and ``prompt`` and one of ``interval`` / ``every`` (SPEC §3.1 text; a
YAML number is minutes, like a bare number) or ``cadence`` (a cadence heading's words, such as
``daily 09:00``). An entry that lacks one of them, or whose timing is invalid, is a problem and
yields no task. Names are returned as written; ``heartbeat_md`` makes them slugs and unique.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from soulbeat.contract.interval import parse_interval
from soulbeat.errors import InvalidIntervalError
from soulbeat.workspace.front_matter import load_yaml
from soulbeat.workspace.tasks import Cadence, Task, check_cadence

__all__ = ["TaskBlocks", "find_task_blocks"]

_START = re.compile(r"\s*tasks:\s*")
_FIRST_ENTRY = re.compile(r"\s*-\s+name\s*:")


@dataclass(frozen=True)
class TaskBlocks:
    """What the ``tasks:`` blocks of a file yield: tasks by line, used lines, problems."""

    tasks: tuple[tuple[int, Task], ...]
    consumed: frozenset[int]
    problems: tuple[str, ...]


def find_task_blocks(
    lines: Sequence[str], fence: Sequence[str], *, line_offset: int = 0
) -> TaskBlocks:
    """Find every ``tasks:`` block in ``lines`` (comments already removed). Never raises.

    ``fence[i]`` is ``"marker"`` for a code-fence line, ``"inside"`` between markers, else ``""``.
    ``line_offset`` is added to line numbers in problems (lines removed before ``lines[0]``).
    """
    tasks: list[tuple[int, Task]] = []
    consumed: set[int] = set()
    problems: list[str] = []
    index = 0
    while index < len(lines):
        end = _block_end(lines, fence, index)
        if end is None:
            index += 1
            continue
        found, found_problems = _read_block(lines[index:end], index, index + line_offset + 1)
        tasks.extend(found)
        problems.extend(found_problems)
        consumed.update(_with_fence(lines, fence, index, end))
        index = end
    return TaskBlocks(tuple(tasks), frozenset(consumed), tuple(problems))


def _block_end(lines: Sequence[str], fence: Sequence[str], start: int) -> int | None:
    """The index after the block starting at ``start``, or None when no block starts there.

    Lines belong to the block while they are blank or indented deeper than ``tasks:``; ``-``
    lines level with it belong too when the first entry is written that way (``tasks:\n- name``).
    """
    if fence[start] == "marker" or not _START.fullmatch(lines[start]):
        return None
    first = next((n for n in range(start + 1, len(lines)) if lines[n].strip()), None)
    if first is None or fence[first] == "marker" or not _FIRST_ENTRY.match(lines[first]):
        return None
    base = _indent(lines[start])
    flush = _indent(lines[first]) == base
    end = first
    while end < len(lines) and fence[end] != "marker":
        line = lines[end]
        level_entry = flush and _indent(line) == base and line.lstrip().startswith("-")
        if line.strip() and _indent(line) <= base and not level_entry:
            break
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _with_fence(lines: Sequence[str], fence: Sequence[str], start: int, end: int) -> range:
    """The block's lines, widened to a fence around it when the fence holds nothing else."""
    if fence[start] != "inside":
        return range(start, end)
    before = start - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    after = end
    while after < len(lines) and not lines[after].strip():
        after += 1
    if before >= 0 and after < len(lines) and fence[before] == fence[after] == "marker":
        return range(before, after + 1)
    return range(start, end)


def _read_block(
    block: Sequence[str], first_line: int, shown_line: int
) -> tuple[list[tuple[int, Task]], list[str]]:
    where = f"tasks: block at line {shown_line}"
    indent = min(len(line) - len(line.lstrip()) for line in block if line.strip())
    text = "\n".join(line[indent:] if line.strip() else "" for line in block)
    data, problem = load_yaml(text)
    if problem is not None:
        return [], [f"{where} is {problem}"]
    entries = data.get("tasks") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [f"{where} must be a list of entries"]
    tasks: list[tuple[int, Task]] = []
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        task, problem = _entry_task(entry, f"{where}, entry {number}")
        if task is not None:
            tasks.append((first_line, task))
        if problem is not None:
            problems.append(problem)
    return tasks, problems


def _entry_task(entry: Any, where: str) -> tuple[Task | None, str | None]:
    if not isinstance(entry, dict):
        return None, f"{where} must be a mapping with name, interval and prompt"
    name, prompt = entry.get("name"), entry.get("prompt")
    if not isinstance(name, str | int) or not str(name).strip():
        return None, f"{where} has no name"
    where = f"{where} ({str(name).strip()!r})"
    if not isinstance(prompt, str) or not prompt.strip():
        return None, f"{where} has no prompt"
    cadence, problem = _entry_cadence(entry)
    if cadence is None:
        return None, f"{where}: {problem}"
    return Task(str(name).strip(), cadence, prompt.strip()), None


def _entry_cadence(entry: dict[Any, Any]) -> tuple[Cadence | None, str]:
    for key in ("interval", "every"):
        if key not in entry:
            continue
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None, f"{key} must be a duration such as 30m or 2h"
        try:
            interval = parse_interval(str(value), key=key)
        except InvalidIntervalError as exc:
            return None, str(exc)
        if interval is None:
            return None, f"{key} is zero, which would never run"
        return Cadence("every", interval), ""
    if isinstance(entry.get("cadence"), str):
        cadence, problem = check_cadence(entry["cadence"])
        return cadence, problem or f"cadence {entry['cadence']!r} is not a cadence"
    return None, "needs an interval (for example interval: 30m) or a cadence"
