"""`prompt_budget`: what a workspace's main heartbeat prompt costs, part by part, before a beat.

For ``soulbeat doctor``: the prompt a beat of the workspace's main heartbeat would send, built by
the turn's own `build_prompt` in a given profile and decision mode, with every cadence task of
HEARTBEAT.md counted as due (the largest the instructions get) and the workspace files of the
configured context mode; the thread's new messages and queued events come on top and are not
counted. Sizes are `soulbeat.llm.base.estimate_tokens` estimates (about four characters a
token); the audit of a real beat has the server's own count (``prompt.reported_tokens``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.llm.base import ChatRequest, ToolSpec, estimate_tokens
from soulbeat.store.records import MAIN
from soulbeat.turn.context import TurnContext, workspace_file_blocks
from soulbeat.turn.offer import callable_tools, offered_schema, offered_tools
from soulbeat.turn.prepare import load_instructions
from soulbeat.turn.profile import PromptProfile
from soulbeat.turn.prompt import build_prompt, current_time_line
from soulbeat.turn.schema_calls import calls_section
from soulbeat.workspace.loader import Workspace

__all__ = ["BUDGET_PARTS", "Budget", "budget_request", "prompt_budget", "schema_tokens"]

BUDGET_PARTS = ("rules", "soul", "tasks", "context", "tool_schemas", "other")
"""The parts doctor prints; ``other`` is the prompt line, the time line, full context's system
files and any section another feature added."""


@dataclass(frozen=True)
class Budget:
    """Estimated prompt tokens per part (`BUDGET_PARTS`) for one profile and decision mode."""

    profile: PromptProfile
    mode: str
    parts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def as_record(self) -> dict[str, Any]:
        return {"profile": self.profile, "mode": self.mode, **self.parts, "total": self.total}


def schema_tokens(tools: Sequence[ToolSpec], schema: Mapping[str, Any] | None) -> int:
    """The estimate of what tool specs or a response schema add to a prompt."""
    total = sum(estimate_tokens(t.description + json.dumps(t.parameters)) for t in tools)
    return total + (estimate_tokens(json.dumps(schema)) if schema is not None else 0)


def budget_request(
    workspace: Workspace,
    config: HeartbeatConfig,
    profile: PromptProfile,
    mode: str,
    model: str,
    *,
    memory: bool = True,
) -> tuple[Budget, ChatRequest]:
    """The budget (module docstring) and the first-round request it describes, as a beat of the
    workspace's main heartbeat would send it to `model` (for measuring the server's count).
    The tools are ``heartbeat_respond``, the ledger tools and ``heartbeat_remind`` (`memory`:
    the beat keeps a scratch) — in ``schema`` mode the decision schema with ``heartbeat_remind``
    as its ``calls``; the built-in, memory and MCP tools a running service adds are not counted
    here (the audit of a real beat counts them)."""
    parsed = workspace.heartbeat
    every_task = tuple(task.name for task in parsed.tasks) if parsed else ()
    instructions = load_instructions(workspace, MAIN, every_task)
    blocks, files = workspace_file_blocks(workspace.bootstrap, config.context)
    context = TurnContext(config.context, tuple(blocks), tuple(files), (), 0)
    offer = mode == "tools" and config.max_tool_calls > 0
    extra = callable_tools(config, mode, reminders=True)
    sections = (calls_section(extra, profile),) if mode == "schema" and extra else ()
    prompt = build_prompt(
        prompt=config.effective_prompt,
        instructions=instructions.block,
        context=context,
        soul=workspace.soul.soul,
        time_line=current_time_line(datetime.now(UTC), UTC, "UTC"),
        tools_offered=offer,
        mode=mode,
        profile=profile,
        sections=sections,
    )
    allowed, sized = config.actions.allowed, {"scratch": memory, "tasks": bool(every_task)}
    tools = offered_tools(allowed, profile, extra=extra, **sized) if offer else ()
    schema = offered_schema(allowed, profile, calls=extra, **sized) if mode == "schema" else None
    named = {"rules", "soul", "tasks", "context"}
    parts = {name: prompt.parts.get(name, 0) for name in ("rules", "soul", "tasks", "context")}
    parts["tool_schemas"] = schema_tokens(tools, schema)
    parts["other"] = sum(size for name, size in prompt.parts.items() if name not in named)
    request = ChatRequest(
        prompt.messages,
        model,
        tools,
        config.temperature,
        config.max_tokens,
        response_schema=schema,
    )
    return Budget(profile, mode, parts), request


def prompt_budget(
    workspace: Workspace, config: HeartbeatConfig, profile: PromptProfile, mode: str
) -> Budget:
    """The budget of the workspace's main heartbeat prompt (module docstring)."""
    return budget_request(workspace, config, profile, mode, "")[0]
