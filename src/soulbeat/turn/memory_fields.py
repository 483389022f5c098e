"""The decision's memory fields (SPEC §9.3 ``scratch``, ``tasks_addressed``), read from a beat's
reply: the last usable ``heartbeat_respond`` call (real, or written as JSON in the text), else the
last decision object in the text. Pure; the reading of everything else is `soulbeat.turn.reply`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from soulbeat.turn.reply import Payload
from soulbeat.turn.tools import RESPOND_TOOL
from soulbeat.turn.written import scan_text

__all__ = ["MemoryFields", "memory_fields"]


@dataclass(frozen=True)
class MemoryFields:
    """``scratch`` None: not given (the scratch is left alone); ``tasks`` None: not said."""

    scratch: str | None = None
    tasks: tuple[str, ...] | None = None


def _read(arguments: Mapping[str, Any]) -> MemoryFields | None:
    notify = arguments.get("notify")
    if not isinstance(notify, bool) and str(notify).strip().lower() not in ("true", "false"):
        return None  # not a usable decision
    scratch = arguments.get("scratch")
    tasks = arguments.get("tasks_addressed")
    return MemoryFields(
        scratch if isinstance(scratch, str) else None,
        tuple(str(t) for t in tasks if str(t).strip()) if isinstance(tasks, list) else None,
    )


def memory_fields(payloads: Sequence[Payload]) -> MemoryFields:
    """The memory fields of the decision that decides the beat (module docstring)."""
    for payload in reversed(payloads):
        for call in reversed(payload.tool_calls):
            if call.name == RESPOND_TOOL and call.problem is None:
                found = _read(call.arguments)
                if found is not None:
                    return found
    for payload in reversed(payloads):
        if not payload.text.strip():
            continue
        scan = scan_text(payload.text)
        for item in reversed(scan.items):
            if item.kind == "call" and item.name == RESPOND_TOOL and item.arguments is not None:
                found = _read(item.arguments)
            elif item.kind == "decision" and isinstance(item.value, Mapping):
                found = _read(item.value)
            else:
                continue
            if found is not None:
                return found
        break  # only the last payload with content is the reply
    return MemoryFields()
