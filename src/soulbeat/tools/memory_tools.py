"""The memory tools of a beat (issue 15 item 1), over its `BeatMemory`:

* ``scratch_write(content, base_revision?)`` — rewrite this thread's scratch (the note the next
  beat is shown); ``base_revision`` is the revision shown in the prompt (compare-and-swap);
* ``memory_append(entry)`` and ``memory_replace_section(heading, body)`` — MEMORY.md, when
  ``memory_edits`` is on;
* ``soul_propose(content, why)`` / ``heartbeat_propose(content, why)`` — only when
  ``soul_edits`` / ``heartbeat_edits`` is not ``off``.

The same writes are open to ``heartbeat_respond``'s ``scratch`` field. Each call's outcome is the
edit record `BeatMemory` keeps for the audit, as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from soulbeat.llm.base import ToolSpec
from soulbeat.memory.beat import BeatMemory
from soulbeat.tools.base import Tool, ToolAnswer, as_json, problem

__all__ = ["memory_tools"]


def _spec(name: str, description: str, props: Mapping[str, Any], required: list[str]) -> ToolSpec:
    schema = {
        "type": "object",
        "properties": dict(props),
        "required": required,
        "additionalProperties": False,
    }
    return ToolSpec(name, description, schema)


def _text(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    return value if isinstance(value, str) else None


def _answer(edit: Mapping[str, Any]) -> ToolAnswer:
    shown = {k: v for k, v in edit.items() if k not in ("entry", "body", "content")}
    answer = as_json(shown)
    ok = edit.get("status") in ("written", "would-do", "pending-approval")
    return ToolAnswer(answer.text, ok)


def memory_tools(memory: BeatMemory) -> list[Tool]:
    config = memory.scope.config

    async def scratch_write(args: Mapping[str, Any]) -> ToolAnswer:
        content = _text(args, "content")
        if content is None:
            return problem("content must be text")
        base = args.get("base_revision")
        if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
            return problem("base_revision must be a whole number")
        return _answer(await memory.write_scratch(content, base))

    async def memory_append(args: Mapping[str, Any]) -> ToolAnswer:
        entry = _text(args, "entry")
        if entry is None:
            return problem("entry must be text")
        return _answer(await memory.append_memory(entry))

    async def memory_replace_section(args: Mapping[str, Any]) -> ToolAnswer:
        heading, body = _text(args, "heading"), _text(args, "body")
        if heading is None or body is None:
            return problem("heading and body must be text")
        return _answer(await memory.replace_memory_section(heading, body))

    def proposer(kind: Literal["soul", "heartbeat"]) -> Any:
        async def propose(args: Mapping[str, Any]) -> ToolAnswer:
            content = _text(args, "content")
            if content is None:
                return problem("content must be text")
            return _answer(await memory.propose_file(kind, content, _text(args, "why") or ""))

        return propose

    tools = [
        Tool(
            _spec(
                "scratch_write",
                "Rewrite your scratch for this thread: a note your next "
                "heartbeat will be shown. Give the whole new text.",
                {
                    "content": {"type": "string"},
                    "base_revision": {
                        "type": "integer",
                        "description": "The scratch revision you were shown.",
                    },
                },
                ["content"],
            ),
            "scratch_write",
            "memory",
            scratch_write,
        ),
    ]
    if config.memory_edits:
        tools += [
            Tool(
                _spec(
                    "memory_append",
                    "Add an entry at the end of your MEMORY.md.",
                    {"entry": {"type": "string"}},
                    ["entry"],
                ),
                "memory_append",
                "memory",
                memory_append,
            ),
            Tool(
                _spec(
                    "memory_replace_section",
                    "Replace the text under one heading of your "
                    "MEMORY.md (the section is added when missing).",
                    {"heading": {"type": "string"}, "body": {"type": "string"}},
                    ["heading", "body"],
                ),
                "memory_replace_section",
                "memory",
                memory_replace_section,
            ),
        ]
    kinds: tuple[tuple[Literal["soul", "heartbeat"], str], ...] = (
        ("soul", config.soul_edits),
        ("heartbeat", config.heartbeat_edits),
    )
    for kind, policy in kinds:
        if policy == "off":
            continue
        name = "SOUL.md" if kind == "soul" else "HEARTBEAT.md"
        waits = " A person approves it first." if policy == "approval" else ""
        tools.append(
            Tool(
                _spec(
                    f"{kind}_propose",
                    f"Propose the whole new text of your {name}.{waits}",
                    {"content": {"type": "string"}, "why": {"type": "string"}},
                    ["content", "why"],
                ),
                f"{kind}_propose",
                "memory",
                proposer(kind),
            )
        )
    return tools
