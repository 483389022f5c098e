"""`Tool`: one callable tool of a beat, and `ToolAnswer`, what a call gives back.

A tool has a `ToolSpec` the model sees (its ``spec.name`` is what the model calls), a
``public`` name the ``tools`` allow-list matches (built-ins by name, MCP tools as
``<server>.<tool>``), where it comes from, and whether its answers are other people's text
(``untrusted``: wrapped in an untrusted-data block before the model sees them) and whether it
reaches outside soulbeat (MCP tools: the `unchanged` guard then never skips the beat).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from soulbeat.llm.base import ToolSpec

__all__ = ["Tool", "ToolAnswer", "as_json", "problem"]


@dataclass(frozen=True)
class ToolAnswer:
    """What one call gave back: the text for the model and whether the call worked."""

    text: str
    ok: bool = True


Runner = Callable[[Mapping[str, Any]], Awaitable[ToolAnswer]]


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    public: str
    source: str
    """``builtin``, ``memory`` or ``mcp:<server>``."""
    run: Runner
    untrusted: bool = False
    reaches_outside: bool = False


def as_json(data: Any) -> ToolAnswer:
    return ToolAnswer(json.dumps(data, ensure_ascii=False, default=str))


def problem(detail: str) -> ToolAnswer:
    """A refused or failed call, said as data the model can act on."""
    return ToolAnswer(json.dumps({"error": detail}, ensure_ascii=False), ok=False)
