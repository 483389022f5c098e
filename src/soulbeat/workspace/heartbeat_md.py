"""HEARTBEAT.md: whether it is effectively empty, and what it asks for (SPEC §1.3).

``is_heartbeat_content_effectively_empty(text)``: ``None`` (no file) is *not* empty. Otherwise,
after removing HTML comments (which may span lines), every trimmed line must be blank, an ATX
heading (``#`` … ``######`` then a space or end of line; ``#TODO`` is content), an empty list stub
(``-``/``*``/``+``, optionally with ``[ ]``/``[x]``), or a code-fence marker (three or more
backticks and an optional language word). Lines inside a fence are judged like any other line:
a fence holding real text is not empty.

``parse_heartbeat_md(text)`` → ``HeartbeatInstructions``:

* ``sections``: every ATX heading outside code fences, in order, with the text up to the next
  heading (HTML comments removed, blank edges trimmed). Text before the first heading, when
  there is any, is a section with heading ``""`` and level 0, so nothing in the file is lost.
* ``checklist`` / ``rules`` / ``behaviors``: the items under headings named (case-insensitive,
  emphasis ignored) Checklist, What to Check, Tasks, Checks / Rules, Response Guidelines,
  Guidelines / Proactive Behaviors, Behaviors (British spellings too). The name must come first;
  a qualifier may follow in parentheses or after ``:`` or a dash (``Checklist (morning)``). A
  heading's scope runs to the next heading of the same or a higher level, so an unnamed
  sub-heading inherits its parent's kind. Every non-blank line outside fences and comments is an
  item, except thematic breaks (``---``); list markers and checkbox marks are removed, emphasis
  is kept.
* ``tasks``: a heading that is a cadence (see ``tasks``), or a named heading whose qualifier is
  one (``Checklist (daily)``), makes a task of everything in its scope, sub-headings included
  (a nested cadence heading starts a task of its own); its items then belong to the task, not to
  the every-beat lists. ``tasks:`` blocks add more (see
  ``task_block``); their lines appear in no section or item. Task names are slugs of the heading
  or block name, made unique in file order with ``-2``, ``-3`` ….
* ``problems``: invalid cadences, unusable ``tasks:`` entries and cadence sections with nothing
  to do; those never become tasks, and the parse goes on.

A clean YAML front-matter block at the top is skipped. Pure: never opens a file or raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from soulbeat.workspace import md_lines
from soulbeat.workspace.front_matter import parse_front_matter
from soulbeat.workspace.task_block import find_task_blocks
from soulbeat.workspace.tasks import Cadence, Task, check_cadence

__all__ = [
    "HeartbeatInstructions",
    "Section",
    "is_heartbeat_content_effectively_empty",
    "parse_heartbeat_md",
]

_STUB = re.compile(r"[-*+](?:\s+\[[ xX]?\])?")
_EMPTY_FENCE = re.compile(r"`{3,}\s*[\w+.#-]*")
_CATEGORIES = {
    "checklist": "checklist", "what to check": "checklist", "tasks": "checklist",
    "checks": "checklist", "rules": "rules", "response guidelines": "rules",
    "guidelines": "rules", "proactive behaviors": "behaviors", "behaviors": "behaviors",
    "proactive behaviours": "behaviors", "behaviours": "behaviors",
}  # fmt: skip
_QUALIFIER = re.compile(r"\s*(?:[(:\[]|[-–—]\s)\s*(.*?)[)\]]?\s*")


@dataclass(frozen=True)
class Section:
    """One heading and its own text (up to the next heading of any level)."""

    heading: str
    level: int
    text: str
    cadence: Cadence | None = None


@dataclass(frozen=True)
class HeartbeatInstructions:
    """What HEARTBEAT.md asks for; see the module docstring for each field."""

    checklist: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    behaviors: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    tasks: tuple[Task, ...] = ()
    problems: tuple[str, ...] = ()


def is_heartbeat_content_effectively_empty(text: str | None) -> bool:
    """True when the file exists but asks for nothing (SPEC §1.3, vectors B1–B13)."""
    if text is None:
        return False
    return all(_is_empty_line(line.strip()) for line in md_lines.strip_comments(text.splitlines()))


def _is_empty_line(line: str) -> bool:
    return (
        not line
        or md_lines.heading(line) is not None
        or _STUB.fullmatch(line) is not None
        or _EMPTY_FENCE.fullmatch(line) is not None
    )


def parse_heartbeat_md(text: str) -> HeartbeatInstructions:
    """Parse HEARTBEAT.md text into checklist, rules, behaviors, sections, tasks and problems."""
    offset = 0
    _, body, fm_problems = parse_front_matter(text)
    if text.lstrip("\ufeff").startswith("---") and not fm_problems:
        offset = len(text.splitlines()) - len(body.splitlines())
        text = body
    lines = md_lines.strip_comments(text.splitlines())
    fence = md_lines.fence_states(lines)
    blocks = find_task_blocks(lines, fence, line_offset=offset)
    doc = md_lines.outline(lines, fence, blocks.consumed)
    problems: list[str] = list(blocks.problems)
    owners, cadences = _assign_owners(doc, problems)
    lists: dict[str, list[str]] = {"checklist": [], "rules": [], "behaviors": []}
    for number, owner in owners.items():
        if isinstance(owner, str) and number not in doc.heading_lines:
            item = md_lines.item_text(lines[number]) if fence[number] == "" else ""
            if item:
                lists[owner].append(item)
    tasks = _heading_tasks(doc, owners, cadences, problems) + list(blocks.tasks)
    tasks.sort(key=lambda pair: pair[0])
    return HeartbeatInstructions(
        checklist=tuple(lists["checklist"]),
        rules=tuple(lists["rules"]),
        behaviors=tuple(lists["behaviors"]),
        sections=tuple(_sections(doc, cadences)),
        tasks=_unique(task for _, task in tasks),
        problems=tuple(problems),
    )


def _assign_owners(
    doc: md_lines.Outline, problems: list[str]
) -> tuple[dict[int, str | int], dict[int, Cadence]]:
    """Map each content line to a category name or to the heading line of its task."""
    owners: dict[int, str | int] = {}
    cadences: dict[int, Cadence] = {}
    stack: list[tuple[int, str | int | None]] = []
    for head in doc.headings:
        while stack and stack[-1][0] >= head.level:
            stack.pop()
        parent = stack[-1][1] if stack else None
        category, cadence, problem = _classify(head.title)
        if problem:
            problems.append(problem)
        owner: str | int | None
        if cadence is not None:
            owner = head.line
            cadences[head.line] = cadence
        elif isinstance(parent, int):
            owner = parent
        else:
            owner = category or parent
        stack.append((head.level, owner))
        if isinstance(owner, int) and owner != head.line:
            owners[head.line] = owner  # a sub-heading's words are part of its task's prompt
        for number in head.body:
            if owner is not None:
                owners[number] = owner
    return owners, cadences


def _classify(title: str) -> tuple[str | None, Cadence | None, str | None]:
    """A heading's list kind, its cadence, and a problem when it is a broken cadence."""
    cadence, problem = check_cadence(title)
    if cadence is not None or problem is not None:
        return None, cadence, problem
    plain = " ".join(re.sub(r"[*_`]", "", title).lower().split()).rstrip(":")
    for name in sorted(_CATEGORIES, key=len, reverse=True):
        if plain == name:
            return _CATEGORIES[name], None, None
        qualifier = _QUALIFIER.fullmatch(plain[len(name) :]) if plain.startswith(name) else None
        if qualifier is not None:
            cadence, problem = check_cadence(qualifier.group(1))
            return _CATEGORIES[name], cadence, problem
    return None, None, None


