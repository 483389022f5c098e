"""The OpenAI chat-completions request body, built from a `ChatRequest` as a pure function.

`chat_body(request, flavour)` returns the JSON object of one non-streamed
``POST {base_url}/chat/completions``: ``model``, ``messages``, ``stream: false`` and, only when
the request sets them, ``tools`` (``{"type": "function", "function": {...}}``), ``tool_choice``,
``temperature``, ``max_tokens`` and ``response_format``. A setting the request leaves unset is
left out, so the server's default applies.

Structured output has two flavours: ``json_schema`` (OpenAI, vLLM, llama.cpp's server, LM Studio)
and ``json_object`` with a ``schema`` (llama-cpp-python's server, which refuses the first).
`refuses_json_schema` reads a refusal's words to tell when the second is worth one try.

`encode(body)` is the compact UTF-8 JSON sent on the wire.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from soulbeat.llm.base import ChatMessage, ChatRequest, ToolSpec

__all__ = ["SchemaFlavour", "chat_body", "encode", "refuses_json_schema", "wire_message"]

SchemaFlavour = Literal["json_schema", "json_object"]

SCHEMA_NAME = "heartbeat_decision"
"""The name OpenAI's ``json_schema`` format requires for the schema."""


def chat_body(request: ChatRequest, flavour: SchemaFlavour = "json_schema") -> dict[str, Any]:
    """The request body for `request`, its schema (if any) sent in `flavour`."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [wire_message(m) for m in request.messages],
        "stream": False,
    }
    if request.tools:
        body["tools"] = [_tool(t) for t in request.tools]
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.response_schema is not None:
        schema = dict(request.response_schema)
        if flavour == "json_object":
            body["response_format"] = {"type": "json_object", "schema": schema}
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": schema},
            }
    return body


def encode(body: dict[str, Any]) -> bytes:
    """Compact JSON, UTF-8, non-ASCII text kept as written."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def refuses_json_schema(words: str) -> bool:
    """Whether a server's refusal names ``json_schema`` in ``response_format``."""
    return "response_format" in words and "json_schema" in words


def wire_message(message: ChatMessage) -> dict[str, Any]:
    """One message as the chat-completions API takes it."""
    if message.role == "tool":
        return {
            "role": "tool",
            "content": message.content,
            "tool_call_id": message.tool_call_id or "",
        }
    if message.role == "assistant" and message.tool_calls:
        calls = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    # A call whose arguments were not JSON is replayed as its parsed (empty) form
                    # so a strict server does not refuse the whole conversation.
                    "arguments": json.dumps(dict(call.arguments))
                    if call.problem or not call.raw_arguments
                    else call.raw_arguments,
                },
            }
            for call in message.tool_calls
        ]
        return {"role": "assistant", "content": message.content or None, "tool_calls": calls}
    return {"role": message.role, "content": message.content}


def _tool(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": dict(tool.parameters),
        },
    }


def _tool_choice(choice: str) -> Any:
    """``required``, or one function by name."""
    if choice == "required":
        return "required"
    return {"type": "function", "function": {"name": choice}}
