"""Everything a beat needs before its prompt: thread, workspace, config, instructions, zone.

`prepare_beat` reads them fresh for every beat (a person edits HEARTBEAT.md and the next beat
sees it):

* the thread, and its agent's workspace (`AgentRegistry.workspace`);
* the effective config: the thread's, or for a skill's beat the skill's over the thread's;
* the instructions (`load_instructions`): the main beat's HEARTBEAT.md, or the skill's own
  HEARTBEAT.md, or — a skill without one — the body of its SKILL.md; only the part due now
  (`soulbeat.turn.context.due_instructions`);
* the user's timezone (for the time line) and when this schedule's last beat finished (the
  start of "since the last beat").

It raises what its sources raise: `NotFoundError` for a thread that is gone, `WorkspaceError`
for a missing workspace folder or a skill that no longer exists, `ConfigError` for a config that
no longer validates. The scheduler records those as failed beats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from soulbeat.agents.registry import AgentRegistry
from soulbeat.config.layers import EffectiveConfig
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.errors import ConfigError, WorkspaceError
from soulbeat.store.base import BeatStore
from soulbeat.store.records import MAIN, Claim, Thread
from soulbeat.turn.context import ContextBlock, due_instructions
from soulbeat.workspace.files import read_text_file
from soulbeat.workspace.front_matter import parse_front_matter
from soulbeat.workspace.loader import Workspace

__all__ = ["BeatSetup", "Instructions", "load_instructions", "prepare_beat"]

InstructionsOrigin = Literal["heartbeat", "skill", "skill-body", "none"]
_MAX_SKILL_BYTES = 1_000_000


@dataclass(frozen=True)
class Instructions:
    """The instructions of one beat: where they came from and the part due now (``block`` None
    when there is no file: the beat runs on the configured prompt alone)."""

    origin: InstructionsOrigin
    path: str | None
    block: ContextBlock | None
    due_tasks: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        return {"origin": self.origin, "path": self.path, "due_tasks": list(self.due_tasks)}


@dataclass(frozen=True)
class BeatSetup:
    """What `prepare_beat` found for one beat."""

    thread: Thread
    workspace: Workspace
    effective: EffectiveConfig
    instructions: Instructions
    zone: tzinfo
    zone_name: str
    since: datetime | None


async def prepare_beat(
    store: BeatStore, registry: AgentRegistry, claim: Claim, due_tasks: Sequence[str]
) -> BeatSetup:
    """Read what the beat of ``claim`` needs (module docstring)."""
    thread = await store.get_thread(claim.thread_id)
    workspace = registry.workspace(thread.agent_id)
    skill = None
    if claim.skill != MAIN:
        skill = registry.find_skill(workspace, claim.skill)
        if skill is None:
            raise WorkspaceError(f"skill {claim.skill!r} no longer exists in {workspace.root}")
    effective = registry.effective(thread, skill)
    instructions = load_instructions(workspace, claim.skill, due_tasks)
    zone_name = registry.user_timezone(thread.agent_id)
    zone, shown = _zone(zone_name)
    schedule = await store.get_schedule(thread.id, claim.skill)
    since = schedule.last_finished_at if schedule is not None else None
    return BeatSetup(thread, workspace, effective, instructions, zone, shown, since)


def load_instructions(workspace: Workspace, skill: str, due_tasks: Sequence[str]) -> Instructions:
    """The instructions of the main beat (``skill`` = MAIN) or of a skill (module docstring)."""
    source = AgentRegistry.heartbeat_source(workspace, skill)
    due = tuple(due_tasks)
    if source.text is not None:
        text = due_instructions(source.text, source.instructions, due)
        origin: InstructionsOrigin = "heartbeat" if skill == MAIN else "skill"
        title = "Instructions (HEARTBEAT.md)"
        if skill != MAIN:
            title = f"Instructions of skill {skill} (HEARTBEAT.md)"
        block = ContextBlock("instructions", title, text or "")
        return Instructions(origin, str(source.path), block, due)
    found = AgentRegistry.find_skill(workspace, skill) if skill != MAIN else None
    if found is None:
        return Instructions("none", None, None, due)
    text, _problem = read_text_file(Path(found.file_path), max_bytes=_MAX_SKILL_BYTES)
    body = parse_front_matter(text)[1].strip() if text is not None else ""
    if found.description:
        body = f"{found.description.strip()}\n\n{body}".strip()
    block = ContextBlock("instructions", f"Instructions of skill {skill} (SKILL.md)", body)
    return Instructions("skill-body", found.file_path, block, due)


def _zone(name: str) -> tuple[tzinfo, str]:
    """The zone a name stands for and how to show it; UTC when the name no longer resolves."""
    try:
        zone = resolve_timezone("user", name)
    except ConfigError:
        return UTC, "UTC"
    return zone, str(getattr(zone, "key", None) or name)