def _heading_tasks(
    doc: md_lines.Outline,
    owners: dict[int, str | int],
    cadences: dict[int, Cadence],
    problems: list[str],
) -> list[tuple[int, Task]]:
    """One task per cadence heading, its prompt being every line the heading owns."""
    owned: dict[int, list[int]] = {line: [] for line in cadences}
    for number in sorted(owners):
        owner = owners[number]
        if isinstance(owner, int):
            owned[owner].append(number)
    tasks: list[tuple[int, Task]] = []
    for head in doc.headings:
        if head.line not in cadences:
            continue
        prompt = md_lines.join_text(doc.lines[n] for n in owned[head.line])
        if not prompt:
            problems.append(f"section {head.title!r} has a cadence but nothing to do; no task")
            continue
        tasks.append((head.line, Task(head.title, cadences[head.line], prompt)))
    return tasks


def _sections(doc: md_lines.Outline, cadences: dict[int, Cadence]) -> list[Section]:
    sections = []
    if doc.preamble:
        sections.append(Section("", 0, md_lines.join_text(doc.lines[n] for n in doc.preamble)))
    for head in doc.headings:
        text = md_lines.join_text(doc.lines[n] for n in head.body)
        sections.append(Section(head.title, head.level, text, cadences.get(head.line)))
    return sections


def _unique(tasks: Iterable[Task]) -> tuple[Task, ...]:
    """Give every task a slug name, unique in file order."""
    seen: set[str] = set()
    next_suffix: dict[str, int] = {}  # so a thousand "Daily" headings do not rescan from -2
    named: list[Task] = []
    for task in tasks:
        base = md_lines.slug(task.name)
        name, counter = base, next_suffix.get(base, 2)
        while name in seen:
            name, counter = f"{base}-{counter}", counter + 1
        next_suffix[base] = counter
        seen.add(name)
        named.append(Task(name, task.cadence, task.prompt))
    return tuple(named)
