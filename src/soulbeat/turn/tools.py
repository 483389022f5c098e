"""The tools a beat offers the model (SPEC §5.4 tier 1, §7.1), and reading their calls.

* ``heartbeat_respond(notify: bool, message?: str, summary: str)`` — always offered (when tools
  are offered at all): the model's answer to the beat. ``notify=false`` is an acknowledgement
  whatever else the reply says; ``notify=true`` sends ``message``.
* One tool per ledger action type the thread allows: ``ledger_post {submolt, title, content}``,
  ``ledger_comment {post_id, content, parent_id?}``, ``ledger_vote {target, id, direction}``.
  ``message`` has no tool of its own (it is ``heartbeat_respond`` with ``notify=true``) and
  ``none`` needs none.

A call's arguments are read with the same lenient reader as seed 000's JSON
(`soulbeat.actions.parse_action`), so a model that writes ``"id": 42`` or ``"upvote"`` is
understood the same way through either tier.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from soulbeat.actions.models import Action, Problem, parse_action
from soulbeat.llm.base import ToolCall, ToolSpec

__all__ = [
    "ACTION_TOOLS",
    "HEARTBEAT_RESPOND",
    "RESPOND_TOOL",
    "Respond",
    "action_from_call",
    "read_respond",
    "tool_action_type",
    "tools_for",
]

RESPOND_TOOL = "heartbeat_respond"

HEARTBEAT_RESPOND = ToolSpec(
    name=RESPOND_TOOL,
    description=(
        "Answer this heartbeat. notify=false when nothing needs the person's attention; "
        "notify=true to send them `message`. Always give a one-line `summary` of what you found."
    ),
    parameters={
        "type": "object",
        "properties": {
            "notify": {
                "type": "boolean",
                "description": "Whether to send `message` to the person.",
            },
            "message": {"type": "string", "description": "The alert to send when notify is true."},
            "summary": {"type": "string", "description": "One line: what you checked and found."},
            "scratch": {
                "type": "string",
                "description": "Optional: the whole new text of your scratch, a note your next "
                "heartbeat in this thread will be shown.",
            },
            "tasks_addressed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Optional: the names of the due tasks you dealt with.",
            },
        },
        "required": ["notify", "summary"],
        "additionalProperties": False,
    },
)

_ID = {"type": "string", "description": "The id as the ledger shows it."}

ACTION_TOOLS: Mapping[str, ToolSpec] = {
    "post": ToolSpec(
        name="ledger_post",
        description="Publish a new post in a ledger community (submolt).",
        parameters={
            "type": "object",
            "properties": {
                "submolt": {"type": "string", "description": "The community's name."},
                "title": {"type": "string", "maxLength": 300},
                "content": {"type": "string", "maxLength": 40_000},
            },
            "required": ["submolt", "title", "content"],
            "additionalProperties": False,
        },
    ),
    "comment": ToolSpec(
        name="ledger_comment",
        description="Comment on a ledger post, or reply to one of its comments (parent_id).",
        parameters={
            "type": "object",
            "properties": {
                "post_id": _ID,
                "content": {"type": "string", "maxLength": 10_000},
                "parent_id": _ID,
            },
            "required": ["post_id", "content"],
            "additionalProperties": False,
        },
    ),
    "vote": ToolSpec(
        name="ledger_vote",
        description="Up- or down-vote a ledger post or comment.",
        parameters={
            "type": "object",
            "properties": {
                "target": {"type": "string", "enum": ["post", "comment"]},
                "id": _ID,
                "direction": {"type": "string", "enum": ["up", "down"]},
            },
            "required": ["target", "id", "direction"],
            "additionalProperties": False,
        },
    ),
}
_TYPE_OF_TOOL = {spec.name: kind for kind, spec in ACTION_TOOLS.items()}


@dataclass(frozen=True)
class Respond:
    """A read ``heartbeat_respond`` call; ``problems`` say what was wrong with its arguments
    (``notify`` None when it could not be read, and then the call is not used)."""

    notify: bool | None
    message: str
    summary: str
    problems: tuple[str, ...] = ()


def tools_for(
    allowed: Collection[str], *, scratch: bool = True, tasks: bool = True
) -> tuple[ToolSpec, ...]:
    """``heartbeat_respond`` and the tool of each allowed ledger action type, in a fixed order;
    ``heartbeat_respond`` without its optional ``scratch`` / ``tasks_addressed`` when `scratch` /
    `tasks` say the beat has no use for them."""
    respond = HEARTBEAT_RESPOND
    unused = {name for name, used in (("scratch", scratch), ("tasks_addressed", tasks)) if not used}
    if unused:
        properties = {k: v for k, v in respond.parameters["properties"].items() if k not in unused}
        respond = ToolSpec(
            respond.name, respond.description, {**respond.parameters, "properties": properties}
        )
    return (respond, *(spec for kind, spec in ACTION_TOOLS.items() if kind in allowed))


def tool_action_type(name: str) -> str | None:
    """The action type a tool stands for (``ledger_vote`` → ``vote``), else None."""
    return _TYPE_OF_TOOL.get(name)


def action_from_call(call: ToolCall) -> tuple[Action | None, list[Problem]]:
    """The action a ledger tool call asks for, read like seed 000's JSON; problems as data."""
    kind = tool_action_type(call.name)
    if kind is None:
        return None, [Problem("", f"{call.name!r} is not a tool of this beat")]
    if call.problem is not None:
        return None, [Problem("", call.problem)]
    fields: dict[str, Any] = {
        k: v for k, v in call.arguments.items() if k not in ("action", "type")
    }
    return parse_action({"action": kind, **fields})


def read_respond(call: ToolCall) -> Respond:
    """Read a ``heartbeat_respond`` call; a missing or non-boolean ``notify`` is unusable."""
    if call.problem is not None:
        return Respond(None, "", "", (call.problem,))
    args = call.arguments
    problems: list[str] = []
    notify = args.get("notify")
    if isinstance(notify, str) and notify.strip().lower() in ("true", "false"):
        problems.append(f"notify is the text {notify!r}, read as a boolean")
        notify = notify.strip().lower() == "true"
    if not isinstance(notify, bool):
        problems.append(f"notify is {notify!r}, expected true or false; the call is not used")
        notify = None
    message, summary = _text(args, "message", problems), _text(args, "summary", problems)
    return Respond(notify, message, summary, tuple(problems))


def _text(args: Mapping[str, Any], key: str, problems: list[str]) -> str:
    value = args.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{key} is not text; ignored")
        return ""
    return value.strip()
