"""Tool rounds in ``schema`` mode (issue 14): the decision may ask for tool calls first.

Under ``decision_mode = schema`` no tools are sent, so without this the model could not reach
the built-in read tools, the MEMORY.md tools or ``heartbeat_remind``. The decision schema gets
an optional ``calls`` field instead — a list of ``{"tool": NAME, "arguments": {…}}``, each item
constrained to one offered tool and that tool's own parameter schema (`calls_schema`) — and the
rounds go as in ``tools`` mode (`soulbeat.turn.rounds.exchange`):

* a decision whose ``calls`` is not empty has its calls run (the same handlers, cap
  ``max_tool_calls`` and repeated-call breaker as tool calls; a name not offered is refused),
  then the model is asked again with the results (`SchemaCalls.answer`: its own answer as the
  assistant turn, the results in ``<untrusted-data>`` blocks as the next user turn);
* a decision without calls — or the last one the cap or the breaker let through — decides.

The decision of a round that called tools is not acted on: only the last reply counts (G1), so a
model may ask, read and then decide. `calls_section` tells the model what it may call, in the
prompt's system message. Everything here is pure but `SchemaCalls.wrap`'s refusal.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from soulbeat.actions.executor import ActionResult
from soulbeat.llm.base import ChatMessage, Completion, ToolCall, ToolSpec
from soulbeat.turn.profile import PromptProfile, minimal_schema, minimal_tools
from soulbeat.turn.prompt import PromptSection, wrap_untrusted
from soulbeat.turn.rounds import ActOnCall, ToolRun
from soulbeat.turn.written import scan_text

__all__ = ["SchemaCalls", "calls_schema", "calls_section"]

_AGAIN = (
    'Now answer with the JSON object again: your decision, with "calls": [] unless you need '
    "another tool."
)


def calls_schema(tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """The ``calls`` property of the decision schema: each item one of `tools` with its own
    arguments schema, bare (`minimal_schema`). No ``maxItems`` and no length caps: llama.cpp's
    grammar writes a bounded repetition out as nested copies of its rule, and
    ``heartbeat_remind``'s 2,000-character ``text`` or an ``anyOf`` of tools repeated a few
    times is over its limit ("failed to parse grammar"; llama-cpp-python then drops the
    connection). The beat's ``max_tool_calls`` bounds what is run; the tools check their
    arguments when they run."""
    variants = [
        {
            "type": "object",
            "properties": {
                "tool": {"type": "string", "enum": [spec.name]},
                "arguments": minimal_schema(spec.parameters),
            },
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for spec in tools
    ]
    return {"type": "array", "items": {"anyOf": variants}}


def _signature(spec: ToolSpec) -> str:
    properties = spec.parameters.get("properties")
    names = ", ".join(properties) if isinstance(properties, Mapping) else ""
    return f"{spec.name}({names})"


def calls_section(tools: Sequence[ToolSpec], profile: PromptProfile) -> PromptSection:
    """The system prompt's lines on ``calls`` (module docstring), naming each tool with its
    arguments — in ``full`` one line each with the first sentence of its description, in
    ``compact`` all on one line."""
    if profile == "compact":
        names = ", ".join(_signature(spec) for spec in tools)
        text = (
            '- Optional "calls": [{"tool", "arguments"}] to use a tool first; you get the '
            f"results and answer again. Tools: {names}."
        )
        return PromptSection("calls", text, "system")
    lines = [
        "# Tools you may call first",
        'To look something up or act before you decide, list tool calls in "calls", each '
        '{"tool": NAME, "arguments": {...}}. You then get their results and answer again with '
        'the whole JSON object. Leave "calls" empty ([]) when you can decide now, as usual.',
        *(f"- {_signature(spec)}: {spec.description}" for spec in minimal_tools(tools)),
    ]
    return PromptSection("calls", "\n".join(lines), "system")


class SchemaCalls:
    """The ``calls`` of a schema-mode beat's decisions, for `exchange` (module docstring);
    `names` are the tools offered."""

    def __init__(self, names: Collection[str]) -> None:
        self.names = frozenset(names)

    def calls(self, completion: Completion, round_no: int) -> tuple[ToolCall, ...]:
        """The calls the reply's decision lists (the last decision object of its text)."""
        decisions = scan_text(completion.text or "").of("decision")
        if not decisions:
            return ()
        listed = decisions[-1].value.get("calls")
        if not isinstance(listed, list):
            return ()
        found: list[ToolCall] = []
        for index, item in enumerate(listed):
            if not isinstance(item, Mapping) or not isinstance(item.get("tool"), str):
                continue
            call_id = f"calls-{round_no}-{index}"
            arguments = item.get("arguments", {})
            if isinstance(arguments, Mapping):
                found.append(ToolCall.from_mapping(call_id, item["tool"], arguments))
            else:
                raw = json.dumps(arguments, ensure_ascii=False, default=str)
                problem = f"arguments are a JSON {type(arguments).__name__}, not an object"
                found.append(ToolCall(call_id, item["tool"], {}, raw, problem))
        return tuple(found)

    def answer(self, completion: Completion, runs: Sequence[ToolRun]) -> list[ChatMessage]:
        """The messages that give the model its calls' results: its answer, then the results."""
        blocks = [
            wrap_untrusted(f"tool:{run.call.name}", f"{run.call.name}: {run.answer}")
            for run in runs
        ]
        results = "\n".join(["Results of your calls:", *blocks, _AGAIN])
        return [ChatMessage("assistant", completion.text), ChatMessage("user", results)]

    def wrap(self, act: ActOnCall) -> ActOnCall:
        """`act`, refusing (None: "not a tool here") a name that was not offered — so a model
        whose server ignores the schema cannot reach a ledger tool or ``heartbeat_respond``
        through ``calls``."""

        async def on_call(call: ToolCall) -> ActionResult | str | None:
            return await act(call) if call.name in self.names else None

        return on_call
