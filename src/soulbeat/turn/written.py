"""What a reply wrote besides prose (SPEC §9.3), found by pure functions.

Small local models rarely use real tool calls: they *write* them, as JSON in the text, fenced or
bare, several in one reply, or inside markup copied from their chat template
(``<tool_call>…</tool_call>``); they echo the tool list and the prompt's own markup
(``<untrusted-data>``). `scan_text` finds all of it:

* every JSON value in the text (objects and arrays, fenced or not, in order; a trailing comma or
  Python-style quoting is forgiven), each sorted into a `Written` item:

  - ``call`` — a tool call written as text: ``{"name": N, "arguments"|"parameters": {…}}``,
    ``{"function": {"name": N, "arguments": …}}``, ``{"tool"|"tool_name": N, "arguments"|"args"|
    "input": …}``; ``arguments`` may be JSON text. ``name`` and ``arguments`` are kept;
  - ``tool-list`` — a tool *definition* echoed back: ``{"type": "function", "function": {"name",
    "parameters": <schema>}}``, ``{"name", "description", "parameters": <schema>}``, ``{"tools":
    […]}``;
  - ``decision`` — an object with ``notify`` and only decision keys (`looks_like_decision`);
  - ``action`` — seed 000's action object: an ``action`` key, or a ``type`` naming an action type;
  - ``other`` — JSON that is none of these;

  an array is read item by item, ``{"tool_calls": […]}`` too;
* `Scan.prose`: the text without the JSON, the code fences and the markup tags;
* `Scan.echoed_markup`: whether the text holds tags of the prompt or of a chat template
  (``untrusted-data``, ``tools``, ``tool_call``, ``<|im_start|>`` …).

`is_bare_token(text)` says whether text is ``HEARTBEAT_OK`` and nothing else once markup, case
and punctuation are set aside (an acknowledgement by §9.3).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from soulbeat.actions.models import ACTION_TYPES
from soulbeat.turn.decision import looks_like_decision

__all__ = ["Scan", "Written", "WrittenKind", "is_bare_token", "scan_text", "strip_markup"]

WrittenKind = Literal["call", "tool-list", "decision", "action", "other"]

_MAX_STARTS = 200
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_-]*[ \t]*")
_TAG = re.compile(r"</?\s*[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>|<\|[^|<>]{1,40}\|>|\[/?[A-Z_]{3,20}\]")
_PROMPT_TAG = re.compile(
    r"</?\s*(?:untrusted[\s_-]*data|tools?|tool[_-]?calls?|tool[_-]?response|function[_-]?calls?|"
    r"functions?|system|user|assistant|im_start|im_end|start_of_turn|end_of_turn)\b[^<>]*>"
    r"|<\|[^|<>]{1,40}\|>|\[/?(?:TOOL_CALLS|AVAILABLE_TOOLS|INST|TOOL_RESULTS)\]",
    re.IGNORECASE,
)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_NOT_WORD = re.compile(r"[\W_]+")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input", "params")
_NAME_KEYS = ("name", "tool", "tool_name", "function_name")


@dataclass(frozen=True)
class Written:
    """One JSON value the reply wrote, sorted (module docstring). For a ``call``, ``name`` and
    ``arguments`` (None when they were not an object); for a ``tool-list`` the echoed names."""

    kind: WrittenKind
    value: Any
    name: str = ""
    arguments: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Scan:
    """What `scan_text` found: the sorted JSON, the prose left around it, and whether the text
    echoed the prompt's markup."""

    items: tuple[Written, ...]
    prose: str
    echoed_markup: bool

    def of(self, kind: WrittenKind) -> list[Written]:
        return [item for item in self.items if item.kind == kind]


