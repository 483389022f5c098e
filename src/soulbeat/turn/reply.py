"""Reading the model's reply (SPEC §5.4, §6, §7.3), as pure functions.

A beat's reply is one `Payload` per model round (text, reasoning, tool calls). `read_reply`
turns them into a `Reading`:

* Reasoning is taken out first: the provider's reasoning field, and a text that starts with
  ``Reasoning:`` (any case, optionally in ``**``/``_`` before or after the colon) up to its
  first blank line — the whole text when it has none. What is left of each payload is its
  content.
* **Tier 1**, tool calls: the last usable ``heartbeat_respond`` call decides. ``notify=false``
  is an ack whatever the text says; ``notify=true`` is an alert with ``message`` (the last
  content, then the summary, when ``message`` is blank). The alert loses an edge token
  (``message`` mode of `strip_heartbeat_token`); an alert that was only the token is an ack.
* Otherwise the **last payload with content** is the reply (G1), read by:
* **Tier 2**, a JSON action object (seed 000): a ```` ```json ```` fence, the whole text, or the
  first ``{…}`` in it that parses to an object naming ``action`` or ``type``. ``none`` is an ack,
  ``message`` an alert, ``post``/``comment``/``vote`` an action, and an object that names an
  action but cannot be read is an action with problems (rejected later). Text that is not valid
  JSON is not tier 2: it falls through to
* **Tier 3**, plain text with the HEARTBEAT_OK contract (``heartbeat`` mode, ``ack_max_chars``).
  When the token is stripped and what is left is short enough to be dropped, that text is kept
  as ``dropped_text`` so nothing is lost silently.

An empty reply (no content at all) is ``empty``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from soulbeat.actions.models import (
    Action,
    MessageAction,
    NoneAction,
    Problem,
    parse_action,
)
from soulbeat.contract.ack import strip_heartbeat_token
from soulbeat.llm.base import Completion, ToolCall
from soulbeat.turn.tools import RESPOND_TOOL, Respond, read_respond

__all__ = [
    "JsonAction",
    "Payload",
    "Reading",
    "ReplyKind",
    "find_json_action",
    "payload_of",
    "read_reply",
    "split_reasoning",
]

ReplyKind = Literal["empty", "ack", "alert", "action"]

_EMPHASIS = r"(?:\*\*|__|_|\*)?"
_REASONING = re.compile(rf"\A\s*{_EMPHASIS}reasoning{_EMPHASIS}\s*:{_EMPHASIS}", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|Json)?[ \t]*\n?(.*?)```", re.DOTALL)
_MAX_BRACES = 32
_TYPE_KEYS = ("action", "type")


@dataclass(frozen=True)
class Payload:
    """What one model round gave back."""

    text: str
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class JsonAction:
    """A tier-2 action: the object as written, the action read from it (None when it could not
    be read) and the reader's problems."""

    written: Mapping[str, Any]
    action: Action | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Reading:
    """What the reply means. ``text`` is the alert for ``alert`` and the deciding text
    otherwise; ``tier`` is None for an empty reply."""

    kind: ReplyKind
    tier: int | None
    text: str = ""
    reasoning: str = ""
    summary: str = ""
    json_action: JsonAction | None = None
    dropped_text: str | None = None
    problems: tuple[str, ...] = ()


def payload_of(completion: Completion) -> Payload:
    return Payload(completion.text or "", completion.reasoning, completion.tool_calls)


def split_reasoning(text: str) -> tuple[str, str]:
    """``(reasoning, rest)`` of a text that starts with ``Reasoning:``; ``("", text)`` otherwise."""
    match = _REASONING.match(text)
    if match is None:
        return "", text
    body = text[match.end() :]
    parts = _BLANK_LINE.split(body.strip("\n"), maxsplit=1)
    return parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""


def find_json_action(text: str) -> JsonAction | None:
    """The first JSON object in ``text`` that names an action (module docstring), read."""
    for candidate in _json_objects(text):
        if any(key in candidate for key in _TYPE_KEYS):
            action, problems = parse_action(candidate)
            return JsonAction(candidate, action, tuple(problems))
    return None


