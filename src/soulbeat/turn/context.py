"""What the model is shown besides its instructions (SPEC §5.2, seed 000's ThreadContext).

`gather_context` collects, for one beat:

* ``light`` [default]: USER.md and MEMORY.md (from the workspace's capped bootstrap files, front
  matter removed), the thread's messages since this schedule's last beat (the newest
  `MESSAGE_LIMIT`, each cut to `MESSAGE_CHARS`), and the queued system events.
* ``full``: every bootstrap file except SOUL.md (the soul has its own place in the system
  prompt) and HEARTBEAT.md (its due part is in the user message; the whole file would show
  tasks that are not due) as `system_files`, the recent transcript (the newest
  `TRANSCRIPT_LIMIT` messages, however old) and the queued system events.

Only what others wrote is new: in ``light`` mode the agent's own messages since the last beat
(its alerts and chat replies, role ``assistant``) are shown apart, under `OWN_TITLE`, so a
model does not take its own earlier alert for news and repeat it.

Trust: the person's own messages and the workspace files are trusted. Queued system events (API,
CLI, webhook payloads) come from elsewhere: their block is marked ``untrusted`` and the prompt
puts it inside an ``<untrusted-data>`` block (`soulbeat.turn.prompt`). The events shown are
listed in `TurnContext.event_ids`; the runner consumes exactly those, and only when the beat
completed. At most `EVENT_LIMIT` events are shown per beat (oldest first); the rest wait.

Extension point: a `ContextSource` adds blocks of its own (the ledger's new posts in the thread's
submolts, say). Sources are asked in the order given, after the built-in blocks; a source that
shows other people's text must mark its blocks ``untrusted``.

`due_instructions` is pure: it picks the part of HEARTBEAT.md that applies now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from soulbeat.store.base import BeatStore
from soulbeat.store.records import Message, SystemEvent, Thread
from soulbeat.workspace.bootstrap import BootstrapResult
from soulbeat.workspace.front_matter import parse_front_matter
from soulbeat.workspace.heartbeat_md import HeartbeatInstructions

__all__ = [
    "EVENT_LIMIT",
    "MESSAGE_CHARS",
    "MESSAGE_LIMIT",
    "OWN_TITLE",
    "TRANSCRIPT_LIMIT",
    "ContextBlock",
    "ContextMode",
    "ContextScope",
    "ContextSource",
    "TurnContext",
    "due_instructions",
    "gather_context",
    "workspace_file_blocks",
]

ContextMode = Literal["light", "full"]

MESSAGE_LIMIT = 20
TRANSCRIPT_LIMIT = 40
MESSAGE_CHARS = 2_000
EVENT_LIMIT = 50
EVENT_CHARS = 4_000
_LIGHT_FILES = ("USER.md", "MEMORY.md", "memory.md")
_NOT_IN_SYSTEM = ("SOUL.md", "HEARTBEAT.md")
_CUT = " … [cut]"
OWN_TITLE = "What you already sent (your own earlier messages: context, not new)"


@dataclass(frozen=True)
class ContextBlock:
    """One titled piece of context. ``source`` names where it came from (``file:USER.md``,
    ``messages``, ``events``, a `ContextSource`'s name); ``untrusted`` puts it in an
    untrusted-data block."""

    source: str
    title: str
    text: str
    untrusted: bool = False


@dataclass(frozen=True)
class ContextScope:
    """The beat a `ContextSource` is asked about. ``since`` is when this schedule's last beat
    finished (None before the first)."""

    thread: Thread
    skill: str
    mode: ContextMode
    since: datetime | None
    now: datetime


class ContextSource(Protocol):
    """Adds context blocks to a beat (the ledger issue's new posts, for one).

    Contract: ``blocks`` is quick, returns blocks in the order they should appear (possibly
    none), marks anything written by other people or agents ``untrusted``, and raises only for
    failures of soulbeat's own backends (the beat then fails with that error).
    """

    async def blocks(self, scope: ContextScope) -> Sequence[ContextBlock]: ...


@dataclass(frozen=True)
class TurnContext:
    """Everything gathered for one beat's prompt."""

    mode: ContextMode
    blocks: tuple[ContextBlock, ...]
    """For the user message, in order."""
    system_files: tuple[ContextBlock, ...] = ()
    """``full`` only: the bootstrap files for the system prompt."""
    event_ids: tuple[int, ...] = ()
    message_count: int = 0


def due_instructions(
    text: str | None, instructions: HeartbeatInstructions | None, due_tasks: Sequence[str]
) -> str | None:
    """The part of an instructions file that applies now; None when there is no file.

    Without cadence tasks it is the whole file (front matter removed). With them, it is every
    section outside a cadence heading's scope, then each due task (`due_tasks` holds task names)
    under a heading naming it and its cadence; a file whose tasks are all not due says so.
    """
    if text is None:
        return None
    if instructions is None or not instructions.tasks:
        return parse_front_matter(text)[1].strip()
    parts = _plain_sections(instructions)
    due = [task for task in instructions.tasks if task.name in due_tasks]
    for task in due:
        parts.append(f"## Due now: {task.name} ({task.cadence.describe()})\n{task.prompt.strip()}")
    if not due:
        parts.append("(No cadence task of this file is due now.)")
    return "\n\n".join(part for part in parts if part.strip())


def _plain_sections(instructions: HeartbeatInstructions) -> list[str]:
    """Every section that is not a cadence heading or inside one's scope, as Markdown."""
    parts: list[str] = []
    inside_level: int | None = None
    for section in instructions.sections:
        if inside_level is not None and section.level > inside_level:
            continue
        inside_level = section.level if section.cadence is not None else None
        if inside_level is not None:
            continue
        heading = f"{'#' * section.level} {section.heading}\n" if section.level else ""
        if section.text.strip() or heading:
            parts.append(f"{heading}{section.text.strip()}".strip())
    return parts


async def gather_context(
    store: BeatStore,
    scope: ContextScope,
    bootstrap: BootstrapResult,
    sources: Sequence[ContextSource] = (),
) -> TurnContext:
    """The context of one beat (module docstring); reads the store, never writes it."""
    full = scope.mode == "full"
    blocks: list[ContextBlock] = [] if full else _file_blocks(bootstrap, _LIGHT_FILES)
    messages = await _messages(store, scope)
    own = [m for m in messages if m.role == "assistant"] if not full else []
    new = [m for m in messages if m not in own]
    if new:
        title = (
            "Recent messages in this thread" if full else "New messages since the last heartbeat"
        )
        blocks.append(ContextBlock("messages", title, _render_messages(new)))
    if own:
        blocks.append(ContextBlock("own-messages", OWN_TITLE, _render_messages(own)))
    events = (await store.pending_events(scope.thread.id))[:EVENT_LIMIT]
    if events:
        blocks.append(ContextBlock("events", "Queued system events", _render_events(events), True))
    for source in sources:
        blocks.extend(await source.blocks(scope))
    system = _file_blocks(bootstrap, exclude=_NOT_IN_SYSTEM) if full else []
    return TurnContext(
        mode=scope.mode,
        blocks=tuple(blocks),
        system_files=tuple(system),
        event_ids=tuple(event.id for event in events),
        message_count=len(messages),
    )


async def _messages(store: BeatStore, scope: ContextScope) -> list[Message]:
    if scope.mode == "full":
        return await store.messages(scope.thread.id, limit=TRANSCRIPT_LIMIT)
    return await store.messages(scope.thread.id, since=scope.since, limit=MESSAGE_LIMIT)


def workspace_file_blocks(
    bootstrap: BootstrapResult, mode: ContextMode
) -> tuple[list[ContextBlock], list[ContextBlock]]:
    """The workspace files a beat in `mode` shows, without reading the store: the user-message
    blocks (``light``: USER.md, MEMORY.md) and the system files (``full``). For doctor's budget."""
    if mode == "full":
        return [], _file_blocks(bootstrap, exclude=_NOT_IN_SYSTEM)
    return _file_blocks(bootstrap, _LIGHT_FILES), []


def _file_blocks(
    bootstrap: BootstrapResult,
    names: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
) -> list[ContextBlock]:
    blocks = []
    for file in bootstrap.files:
        if (names is not None and file.name not in names) or file.name in exclude:
            continue
        body = parse_front_matter(file.content)[1].strip()
        if body:
            blocks.append(ContextBlock(f"file:{file.name}", file.name, body))
    return blocks


def _render_messages(messages: Sequence[Message]) -> str:
    return "\n".join(
        f"[{_stamp(m.created_at)}] {m.role}: {_cap(m.text, MESSAGE_CHARS)}" for m in messages
    )


def _render_events(events: Sequence[SystemEvent]) -> str:
    return "\n".join(
        f"[{_stamp(e.created_at)}] ({e.source}) {_cap(e.text, EVENT_CHARS)}" for e in events
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _cap(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - len(_CUT)] + _CUT
