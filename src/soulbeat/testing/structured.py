"""How `FakeLLMServer` plays a server that honours structured output (a JSON schema).

A real server constrains the model's tokens to the schema, so whatever the model "meant" comes
out as JSON of that shape. The fake does the same with its scripted answer, in
`constrained_text(text, calls, schema)`:

* an answer that already is a JSON object stays as it is (a rule may script the exact JSON);
* for a heartbeat decision schema (it has ``notify``): a ``heartbeat_respond`` call becomes the
  decision; ledger tool calls become its ``actions``; a call of a tool the schema's ``calls``
  field offers (schema mode's tool rounds) becomes an item of ``calls``, others are dropped;
  text that is only the token becomes ``notify: false``; any other text becomes
  ``notify: true`` with the text as the message;
* for any other schema: the smallest instance of it (``true``, ``0``, ``""``, ``[]``, required
  keys only) — what a probe needs to see that the schema was honoured.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["constrained_text", "request_schema", "schema_flavour"]

_LEDGER_TOOLS = {"ledger_post": "post", "ledger_comment": "comment", "ledger_vote": "vote"}


def request_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON schema a chat request asks its answer to follow (Ollama's ``format``, OpenAI's
    ``json_schema``, or llama-cpp-python's ``json_object`` with a ``schema``), or None."""
    fmt = body.get("format")
    if isinstance(fmt, Mapping):
        return fmt
    response_format = body.get("response_format")
    if not isinstance(response_format, Mapping):
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
    else:
        schema = response_format.get("schema")
    return schema if isinstance(schema, Mapping) else None


def schema_flavour(body: Mapping[str, Any]) -> str | None:
    """``json_schema``, ``json_object`` or ``format``: how the request sent its schema."""
    if isinstance(body.get("format"), Mapping):
        return "format"
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and request_schema(body) is not None:
        return str(response_format.get("type"))
    return None


def constrained_text(
    text: str, calls: Sequence[tuple[str, Mapping[str, Any]]], schema: Mapping[str, Any]
) -> str:
    """The answer as the schema forces it out (module docstring)."""
    try:
        if isinstance(json.loads(text), dict) and not calls:
            return text
    except ValueError:
        pass
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and "notify" in properties:
        return json.dumps(_decision(text, calls, _callable(properties.get("calls"))))
    return json.dumps(_instance(schema))


def _callable(calls: Any) -> set[str]:
    """The tool names a decision schema's ``calls`` field offers."""
    names: set[str] = set()
    variants = calls.get("items", {}).get("anyOf", []) if isinstance(calls, Mapping) else []
    for variant in variants:
        names.update(variant.get("properties", {}).get("tool", {}).get("enum", []))
    return names


def _decision(
    text: str, calls: Sequence[tuple[str, Mapping[str, Any]]], callable_: set[str]
) -> dict[str, Any]:
    decision: dict[str, Any] = {"notify": False, "message": "", "summary": "", "actions": []}
    responded = False
    for name, arguments in calls:
        if name in callable_:
            decision.setdefault("calls", []).append({"tool": name, "arguments": dict(arguments)})
        elif name == "heartbeat_respond":
            responded = True
            decision["notify"] = bool(arguments.get("notify"))
            decision["message"] = str(arguments.get("message") or "")
            decision["summary"] = str(arguments.get("summary") or "")
        elif name in _LEDGER_TOOLS:
            decision["actions"].append({"action": _LEDGER_TOOLS[name], **dict(arguments)})
    if "calls" in decision and not responded:
        decision["summary"] = "looking things up first"
    elif not responded and text.strip() and text.strip() != "HEARTBEAT_OK":
        decision.update(notify=True, message=text.strip(), summary=text.strip()[:80])
    elif not responded:
        decision["summary"] = "nothing needs attention"
    return decision


def _instance(schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object":
        properties = schema.get("properties") or {}
        required = schema.get("required") or []
        return {key: _instance(properties.get(key) or {}) for key in required}
    if kind == "array":
        return []
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return 0
    if kind == "null":
        return None
    return ""