def read_reply(payloads: Sequence[Payload], *, ack_max_chars: int = 300) -> Reading:
    """The meaning of a beat's reply; see the module docstring for the tiers."""
    reasoning, contents = _separate(payloads)
    last = contents[-1] if contents else ""
    respond, problems = _last_respond(payloads)
    if respond is not None:
        reading = _tier1(respond, last)
    elif not last.strip():
        reading = Reading("empty", None)
    else:
        reading = _tier2(last) or _tier3(last, ack_max_chars)
    return replace(reading, reasoning=reasoning, problems=(*problems, *reading.problems))


def _separate(payloads: Sequence[Payload]) -> tuple[str, list[str]]:
    pieces: list[str] = []
    contents: list[str] = []
    for payload in payloads:
        if payload.reasoning and payload.reasoning.strip():
            pieces.append(payload.reasoning.strip())
        thought, rest = split_reasoning(payload.text)
        if thought:
            pieces.append(thought)
        if rest.strip():
            contents.append(rest)
    return "\n\n".join(pieces), contents


def _last_respond(payloads: Sequence[Payload]) -> tuple[Respond | None, list[str]]:
    found: Respond | None = None
    problems: list[str] = []
    for payload in payloads:
        for call in payload.tool_calls:
            if call.name != RESPOND_TOOL:
                continue
            respond = read_respond(call)
            problems.extend(f"{RESPOND_TOOL}: {problem}" for problem in respond.problems)
            if respond.notify is not None:
                found = respond
    return found, problems


def _tier1(respond: Respond, last: str) -> Reading:
    if not respond.notify:
        return Reading("ack", 1, last.strip(), summary=respond.summary)
    problems: list[str] = []
    message = respond.message or last.strip() or respond.summary
    if not respond.message:
        problems.append(f"{RESPOND_TOOL}: notify=true without a message; used {message!r}")
    return _alert(message, 1, respond.summary, problems)


def _tier2(text: str) -> Reading | None:
    found = find_json_action(text)
    if found is None:
        return None
    action = found.action
    if isinstance(action, NoneAction):
        return Reading("ack", 2, action.reason, json_action=found)
    if isinstance(action, MessageAction):
        return replace(_alert(action.text, 2, "", []), json_action=found)
    return Reading("action", 2, text.strip(), json_action=found)


def _tier3(text: str, ack_max_chars: int) -> Reading:
    result = strip_heartbeat_token(text, mode="heartbeat", ack_max_chars=ack_max_chars)
    if not result.should_skip:
        return Reading("alert", 3, result.text.strip())
    dropped = result.text.strip() or None
    return Reading("ack", 3, text.strip(), dropped_text=dropped)


def _alert(message: str, tier: int, summary: str, problems: list[str]) -> Reading:
    result = strip_heartbeat_token(message, mode="message")
    if result.should_skip:
        problems.append("the alert held nothing but HEARTBEAT_OK; read as an ack")
        return Reading("ack", tier, message.strip(), summary=summary, problems=tuple(problems))
    return Reading("alert", tier, result.text.strip(), summary=summary, problems=tuple(problems))


def _json_objects(text: str) -> list[dict[str, Any]]:
    """JSON objects found in ``text``: fenced blocks first, then the text, then each ``{``."""
    found: list[dict[str, Any]] = []
    for block in _FENCE.findall(text):
        _append_object(found, block.strip())
    if found:
        return found
    _append_object(found, text.strip())
    if found:
        return found
    decoder = json.JSONDecoder()
    start = text.find("{")
    for _ in range(_MAX_BRACES):
        if start < 0:
            break
        try:
            value, _end = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict):
            found.append(value)
        start = text.find("{", start + 1)
    return found


def _append_object(found: list[dict[str, Any]], text: str) -> None:
    if not text.startswith("{"):
        return
    try:
        value = json.loads(text)
    except ValueError:
        return
    if isinstance(value, dict):
        found.append(value)
