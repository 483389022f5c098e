"""What a beat offers the model beside its messages (issue 14): the tools of ``tools`` mode and
the decision schema of ``schema`` mode, sized by the prompt profile. Pure.

* ``full`` — ``heartbeat_respond`` with every field, the tool of each allowed ledger action, then
  the `extra` tools (the model's reminder tool, the built-in read tools, the memory tools, the
  agent's MCP tools) as they describe themselves; the decision schema with every field.
* ``compact`` — the minimal forms, for small models whose server renders every schema into the
  prompt: ``heartbeat_respond`` and the decision schema without ``scratch`` when the beat keeps no
  memory and without ``tasks_addressed`` when no task is due; every tool, the extra ones
  included, with its description cut to the first sentence and without property descriptions,
  titles and length caps (`minimal_tools`); the decision schema likewise (`minimal_schema`).
  The turn still checks lengths when it carries an action out.

In ``schema`` mode the tools a ``tools``-mode beat would call besides the decision and the ledger
actions (the model's reminder tool, the built-in read tools, the memory tools) are offered as the
decision's ``calls`` field (`soulbeat.turn.schema_calls`), in either profile.

The turn runner, doctor's budget and ``soulbeat eval`` all ask here, so what is counted is what
is sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.llm.base import ToolSpec
from soulbeat.turn.decision import decision_schema
from soulbeat.turn.profile import PromptProfile, minimal_schema, minimal_tools
from soulbeat.turn.remind_tool import remind_tools
from soulbeat.turn.schema_calls import calls_schema
from soulbeat.turn.tools import tools_for

__all__ = ["callable_tools", "offered_schema", "offered_tools"]


def offered_tools(
    allowed: Collection[str],
    profile: PromptProfile,
    *,
    extra: Sequence[ToolSpec] = (),
    scratch: bool = True,
    tasks: bool = True,
) -> tuple[ToolSpec, ...]:
    """The tools of a ``tools``-mode beat (module docstring); `scratch` / `tasks` say whether
    the beat keeps memory and has due tasks."""
    if profile == "full":
        return (*tools_for(allowed), *extra)
    return minimal_tools((*tools_for(allowed, scratch=scratch, tasks=tasks), *extra))


def offered_schema(
    allowed: Collection[str],
    profile: PromptProfile,
    *,
    scratch: bool = True,
    tasks: bool = True,
    calls: Sequence[ToolSpec] = (),
) -> dict[str, Any]:
    """The decision schema of a ``schema``-mode beat (module docstring), with the ``calls``
    field of `soulbeat.turn.schema_calls` when it offers tools to call (`calls`)."""
    field = calls_schema(calls) if calls else None
    if profile == "full":
        return decision_schema(allowed, calls=field)
    return minimal_schema(decision_schema(allowed, scratch=scratch, tasks=tasks, calls=field))


def callable_tools(
    config: HeartbeatConfig, mode: str, *, reminders: bool, kit: Sequence[ToolSpec] = ()
) -> tuple[ToolSpec, ...]:
    """The tools a beat may call besides the decision and the ledger's: ``heartbeat_remind``
    (when the service stores reminders and the thread allows them), then the `kit`'s built-in,
    memory and MCP tools — as tool calls in ``tools`` mode, as the decision's ``calls`` in
    ``schema`` mode, none otherwise or when ``max_tool_calls`` is 0."""
    if config.max_tool_calls <= 0 or mode not in ("tools", "schema"):
        return ()
    return (*(remind_tools(config, True) if reminders else ()), *kit)
