"""Reading the model's reply (SPEC §5.4, §6, §7.3, §9.3), as pure functions.

A beat's reply is one `Payload` per model round (text, reasoning, tool calls). `read_reply`
turns them into a `Reading` whose `decision` has one shape whatever the tier (§9.3):

* Reasoning is taken out first: the provider's reasoning field, ``<think>`` blocks, and a text
  that starts with ``Reasoning:`` (any case, optionally in ``**``/``_``) up to its first blank
  line — the whole text when it has none. What is left of each payload is its content.
* **Tier 1**, tool calls: the last usable ``heartbeat_respond`` call decides. ``notify=false``
  is an ack whatever the text says; ``notify=true`` is an alert with ``message`` (the last
  content, then the summary, when ``message`` is blank).
* Otherwise the **last payload with content** is the reply (G1), and what it wrote besides prose
  is found (`soulbeat.turn.written`):
* **Tier 2**, JSON in the text, fenced or bare, several objects in one reply: a tool call written
  as text (``{"name": "heartbeat_respond", "arguments": {…}}``) decides like tier 1 and a written
  ledger tool call is an action; a decision object (``{"notify": …, "message": …, "actions":
  […]}``, what structured output returns); seed 000's action objects — **every** one is read,
  ``none`` is an ack, ``message`` the alert, ``post``/``comment``/``vote`` actions, and one that
  names an action but cannot be read is an action with problems (rejected later).
* **Unreadable** — never delivered: a call of a tool the beat does not know, an echoed tool list,
  JSON that is not a decision, a reply that is only markup or that echoes the prompt's markup,
  and an alert whose message is any of these. The beat ends ``skipped`` / ``unreadable`` with the
  text and the reason on the audit record.
* **Tier 3**, plain text with the HEARTBEAT_OK contract (``heartbeat`` mode, ``ack_max_chars``).
  The token alone in another letter case or inside markup (``<untrusted-data>Heartbeat_OK
  </untrusted-data>``) is an ack; elsewhere a token in another case is read as the token and the
  strict rules decide position and length. When the token is stripped and what is left is short
  enough to be dropped, that text is kept as ``dropped_text`` so nothing is lost silently.

Alerts lose an edge token (``message`` mode of `strip_heartbeat_token`); an alert that was only
the token is an ack. An empty reply (no content at all) is ``empty``.
"""

from __future__ import annotations

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
from soulbeat.llm.replies import split_think
from soulbeat.turn.decision import Decision, parse_decision
from soulbeat.turn.echo import EchoSource, echo_reason
from soulbeat.turn.tools import RESPOND_TOOL, Respond, action_from_call, read_respond
from soulbeat.turn.tools import tool_action_type as _tool_action_type
from soulbeat.turn.written import Scan, Written, is_bare_token, scan_text

__all__ = [
    "JsonAction",
    "Payload",
    "Reading",
    "ReplyKind",
    "find_json_action",
    "payload_of",
    "read_reply",
    "split_reasoning",
    "undeliverable",
]

ReplyKind = Literal["empty", "ack", "alert", "action", "unreadable"]

