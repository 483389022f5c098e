"""Completion, not just prompting (issue 15 item 4): which due HEARTBEAT.md tasks a beat dealt
with.

A task may say what "done" means, in lines of its body:

* ``Done when: <text>`` — the criterion, for the model (it is part of the task's text anyway)
  and for the record;
* ``Done by: <tool>[, <tool> …]`` — calling one of these tools (names or globs over the public
  tool names: ``ci.status``, ``read_file``) in the beat counts as addressing the task.

`task_report` puts together the beat's record: the tasks due, those addressed (named in the
decision's ``tasks_addressed`` — matched case-insensitively to the due names — or done by a
tool), and those due but not addressed; a beat that only acknowledged without naming any task
leaves every due task unaddressed, visible in history and in the panel.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["DoneRule", "done_rule", "task_report"]

_WHEN = re.compile(r"^\s*[-*]?\s*done when\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_BY = re.compile(r"^\s*[-*]?\s*done by\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class DoneRule:
    when: str | None = None
    tools: tuple[str, ...] = ()


def done_rule(body: str) -> DoneRule:
    """The "done" lines of a task's body (module docstring)."""
    when = _WHEN.search(body)
    tools: list[str] = []
    for match in _BY.finditer(body):
        tools.extend(p.strip().strip("`") for p in match.group(1).split(",") if p.strip())
    return DoneRule(when.group(1) if when else None, tuple(tools))


def task_report(
    due: Sequence[str],
    bodies: Mapping[str, str],
    named: Iterable[str] | None,
    tools_called: Iterable[str],
) -> dict[str, Any]:
    """The beat's ``tasks`` record: ``due``, ``addressed`` (with ``how``), ``unaddressed``,
    ``done_when`` per due task that states it, and ``named_unknown`` (names given that were not
    due tasks)."""
    by_fold = {name.casefold().strip(): name for name in due}
    said = [str(n) for n in named or ()]
    addressed: dict[str, str] = {}
    unknown: list[str] = []
    for name in said:
        found = by_fold.get(name.casefold().strip())
        if found is None:
            unknown.append(name)
        else:
            addressed.setdefault(found, "tasks_addressed")
    called = list(tools_called)
    done_when: dict[str, str] = {}
    for name in due:
        rule = done_rule(bodies.get(name, ""))
        if rule.when:
            done_when[name] = rule.when
        if name not in addressed and any(
            fnmatch.fnmatchcase(tool, pattern) for tool in called for pattern in rule.tools
        ):
            addressed[name] = "tool"
    return {
        "due": list(due),
        "addressed": [{"task": name, "how": addressed[name]} for name in due if name in addressed],
        "unaddressed": [name for name in due if name not in addressed],
        "done_when": done_when,
        "named_unknown": unknown,
    }
