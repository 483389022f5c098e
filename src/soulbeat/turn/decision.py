"""The decision a beat reads (SPEC §9.3): one shape whatever the tier, and its JSON schema.

`Decision` is what the model decided, as data: ``notify`` and ``message`` (the alert), the
one-line ``summary``, the ``actions`` it asks for (seed 000's action objects, each kept as
written: `soulbeat.actions.parse_action` reads them when they are carried out), and the
optional ``scratch`` (notes the agent keeps for itself) and ``tasks_addressed`` (the due tasks it
dealt with). A tool call of ``heartbeat_respond``, a decision object written as JSON, a structured
output answer and a plain-text reply all end up in this shape.

`DECISION_SCHEMA` is the JSON schema constrained output is asked to follow (Ollama's ``format``,
OpenAI's ``response_format`` ``json_schema``); `decision_schema(allowed)` narrows its actions to
the types a thread may use. `parse_decision` reads a JSON object against it leniently (a
``"false"`` string is false, a missing summary is empty) and strictly where delivering would be
wrong: ``notify`` must be readable as a boolean, or the object is not a decision.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DECISION_KEYS",
    "DECISION_SCHEMA",
    "Decision",
    "decision_schema",
    "looks_like_decision",
    "parse_decision",
]

_TEXT = {"type": "string"}
_ACTION_FIELDS: dict[str, dict[str, Any]] = {
    "post": {"submolt": _TEXT, "title": {"type": "string", "maxLength": 300}, "content": _TEXT},
    "comment": {"post_id": _TEXT, "content": _TEXT, "parent_id": _TEXT},
    "vote": {
        "target": {"type": "string", "enum": ["post", "comment"]},
        "id": _TEXT,
        "direction": {"type": "string", "enum": ["up", "down"]},
    },
}
_ACTION_REQUIRED = {
    "post": ["action", "submolt", "title", "content"],
    "comment": ["action", "post_id", "content"],
    "vote": ["action", "target", "id", "direction"],
}

DECISION_KEYS = frozenset(
    {"notify", "message", "summary", "actions", "scratch", "tasks_addressed", "calls"}
)
"""The decision's keys; ``calls`` is schema mode's tool calls (`soulbeat.turn.schema_calls`),
which the exchange runs before the decision is read."""


@dataclass(frozen=True)
class Decision:
    """What the model decided (module docstring). ``actions`` are action objects as written
    (``{"action": "vote", "target": "post", "id": "42", "direction": "up"}``)."""

    notify: bool
    message: str = ""
    summary: str = ""
    actions: tuple[Mapping[str, Any], ...] = ()
    scratch: str | None = None
    tasks_addressed: tuple[str, ...] | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    def as_record(self) -> dict[str, Any]:
        return {
            "notify": self.notify,
            "message": self.message,
            "summary": self.summary,
            "actions": [dict(action) for action in self.actions],
            "scratch": self.scratch,
            "tasks_addressed": list(self.tasks_addressed)
            if self.tasks_addressed is not None
            else None,
        }


def decision_schema(
    allowed: Collection[str] = ("post", "comment", "vote"),
    *,
    scratch: bool = True,
    tasks: bool = True,
    calls: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The decision's JSON schema, its actions limited to the `allowed` ledger action types
    (``message`` and ``none`` need no action: they are ``notify`` and an empty list); the
    optional ``scratch`` and ``tasks_addressed`` left out when `scratch` / `tasks` say the beat
    has no use for them (the compact profile's minimal schema); the optional ``calls`` property
    (`soulbeat.turn.schema_calls.calls_schema`) when the beat offers tools to call."""
    variants = [
        {
            "type": "object",
            "properties": {"action": {"type": "string", "enum": [kind]}, **fields},
            "required": _ACTION_REQUIRED[kind],
            "additionalProperties": False,
        }
        for kind, fields in _ACTION_FIELDS.items()
        if kind in allowed
    ]
    actions: dict[str, Any] = {"type": "array", "maxItems": 10}
    actions["items"] = {"anyOf": variants} if variants else {"type": "object"}
    if not variants:
        actions["maxItems"] = 0
    properties: dict[str, Any] = {
        "notify": {"type": "boolean"},
        "message": {"type": "string"},
        "summary": {"type": "string"},
        "actions": actions,
    }
    if scratch:
        properties["scratch"] = {"type": "string"}
    if tasks:
        properties["tasks_addressed"] = {"type": "array", "items": {"type": "string"}}
    if calls is not None:
        properties["calls"] = dict(calls)
    return {
        "type": "object",
        "properties": properties,
        "required": ["notify", "message", "summary", "actions"],
        "additionalProperties": False,
    }


DECISION_SCHEMA: Mapping[str, Any] = decision_schema()
"""The decision's schema with every ledger action type."""


def looks_like_decision(obj: Mapping[str, Any]) -> bool:
    """Whether a JSON object is meant as a decision: it has ``notify`` and nothing but decision
    keys besides (an action object or a tool call is something else)."""
    return "notify" in obj and set(obj) <= DECISION_KEYS | {"reason"}


def parse_decision(obj: Mapping[str, Any]) -> tuple[Decision | None, list[str]]:
    """Read a decision object; ``(None, problems)`` when ``notify`` cannot be read as a boolean
    (such an object is never delivered). Other flaws are noted and worked around."""
    problems: list[str] = []
    notify = obj.get("notify")
    if isinstance(notify, str) and notify.strip().lower() in ("true", "false"):
        problems.append(f"notify is the text {notify!r}, read as a boolean")
        notify = notify.strip().lower() == "true"
    if not isinstance(notify, bool):
        problems.append(f"notify is {notify!r}, expected true or false; not a decision")
        return None, problems
    actions = obj.get("actions")
    if actions is None:
        actions = []
    if isinstance(actions, Mapping):
        problems.append("actions is one object, read as a list of one")
        actions = [actions]
    if not isinstance(actions, list):
        problems.append(f"actions is {type(actions).__name__}, expected a list; ignored")
        actions = []
    kept = [item for item in actions if isinstance(item, Mapping)]
    if len(kept) != len(actions):
        problems.append("actions that are not objects were ignored")
    tasks = obj.get("tasks_addressed")
    return (
        Decision(
            notify=notify,
            message=_text(obj, "message", problems),
            summary=_text(obj, "summary", problems),
            actions=tuple(dict(item) for item in kept),
            scratch=_text(obj, "scratch", problems) if "scratch" in obj else None,
            tasks_addressed=tuple(str(t) for t in tasks) if isinstance(tasks, list) else None,
            problems=tuple(problems),
        ),
        problems,
    )


def _text(obj: Mapping[str, Any], key: str, problems: list[str]) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{key} is not text; ignored")
        return ""
    return value.strip()
