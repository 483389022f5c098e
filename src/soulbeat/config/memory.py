"""The heartbeat-config keys of issue 15 (memory between beats, tools, the `unchanged` guard),
checked here so `soulbeat.config.heartbeat` only lists them.

* ``skip_unchanged`` [true]: SPEC §9.1's `unchanged` guard.
* ``scratch_max_bytes`` [262144]: the largest scratch a beat may write (UTF-8 bytes).
* ``memory_edits`` [true]: whether beats may append to MEMORY.md or replace one of its sections.
* ``soul_edits`` / ``heartbeat_edits`` [``off``]: whether a beat may propose a new SOUL.md /
  HEARTBEAT.md: ``off`` (no tool), ``approval`` (the edit waits in the approval queue for a
  person) or ``direct`` (written at once, as a version).
* ``tools`` [``["*"]``]: the tools a beat may call besides its answer and its actions, as names or
  globs: built-in tools by name (``read_file``, ``current_time`` …), MCP tools as
  ``<server>.<tool>`` (``weather.*``). An empty list offers none.
* ``tool_timeout`` [20s]: the longest one MCP tool call may take.
* ``mcp_max_calls`` [5]: MCP tool calls per beat; ``tool_result_chars`` [8000]: the most of one
  tool result handed to the model (the rest is cut, visibly); ``mcp_result_chars`` [32000]: the
  most of all MCP answers of one beat together.
"""

from __future__ import annotations

from typing import Literal

from soulbeat.config.problems import config_error

__all__ = [
    "DEFAULT_SCRATCH_BYTES",
    "EDIT_POLICIES",
    "EditPolicy",
    "check_tool_patterns",
    "may_allow_mcp",
]

EditPolicy = Literal["off", "approval", "direct"]
EDIT_POLICIES: tuple[EditPolicy, ...] = ("off", "approval", "direct")
DEFAULT_SCRATCH_BYTES = 256 * 1024
MAX_SCRATCH_BYTES = 16 * 1024 * 1024
_PATTERN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.*?[]")


def may_allow_mcp(patterns: tuple[str, ...]) -> bool:
    """Whether an allow-list could let an MCP tool (``<server>.<tool>``) through: a pattern with
    a ``.`` or a glob character. Built-in tool names have neither."""
    return any(set(p) & set(".*?[") for p in patterns)


def check_tool_patterns(value: object) -> tuple[str, ...]:
    """A list of tool names or globs (letters, digits, ``_ - .`` and ``* ? [ ]``)."""
    expected = 'a list of tool names or globs such as ["current_time", "weather.*"]'
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise config_error("tools", value, "is not a list", expected)
    patterns: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or set(item.strip()) - _PATTERN_CHARS:
            raise config_error("tools", item, "is not a tool name or glob", expected)
        patterns.append(item.strip())
    return tuple(patterns)
