"""How a beat asks for its decision (issue 14): ``decision_mode`` = tools | schema | text | auto.

* ``tools`` — the ``heartbeat_respond`` tool and the ledger action tools are offered; the model
  answers with tool calls (or, as small models do, with calls written as text, which the reply
  reader also understands).
* ``schema`` — no tools; the answer is constrained to the decision schema
  (`soulbeat.turn.decision.decision_schema`) through the provider's structured output: Ollama's
  ``format``, OpenAI's ``response_format`` ``json_schema`` (llama.cpp, vLLM, LM Studio, OpenAI).
  A small model then cannot answer outside the schema.
* ``text`` — no tools, no schema: HEARTBEAT_OK or the alert as plain text (for servers with
  neither).
* ``auto`` (the default) — ``tools`` when the beat has tools that exist only as tool calls (the
  agent's MCP tools: a decision schema cannot call them); otherwise ``schema`` when the server
  honours a JSON schema, else ``tools``: `DecisionModes` probes each (server, model) once with a
  tiny constrained request and remembers the answer for the life of the process. A server that
  refuses the schema (a 4xx) or answers outside it is ``tools``; a server that cannot be reached
  is asked again next time (``tools`` meanwhile). A provider that declares
  ``structured_output = False`` (or does not say, like test doubles) is ``tools`` without a
  probe. Under ``schema`` the decision still carries ``scratch``, ``tasks_addressed`` and the
  ledger actions, and its ``calls`` field reaches the built-in read tools, the MEMORY.md tools
  and ``heartbeat_remind`` (`soulbeat.turn.schema_calls`); only MCP tools need ``tools`` mode.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, Literal

from soulbeat.errors import ProviderError, ProviderRequestError
from soulbeat.llm.base import ChatMessage, ChatRequest, LLMProvider

__all__ = ["PROBE_SCHEMA", "DecisionMode", "DecisionModes", "probe_mode"]

DecisionMode = Literal["tools", "schema", "text"]

PROBE_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
_PROBE_TIMEOUT = 60.0
_NOT_A_VERDICT = frozenset({"provider-http-404", "provider-http-401", "provider-http-403"})


async def probe_mode(provider: LLMProvider, model: str) -> DecisionMode | None:
    """``schema`` when `provider` answers `model` inside a JSON schema, ``tools`` when it refuses
    or ignores one, None when the probe told nothing (server down, unknown model, no access)."""
    request = ChatRequest(
        (
            ChatMessage("system", "Answer with a JSON object only."),
            ChatMessage("user", 'Is water wet? Answer {"ok": true} or {"ok": false}.'),
        ),
        model,
        temperature=0.0,
        max_tokens=16,
        timeout=_PROBE_TIMEOUT,
        response_schema=PROBE_SCHEMA,
    )
    try:
        completion = await provider.complete(request)
    except ProviderRequestError as error:
        return None if error.reason in _NOT_A_VERDICT else "tools"
    except ProviderError:
        return None
    try:
        value = json.loads(completion.text.strip())
    except ValueError:
        return "tools"
    return "schema" if isinstance(value, dict) and isinstance(value.get("ok"), bool) else "tools"


class DecisionModes:
    """The mode each (server, model) gets under ``auto``, probed once and remembered."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], DecisionMode] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def known(self) -> dict[str, DecisionMode]:
        """What was learnt so far, as ``"<url> <model>": mode`` (for status and doctor)."""
        return {f"{url} {model}": mode for (url, model), mode in sorted(self._known.items())}

    def remember(self, base_url: str, model: str, mode: DecisionMode) -> None:
        self._known[(base_url.rstrip("/"), model)] = mode

    async def resolve(
        self, provider: LLMProvider, model: str, configured: str, *, needs_tools: bool = False
    ) -> DecisionMode:
        """The mode to use: `configured` unless it is ``auto`` (module docstring); `needs_tools`
        says the beat offers tools that only tool calls reach (MCP), which ``auto`` keeps."""
        if configured in ("tools", "schema", "text"):
            return configured  # type: ignore[return-value]  # checked just above
        if needs_tools or not getattr(provider, "structured_output", False):
            return "tools"
        key = (provider.base_url.rstrip("/"), model)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # beats starting together wait for one probe
            if key not in self._known:
                found = await probe_mode(provider, model)
                if found is None:
                    return "tools"
                self._known[key] = found
        return self._known[key]
