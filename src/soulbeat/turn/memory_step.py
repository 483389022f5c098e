"""The turn's memory-and-tools steps (issue 15), called from `TurnRunner` with a few lines each:

* `memory_sections`: the system prompt's memory (and tasks) lines and the thread's scratch, as
  sections of the prompt;
* `settle_memory`: after the reply — the decision's ``scratch`` written (an effect of the beat),
  the tasks report, and the audit's ``memory``, ``tools``, ``tasks`` and ``budget`` parts.
"""

from __future__ import annotations

from typing import Any

from soulbeat.agents.registry import AgentRegistry
from soulbeat.llm.base import estimate_tokens
from soulbeat.memory.completion import task_report
from soulbeat.memory.prompt import (
    MEMORY_SECTION,
    MEMORY_TOOLS_SECTION,
    TASKS_SECTION,
    scratch_block,
)
from soulbeat.tools.assemble import BeatKit
from soulbeat.turn.memory_fields import memory_fields
from soulbeat.turn.prompt import PromptSection
from soulbeat.turn.reply import Reading
from soulbeat.turn.rounds import Exchange
from soulbeat.workspace.loader import Workspace

__all__ = ["memory_sections", "settle_memory"]


def memory_sections(kit: BeatKit, *, tasks_due: bool, tools: bool) -> tuple[PromptSection, ...]:
    """The system prompt's memory lines and the user message's scratch, as sections
    `build_prompt` places (after the soul; after the context) and counts (``memory``,
    ``scratch``) in the prompt's parts."""
    rules = [MEMORY_SECTION]
    rules += [MEMORY_TOOLS_SECTION] if tools else []
    rules += [TASKS_SECTION] if tasks_due else []
    block = scratch_block(kit.memory.scratch, kit.memory.scope.config.scratch_max_bytes)
    return (
        PromptSection("memory", "# Memory\n" + "\n".join(rules), "system"),
        PromptSection("scratch", f"# {block.title}\n{block.text}", "user"),
    )


def _task_bodies(workspace: Workspace, skill: str) -> dict[str, str]:
    source = AgentRegistry.heartbeat_source(workspace, skill)
    if source.instructions is None:
        return {}
    return {task.name: task.prompt for task in source.instructions.tasks}


async def settle_memory(
    kit: BeatKit,
    done: Exchange,
    reading: Reading,
    *,
    workspace: Workspace,
    skill: str,
    due_tasks: tuple[str, ...],
    prompt: dict[str, Any],
) -> dict[str, Any]:
    """Write the decision's scratch (not for an unreadable reply) and return the audit parts."""
    fields = memory_fields(done.payloads)
    if fields.scratch is not None and reading.kind != "unreadable":
        await kit.memory.write_scratch(fields.scratch)
    called = [call["tool"] for call in kit.tools.calls if call.get("ran")]
    tasks = task_report(due_tasks, _task_bodies(workspace, skill), fields.tasks, called)
    scratch = kit.memory.scratch
    memory_tokens = estimate_tokens(scratch.content)
    memory_file = next(
        (f for f in workspace.bootstrap.files if f.name.lower() == "memory.md"), None
    )
    if memory_file is not None:
        memory_tokens += estimate_tokens(memory_file.content)
    return {
        "memory": {
            "scratch_revision": scratch.revision,
            "scratch_bytes": len(scratch.content.encode("utf-8")),
            "edits": list(kit.memory.edits),
        },
        "tools": kit.tools.as_record(),
        "tasks": tasks,
        "budget": {
            "prompt_tokens": prompt.get("estimated_tokens"),
            "tool_schema_tokens": prompt.get("schema_tokens"),
            "memory_tokens": memory_tokens,
        },
    }