def strip_markup(text: str) -> str:
    """`text` without tags (HTML-like, chat-template tokens) and code fences, spaces collapsed."""
    text = _FENCE.sub(" ", text)
    text = _TAG.sub(" ", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def is_bare_token(text: str) -> bool:
    """Whether `text` is the token alone in any letter case, once markup, emphasis and
    punctuation are set aside (``<untrusted-data>Heartbeat_OK</untrusted-data>``)."""
    bare = _NOT_WORD.sub("", strip_markup(text)).casefold()
    return bare == "heartbeatok"


def scan_text(text: str) -> Scan:
    """Find and sort what `text` wrote besides prose (module docstring)."""
    values, spans = _json_values(text)
    items: list[Written] = []
    for value in values:
        items.extend(_sort(value))
    prose = text
    for start, end in reversed(spans):
        prose = prose[:start] + " " + prose[end:]
    return Scan(tuple(items), strip_markup(prose), bool(_PROMPT_TAG.search(text)))


def _json_values(text: str) -> tuple[list[Any], list[tuple[int, int]]]:
    """Every JSON object or array in `text`, outermost first, with its span."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    spans: list[tuple[int, int]] = []
    position, attempts = 0, 0
    while attempts < _MAX_STARTS:
        match = re.compile(r"[{\[]").search(text, position)
        if match is None:
            break
        attempts += 1
        start = match.start()
        found = _decode_at(decoder, text, start)
        if found is None:
            position = start + 1
            continue
        value, end = found
        if isinstance(value, dict | list) and value:
            values.append(value)
            spans.append((start, end))
        position = end
    return values, spans


def _decode_at(decoder: json.JSONDecoder, text: str, start: int) -> tuple[Any, int] | None:
    """The JSON value starting at `start` and where it ends; a trailing comma or Python-style
    quoting is forgiven when the value closes on the same bracket."""
    try:
        return decoder.raw_decode(text, start)
    except ValueError:
        pass
    end = _closing(text, start)
    if end is None:
        return None
    chunk = _TRAILING_COMMA.sub(r"\1", text[start:end])
    try:
        return json.loads(chunk), end
    except ValueError:
        pass
    try:
        value = ast.literal_eval(chunk)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return (value, end) if isinstance(value, dict | list) else None


def _closing(text: str, start: int) -> int | None:
    """The index after the bracket closing the one at `start` (quotes respected), or None."""
    pairs = {"{": "}", "[": "]"}
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for index in range(start, min(len(text), start + 20_000)):
        char = text[index]
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in pairs:
            stack.append(pairs[char])
        elif char in "}]":
            if not stack or stack.pop() != char:
                return None
            if not stack:
                return index + 1
    return None


def _sort(value: Any) -> list[Written]:
    if isinstance(value, list):
        return [item for element in value for item in _sort(element)]
    if not isinstance(value, dict):
        return []
    calls = value.get("tool_calls")
    if isinstance(calls, list) and set(value) <= {"tool_calls", "role", "content"}:
        return [item for element in calls for item in _sort(element)]
    if isinstance(value.get("tools"), list):
        return [Written("tool-list", value, _names(value["tools"]))]
    if _is_definition(value):
        return [Written("tool-list", value, _name_of(value))]
    name = _name_of(value)
    if name:
        return [Written("call", value, name, _arguments_of(value))]
    if looks_like_decision(value):
        return [Written("decision", value)]
    if _is_action(value):
        return [Written("action", value)]
    return [Written("other", value)]


def _is_definition(value: Mapping[str, Any]) -> bool:
    inner = value.get("function")
    target = inner if isinstance(inner, Mapping) else value
    return _is_schema(target.get("parameters")) or (
        "description" in target and "arguments" not in target and "parameters" in target
    )


def _is_schema(value: Any) -> bool:
    return isinstance(value, Mapping) and (
        "properties" in value or value.get("type") == "object" or "required" in value
    )


def _name_of(value: Mapping[str, Any]) -> str:
    inner = value.get("function")
    if isinstance(inner, Mapping) and isinstance(inner.get("name"), str):
        return str(inner["name"]).strip()
    if isinstance(inner, str) and inner.strip():
        return inner.strip()
    for key in _NAME_KEYS:
        name = value.get(key)
        if isinstance(name, str) and name.strip() and (key != "name" or _has_arguments(value)):
            return name.strip()
    return ""


def _has_arguments(value: Mapping[str, Any]) -> bool:
    return any(key in value for key in _ARGUMENT_KEYS) or set(value) == {"name"}


def _arguments_of(value: Mapping[str, Any]) -> Mapping[str, Any] | None:
    inner = value.get("function")
    source = inner if isinstance(inner, Mapping) else value
    for key in _ARGUMENT_KEYS:
        if key not in source:
            continue
        arguments = source[key]
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                return None
        return arguments if isinstance(arguments, Mapping) else None
    return {}


def _is_action(value: Mapping[str, Any]) -> bool:
    if "action" in value:
        return True
    kind = value.get("type")
    return isinstance(kind, str) and kind.strip().lower() in ACTION_TYPES


def _names(tools: list[Any]) -> str:
    names = [_name_of(t) or str(t.get("name", "")) for t in tools if isinstance(t, Mapping)]
    return ", ".join(name for name in names if name)
