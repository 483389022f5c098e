"""Putting together one beat's memory and extra tools (issue 15), for the turn runner.

`assemble_beat_tools` reads the thread's scratch, makes the beat's `BeatMemory` (edits numbered
as effects of the beat) and its `BeatTools`: the built-in read-only tools, the memory tools and
the agent's MCP tools (connected now), allow-listed by the config. The runner closes the tools
(`BeatTools.aclose`) when the beat ends, whatever happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soulbeat.clock import Clock
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.events.models import EventSink
from soulbeat.memory.beat import BeatMemory, MemoryScope, ProposeEdit
from soulbeat.service.files import WorkspaceFiles
from soulbeat.store.base import BeatStore
from soulbeat.store.records import Claim, EffectRef, Thread
from soulbeat.tools.builtin import BuiltinScope, builtin_tools
from soulbeat.tools.mcp_client import McpHub
from soulbeat.tools.memory_tools import memory_tools
from soulbeat.tools.registry import BeatTools, open_beat_tools

if TYPE_CHECKING:  # imported for types only: the turn imports this module
    from soulbeat.ledger.reader import LedgerReader
    from soulbeat.turn.effects import BeatEffects


__all__ = ["BeatKit", "ToolKit", "assemble_beat_tools"]


@dataclass(frozen=True)
class ToolKit:
    """What the runner needs to give a beat memory and tools (the same for every beat)."""

    files: WorkspaceFiles
    hub: McpHub | None = None
    ledger: LedgerReader | None = None
    propose: ProposeEdit | None = None


@dataclass(frozen=True)
class BeatKit:
    memory: BeatMemory
    tools: BeatTools


async def assemble_beat_tools(
    kit: ToolKit,
    store: BeatStore,
    clock: Clock,
    events: EventSink | None,
    *,
    claim: Claim,
    thread: Thread,
    config: HeartbeatConfig,
    workspace: Path,
    zone: Any,
    zone_name: str,
    effects: BeatEffects,
) -> BeatKit:
    async def finish(ref: EffectRef, data: Mapping[str, Any]) -> None:
        await effects.finish(ref, data)

    scratch = await store.get_scratch(thread.id)
    scope = MemoryScope(thread.id, thread.agent_id, claim.beat_id, claim.key, config)
    memory = BeatMemory(
        store,
        kit.files,
        clock,
        scope,
        scratch,
        next_ref=effects.next,
        reuse=effects.reuse,
        finish=finish,
        events=events,
        propose=kit.propose,
    )
    local = [
        *builtin_tools(
            BuiltinScope(store, clock, thread.id, workspace, zone, zone_name, kit.ledger)
        ),
        *memory_tools(memory),
    ]
    tools = await open_beat_tools(
        kit.hub,
        thread.agent_id,
        config,
        local,
        next_ref=effects.next,
        reuse=effects.reuse,
        finish=finish,
        start=effects.start,
        unknown=effects.unknown,
        events=events,
        event_data={"thread_id": thread.id, "agent_id": thread.agent_id, "beat_id": claim.beat_id},
    )
    return BeatKit(memory, tools)
