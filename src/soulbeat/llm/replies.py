"""Reading a chat reply's JSON body, for both protocols, as pure functions.

The official clients hand back whatever a server sent: without strict validation a body of the
wrong shape becomes a half-filled object whose use raises ``AttributeError`` far from the wire.
So the providers read the body themselves, here, and check every field they use:

* `read_openai_reply(body)`: ``choices[0].message`` with ``content`` (text, null, or a list of
  text parts), ``tool_calls`` (function calls with JSON-text arguments), a reasoning field
  (``reasoning_content`` / ``reasoning``), ``model`` and ``usage``;
* `read_ollama_reply(body)`: ``message`` with ``content``, ``thinking`` and ``tool_calls``
  (arguments as an object), ``model``, ``prompt_eval_count`` / ``eval_count``.

A body that cannot be read raises `BadReply` naming the field and what was found; the provider
turns it into ``provider-bad-response``. Counts that are not non-negative integers are treated as
not reported (the provider then estimates). A model's own mistakes stay data: broken tool-call
arguments become `ToolCall.problem`.

`split_think` takes ``<think>…</think>`` blocks (DeepSeek-R1, Qwen3 and others write their
reasoning so) out of a reply's text. `error_detail` finds the server's own words in an error
body of any shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from soulbeat.llm.base import ToolCall

__all__ = [
    "BadReply",
    "ReplyParts",
    "error_detail",
    "read_ollama_reply",
    "read_openai_reply",
    "split_think",
]

_REASONING_FIELDS = ("reasoning_content", "reasoning")
_THINK = re.compile(r"<think>(.*?)(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_MAX_SHOWN = 120


class BadReply(ValueError):
    """The body is not the protocol's chat reply; the message says which field was wrong."""


@dataclass(frozen=True)
class ReplyParts:
    """What a chat reply says, checked: the text (think blocks removed), tool calls, reasoning,
    the model the server says answered (None when it did not say) and the token counts it
    reported (None each when it did not)."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    reasoning: str | None
    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


def split_think(text: str) -> tuple[str | None, str]:
    """``(reasoning, rest)``: every ``<think>`` block's inside joined, and the text without them.
    An unclosed ``<think>`` runs to the end. ``(None, text)`` when there is none."""
    found = [m.group(1).strip() for m in _THINK.finditer(text)]
    if not found:
        return None, text
    rest = _THINK.sub("", text).strip()
    thought = "\n\n".join(part for part in found if part)
    return thought or None, rest


def read_openai_reply(body: Any) -> ReplyParts:
    """The parts of an OpenAI chat completion body (module docstring)."""
    top = _mapping(body, "the body")
    choices = top.get("choices")
    if not isinstance(choices, list) or not choices:
        raise BadReply(f"choices is {_shown(choices)}, expected a non-empty list")
    choice = _mapping(choices[0], "choices[0]")
    message = _mapping(choice.get("message"), "choices[0].message")
    text = _content(message.get("content"), "choices[0].message.content")
    calls = tuple(_openai_calls(message.get("tool_calls")))
    reasoning = next(
        (
            value
            for key in _REASONING_FIELDS
            if isinstance(value := message.get(key), str) and value.strip()
        ),
        None,
    )
    usage = top.get("usage")
    counts = usage if isinstance(usage, Mapping) else {}
    return _parts(
        text,
        calls,
        reasoning,
        top.get("model"),
        counts.get("prompt_tokens"),
        counts.get("completion_tokens"),
    )


def read_ollama_reply(body: Any) -> ReplyParts:
    """The parts of an Ollama ``/api/chat`` reply body (module docstring)."""
    top = _mapping(body, "the body")
    message = _mapping(top.get("message"), "message")
    text = _content(message.get("content"), "message.content")
    thinking = message.get("thinking")
    reasoning = thinking if isinstance(thinking, str) and thinking.strip() else None
    calls = tuple(_ollama_calls(message.get("tool_calls")))
    return _parts(
        text,
        calls,
        reasoning,
        top.get("model"),
        top.get("prompt_eval_count"),
        top.get("eval_count"),
    )


def error_detail(body: Any, text: str) -> str:
    """The server's own words from an error body: ``{"error": {"message": …}}``,
    ``{"error": "…"}``, ``{"detail": …}`` or ``{"message": …}``, else the body's text."""
    if isinstance(body, Mapping):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, Mapping):
                value = value.get("message", value)
            if isinstance(value, str) and value.strip():
                return value
            if value is not None:
                return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(body, str) and body.strip():
        return body
    return text.strip() or "no detail"


def _parts(
    text: str,
    calls: tuple[ToolCall, ...],
    reasoning: str | None,
    model: Any,
    prompt_tokens: Any,
    completion_tokens: Any,
) -> ReplyParts:
    thought, rest = split_think(text)
    if thought:
        reasoning = f"{reasoning}\n\n{thought}" if reasoning else thought
    return ReplyParts(
        rest,
        calls,
        reasoning,
        model if isinstance(model, str) and model.strip() else None,
        _count(prompt_tokens),
        _count(completion_tokens),
    )


def _openai_calls(value: Any) -> list[ToolCall]:
    return _calls(value, "choices[0].message.tool_calls")


def _ollama_calls(value: Any) -> list[ToolCall]:
    return _calls(value, "message.tool_calls")


def _calls(value: Any, where: str) -> list[ToolCall]:
    """Function calls: arguments as JSON text (OpenAI) or as the object itself (Ollama, and
    some OpenAI-compatible servers)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadReply(f"{where} is {_shown(value)}, expected a list")
    calls: list[ToolCall] = []
    for index, item in enumerate(value):
        call = _mapping(item, f"{where}[{index}]")
        custom = call.get("custom")
        if "function" not in call and isinstance(custom, Mapping):
            # A free-text "custom" tool call: soulbeat declares none, so it is the model's mistake.
            problem = "a custom tool call, not a function call"
            custom_name, text = str(custom.get("name", "")), str(custom.get("input", ""))
            calls.append(ToolCall(_call_id(call, index), custom_name, {}, text, problem))
            continue
        function = _mapping(call.get("function"), f"{where}[{index}].function")
        name = function.get("name")
        if not isinstance(name, str):
            raise BadReply(f"{where}[{index}].function.name is {_shown(name)}, expected text")
        call_id = _call_id(call, index)
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):
            calls.append(ToolCall.from_mapping(call_id, name, arguments))
        else:
            raw = arguments if isinstance(arguments, str | None) else json.dumps(arguments)
            calls.append(ToolCall.from_json(call_id, name, raw))
    return calls


def _call_id(call: Mapping[str, Any], index: int) -> str:
    """The call's id, or ``call_<index>`` (Ollama numbers nothing) so a reply can point at it."""
    given = call.get("id")
    return given if isinstance(given, str) and given else f"call_{index}"


def _content(value: Any, where: str) -> str:
    """Message content: text, null, or a list of ``{"type": "text", "text": …}`` parts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        pieces = [part.get("text") for part in value if isinstance(part, Mapping)]
        if all(isinstance(piece, str) for piece in pieces) and len(pieces) == len(value):
            return "".join(str(piece) for piece in pieces)
    raise BadReply(f"{where} is {_shown(value)}, expected text")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadReply(f"{where} is {_shown(value)}, expected an object")
    return value


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _shown(value: Any) -> str:
    """A short description of a wrong value: its JSON type and the start of its text."""
    kind = {
        type(None): "null",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
    if value is None:
        return "missing"
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    return f"{kind} {text}"
