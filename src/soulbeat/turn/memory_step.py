"""The turn's memory-and-tools steps (issue 15), called from `TurnRunner` with a few lines each:

* `with_scratch`: the thread's scratch as the last context block;
* `with_memory_rules`: the system prompt's memory (and tasks) lines, when the beat can keep notes;
* `settle_memory`: after the reply — the decision's ``scratch`` written (an effect of the beat),
  the tasks report, and the audit's ``memory``, ``tools``, ``tasks`` and ``budget`` parts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from soulbeat.agents.registry import AgentRegistry
from soulbeat.llm.base import ChatMessage, estimate_tokens
from soulbeat.memory.completion import task_report
from soulbeat.memory.prompt import MEMORY_SECTION, TASKS_SECTION, scratch_block
from soulbeat.tools.assemble import BeatKit
from soulbeat.turn.context import TurnContext
from soulbeat.turn.memory_fields import memory_fields
from soulbeat.turn.prompt import Prompt
from soulbeat.turn.reply import Reading
from soulbeat.turn.rounds import Exchange
from soulbeat.workspace.loader import Workspace

__all__ = ["settle_memory", "with_memory_rules", "with_scratch"]


def with_scratch(context: TurnContext, kit: BeatKit) -> TurnContext:
    block = scratch_block(kit.memory.scratch, kit.memory.scope.config.scratch_max_bytes)
    return replace(context, blocks=(*context.blocks, block))


def with_memory_rules(prompt: Prompt, *, tasks_due: bool) -> Prompt:
    rules = [MEMORY_SECTION, *([TASKS_SECTION] if tasks_due else [])]
    system = f"{prompt.system}\n\n# Memory\n" + "\n".join(rules)
    messages = (ChatMessage("system", system), *prompt.messages[1:])
    return Prompt(messages, system, prompt.user)


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