_EMPHASIS = r"(?:\*\*|__|_|\*)?"
_REASONING = re.compile(rf"\A\s*{_EMPHASIS}reasoning{_EMPHASIS}\s*:{_EMPHASIS}", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ANY_CASE_TOKEN = re.compile(r"(?<![A-Za-z0-9])heartbeat[_ ]?ok(?![A-Za-z0-9])", re.IGNORECASE)
_TOKEN = "HEARTBEAT_OK"
_BROKEN_JSON = re.compile(r"""[{\[]\s*["'][^"'\n]{1,60}["']\s*:""")


@dataclass(frozen=True)
class Payload:
    """What one model round gave back."""

    text: str
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class JsonAction:
    """An action written in the text: the object as written, the action read from it (None
    when it could not be read) and the reader's problems."""

    written: Mapping[str, Any]
    action: Action | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Reading:
    """What the reply means. ``text`` is the alert for ``alert`` and the deciding text
    otherwise; ``tier`` is None for an empty reply. ``json_actions`` are the actions written in
    the text, to carry out in order; ``alert_source`` the ``message`` action that made the alert.
    ``decision`` is the reply in the one shape of §9.3 (None when empty or unreadable)."""

    kind: ReplyKind
    tier: int | None
    text: str = ""
    reasoning: str = ""
    summary: str = ""
    json_actions: tuple[JsonAction, ...] = ()
    alert_source: JsonAction | None = None
    dropped_text: str | None = None
    problems: tuple[str, ...] = ()
    decision: Decision | None = None

    @property
    def json_action(self) -> JsonAction | None:
        """The written action that decided: the alert's, else the first."""
        if self.alert_source is not None:
            return self.alert_source
        return self.json_actions[0] if self.json_actions else None


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
    """The first action object written in ``text``, read (None when there is none)."""
    for item in scan_text(text).items:
        if item.kind == "action":
            return _json_action(item.value)
    return None


def undeliverable(text: str) -> str | None:
    """Why `text` must not reach a person (machine text, §9.3), or None when it may."""
    scan = scan_text(text)
    if scan.items:
        return "the text is JSON, not a message"
    if _BROKEN_JSON.search(text):
        return "the text is JSON that cannot be read, not a message"
    if not re.sub(r"[\W_]+", "", scan.prose):
        return "the reply is only markup"
    if scan.echoed_markup:
        return "the reply echoes the prompt's markup"
    return None


def read_reply(
    payloads: Sequence[Payload], *, ack_max_chars: int = 300, echo: EchoSource | None = None
) -> Reading:
    """The meaning of a beat's reply; see the module docstring for the tiers. `echo` is what the
    beat's prompt said (`Prompt.echo_source`): an alert that mostly copies the prompt's own words
    back is unreadable (`soulbeat.turn.echo`); without it no alert is measured."""
    reasoning, contents = _separate(payloads)
    last = contents[-1] if contents else ""
    respond, problems = _last_respond(payloads)
    if respond is not None:
        reading = _from_respond(respond, last, tier=1)
    elif not last.strip():
        reading = Reading("empty", None)
    else:
        reading = _read_text(last, ack_max_chars)
    reading = replace(reading, reasoning=reasoning, problems=(*problems, *reading.problems))
    reading = _unless_echo(reading, echo)
    return replace(reading, decision=reading.decision or _decision_of(reading))


def _unless_echo(reading: Reading, echo: EchoSource | None) -> Reading:
    """An alert that is the prompt copied back becomes unreadable, its text kept for the audit
    (actions written beside it are dropped with it, as for any undeliverable alert)."""
    if reading.kind != "alert":
        return reading
    reason = echo_reason(reading.text, echo)
    if reason is None:
        return reading
    return Reading(
        "unreadable",
        reading.tier,
        reading.text,
        reasoning=reading.reasoning,
        summary=reading.summary,
        problems=(*reading.problems, reason),
    )


def _separate(payloads: Sequence[Payload]) -> tuple[str, list[str]]:
    pieces: list[str] = []
    contents: list[str] = []
    for payload in payloads:
        if payload.reasoning and payload.reasoning.strip():
            pieces.append(payload.reasoning.strip())
        think, text = split_think(payload.text)
        if think:
            pieces.append(think)
        thought, rest = split_reasoning(text)
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


def _from_respond(
    respond: Respond, last: str, *, tier: int, actions: tuple[JsonAction, ...] = ()
) -> Reading:
    """A reading from a ``heartbeat_respond`` decision (a real call, or one written as text)."""
    if not respond.notify:
        kind: ReplyKind = "action" if _acts(actions) else "ack"
        return Reading(kind, tier, last.strip(), summary=respond.summary, json_actions=actions)
    problems: list[str] = []
    fallback = last.strip() if last.strip() and undeliverable(last) is None else ""
    message = respond.message or fallback or respond.summary
    if not respond.message:
        problems.append(f"{RESPOND_TOOL}: notify=true without a message; used {message!r}")
    return _alert(message, tier, respond.summary, problems, actions)


def _read_text(text: str, ack_max_chars: int) -> Reading:
    scan = scan_text(text)
    written = _from_written(scan)
    if written is not None:
        return written
    if scan.items:
        if is_bare_token(scan.prose):
            return Reading("ack", 3, text.strip(), problems=tuple(_noted(scan)))
        return _unreadable(text, ("; ".join(_noted(scan)) or "JSON that is not a decision",))
    if is_bare_token(text):
        return Reading("ack", 3, text.strip())
    reason = undeliverable(text)
    if reason is not None:
        return _unreadable(text, (reason,))
    return _tier3(_ANY_CASE_TOKEN.sub(_TOKEN, text), ack_max_chars)


def _from_written(scan: Scan) -> Reading | None:
    """Tier 2: the decision the text's JSON makes, or None when it makes none."""
    calls = scan.of("call")
    actions = [_call_action(c) for c in calls if _tool_action_type(c.name) is not None]
    actions += [_json_action(item.value) for item in scan.of("action")]
    noted = _noted(scan)
    responds = [c for c in calls if c.name == RESPOND_TOOL]
    for call in reversed(responds):
        respond = read_respond(ToolCall.from_mapping("text", RESPOND_TOOL, call.arguments or {}))
        if respond.notify is not None:
            reading = _from_respond(respond, scan.prose, tier=2, actions=tuple(actions))
            return replace(reading, problems=(*reading.problems, *noted))
    for item in reversed(scan.of("decision")):
        decision, problems = parse_decision(item.value)
        if decision is None:
            continue
        listed = [_json_action(action) for action in decision.actions]
        respond = Respond(decision.notify, decision.message, decision.summary)
        reading = _from_respond(respond, "", tier=2, actions=(*listed, *actions))
        return replace(reading, problems=(*problems, *reading.problems, *noted))
    if actions:
        return replace(_from_actions(actions), problems=tuple(noted))
    return None


def _from_actions(actions: list[JsonAction]) -> Reading:
    """Seed 000's action objects: the last ``message`` is the alert, the rest are carried out."""
    messages = [a for a in actions if isinstance(a.action, MessageAction)]
    rest = tuple(a for a in actions if not isinstance(a.action, MessageAction))
    if messages:
        source = messages[-1]
        assert isinstance(source.action, MessageAction)
        reading = _alert(source.action.text, 2, "", [], rest)
        return replace(reading, alert_source=source)
    if not _acts(rest):
        last = rest[-1].action
        reason = last.reason if isinstance(last, NoneAction) else ""
        return Reading("ack", 2, reason, json_actions=rest)
    return Reading("action", 2, "", json_actions=rest)


def _acts(actions: Sequence[JsonAction]) -> bool:
    return any(not isinstance(a.action, NoneAction) for a in actions)


def _tier3(text: str, ack_max_chars: int) -> Reading:
    result = strip_heartbeat_token(text, mode="heartbeat", ack_max_chars=ack_max_chars)
    if not result.should_skip:
        return Reading("alert", 3, result.text.strip())
    dropped = result.text.strip() or None
    return Reading("ack", 3, text.strip(), dropped_text=dropped)


def _alert(
    message: str,
    tier: int,
    summary: str,
    problems: list[str],
    actions: tuple[JsonAction, ...] = (),
) -> Reading:
    reason = undeliverable(message)
    if reason is not None and not is_bare_token(message):
        reading = _unreadable(message, (*problems, f"the alert cannot be delivered: {reason}"))
        return replace(reading, tier=tier, summary=summary)
    result = strip_heartbeat_token(_ANY_CASE_TOKEN.sub(_TOKEN, message), mode="message")
    if result.should_skip:
        problems.append("the alert held nothing but HEARTBEAT_OK; read as an ack")
        kind: ReplyKind = "action" if _acts(actions) else "ack"
        return Reading(
            kind,
            tier,
            message.strip(),
            summary=summary,
            json_actions=actions,
            problems=tuple(problems),
        )
    return Reading(
        "alert",
        tier,
        result.text.strip(),
        summary=summary,
        json_actions=actions,
        problems=tuple(problems),
    )


def _unreadable(text: str, reasons: Sequence[str]) -> Reading:
    return Reading(
        "unreadable", 2 if scan_text(text).items else 3, text.strip(), problems=tuple(reasons)
    )


def _noted(scan: Scan) -> list[str]:
    """Problems with what the text wrote that is not used: unknown tools, echoed tool lists."""
    notes: list[str] = []
    for item in scan.items:
        if (
            item.kind == "call"
            and item.name != RESPOND_TOOL
            and _tool_action_type(item.name) is None
        ):
            notes.append(f"a call of {item.name!r}, which is not a tool of this beat, was not used")
        elif item.kind == "tool-list":
            notes.append(f"an echoed tool list ({item.name or 'no names'}) was ignored")
        elif item.kind == "other":
            notes.append("JSON that is neither a decision nor an action was ignored")
    return notes


def _call_action(call: Written) -> JsonAction:
    """A ledger tool call written as text, read like a real one."""
    arguments = dict(call.arguments) if call.arguments is not None else {}
    tool_call = ToolCall.from_mapping("text", call.name, arguments)
    action, problems = action_from_call(tool_call)
    if call.arguments is None:
        problems.append(Problem("", "the arguments are not a JSON object"))
    return JsonAction({"tool": call.name, "arguments": arguments}, action, tuple(problems))


def _json_action(obj: Mapping[str, Any]) -> JsonAction:
    action, problems = parse_action(obj)
    return JsonAction(obj, action, tuple(problems))


def _decision_of(reading: Reading) -> Decision | None:
    """The reading in the one shape of §9.3."""
    if reading.kind in ("empty", "unreadable"):
        return None
    return Decision(
        notify=reading.kind == "alert",
        message=reading.text if reading.kind == "alert" else "",
        summary=reading.summary,
        actions=tuple(a.written for a in reading.json_actions),
    )
