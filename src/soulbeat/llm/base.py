"""The `LLMProvider` protocol and the plain data that crosses it.

A provider turns one `ChatRequest` (messages, tool specs, sampling settings) into one
`Completion`. It knows nothing of heartbeats, threads or retries: those belong to the turn runner
and to `soulbeat.llm.resilience`. Everything here is a frozen dataclass so a request or a reply can
be recorded, compared and replayed without surprises.

Tool-call arguments arrive as JSON text. Text that is not a JSON object is the model's mistake, not
a failure of the wire: `ToolCall.problem` says what was wrong, `arguments` is empty and
`raw_arguments` keeps the text for the audit record.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol, runtime_checkable

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "Completion",
    "LLMProvider",
    "Role",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "estimate_tokens",
    "estimate_usage",
    "failure_message",
    "parse_retry_after",
    "reported_usage",
    "status_error",
]

Role = Literal["system", "user", "assistant", "tool"]

CHARS_PER_TOKEN = 4
"""The estimate's ratio: English prose and code average close to four characters per token."""

MESSAGE_OVERHEAD_TOKENS = 4
"""Tokens a chat template spends around each message (role markers, separators)."""


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asked to call.

    `arguments` is the parsed JSON object; when the model wrote something else, `arguments` is
    empty and `problem` explains why. `raw_arguments` is always the text as the model wrote it.
    """

    id: str
    name: str
    arguments: Mapping[str, Any]
    raw_arguments: str
    problem: str | None = None

    @classmethod
    def from_json(cls, id: str, name: str, raw_arguments: str | None) -> ToolCall:
        """Parse `raw_arguments`; an empty text means no arguments, anything but an object is a
        problem recorded on the call."""
        raw = raw_arguments or ""
        if not raw.strip():
            return cls(id, name, {}, raw)
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            return cls(id, name, {}, raw, f"arguments are not valid JSON: {exc}")
        if not isinstance(parsed, dict):
            kind = type(parsed).__name__
            return cls(id, name, {}, raw, f"arguments are a JSON {kind}, not an object")
        return cls(id, name, parsed, raw)

    @classmethod
    def from_mapping(cls, id: str, name: str, arguments: Mapping[str, Any]) -> ToolCall:
        """A call whose arguments the server already parsed (Ollama sends an object)."""
        return cls(id, name, dict(arguments), json.dumps(arguments, ensure_ascii=False))


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation.

    An assistant message may carry the `tool_calls` it made; a `tool` message answers one of them
    (`tool_call_id`, and `name` = the tool's name, which Ollama needs instead of the id).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call. `parameters` is a JSON schema of the arguments object; providers
    send it unchanged."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )


@dataclass(frozen=True)
class Usage:
    """Token counts of one exchange; `estimated` is true when the server did not report them
    (or reported only part) and `estimate_tokens` filled the gap."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ChatRequest:
    """What to ask: the conversation, the model, the tools it may call and how to sample.

    `None` leaves a setting to the server. `timeout` bounds this one exchange, in seconds.
    `origin` names who is asking (a thread) so the circuit breaker can tell a server that fails
    everyone from one caller whose request makes it fail; providers do not send it.
    `response_schema` is a JSON schema the answer's text must follow (structured output):
    Ollama's ``format``, OpenAI's ``response_format`` ``json_schema``.
    `tool_choice` makes the model call a tool: the name of one of `tools`, or ``required`` (any
    of them); OpenAI-compatible servers take it as ``tool_choice``; Ollama has no such setting
    and ignores it.
    """

    messages: tuple[ChatMessage, ...]
    model: str
    tools: tuple[ToolSpec, ...] = ()
    temperature: float | None = None
    max_tokens: int | None = None
    timeout: float | None = None
    origin: str | None = None
    response_schema: Mapping[str, Any] | None = None
    tool_choice: str | None = None


@dataclass(frozen=True)
class Completion:
    """The model's answer to one `ChatRequest`.

    `model` is the model that answered (as the server names it), `provider` the provider's name,
    `raw` the server's response body as JSON, `latency_ms` the wall time of the exchange.
    `ResilientProvider` fills the last two: `attempts` made in all, and `fallback_from`, the model
    first asked when a fallback model answered instead.
    """

    text: str
    tool_calls: tuple[ToolCall, ...]
    reasoning: str | None
    usage: Usage
    model: str
    provider: str
    raw: Mapping[str, Any]
    latency_ms: float
    attempts: int = 1
    fallback_from: str | None = None


@runtime_checkable
class LLMProvider(Protocol):
    """A model server behind one call: chat messages and tool specs in, one completion out.

    Contract:

    * `complete(request)` sends one non-streamed chat request and returns a `Completion`. It does
      not retry, does not fall back and keeps no conversation state; it honours
      `request.timeout` for the whole exchange.
    * Failures raise the `ProviderError` tree, never a client library's exception, and the message
      names the server's URL: ``<reason>: <base_url>`` and, where known, a detail in brackets.

      - `ProviderUnavailableError` (retryable): connection refused or reset →
        ``provider-unreachable``; no answer in time → ``provider-timeout``; a 5xx →
        ``provider-http-<status>``.
      - `ProviderRequestError` (do not retry): a 4xx (an unknown model is
        ``provider-http-404``, with the server's own message); a body that is not the protocol's
        JSON → ``provider-bad-response``.

    * The model's own mistakes are data: malformed tool-call arguments become
      `ToolCall.problem`, an empty reply is an empty `text`.
    * Usage is the server's count when reported, otherwise `estimate_usage` with
      `estimated=True`.
    * `aclose()` releases connections; the provider is not used afterwards.
    * A provider that can send `ChatRequest.response_schema` says so with a class attribute
      ``structured_output = True`` (optional: without it, decision mode ``auto`` offers tools).
    * `name` is the registry name (``ollama``, ``openai``); `base_url` is where requests go and the
      key of the provider's circuit breaker. Neither includes a credential.
    """

    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    async def complete(self, request: ChatRequest) -> Completion: ...

    async def aclose(self) -> None: ...


def estimate_tokens(text: str) -> int:
    """Rough token count of `text`: one token per four characters, rounded up (0 for "").

    Good to within a factor of about two for prose and code in Latin scripts; it overcounts
    nothing badly enough to break a budget. Used only when the server reports no usage.
    """
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_usage(request: ChatRequest, completion_text: str) -> Usage:
    """Estimated usage of an exchange: every message's content and tool-call arguments plus a
    per-message overhead for the prompt, the reply's text for the completion."""
    prompt = 0
    for message in request.messages:
        prompt += MESSAGE_OVERHEAD_TOKENS + estimate_tokens(message.content)
        prompt += sum(estimate_tokens(call.raw_arguments) for call in message.tool_calls)
    for tool in request.tools:
        prompt += estimate_tokens(tool.description + json.dumps(tool.parameters))
    return Usage(prompt, estimate_tokens(completion_text), estimated=True)


def reported_usage(
    request: ChatRequest, text: str, prompt_tokens: int | None, completion_tokens: int | None
) -> Usage:
    """The server's counts where it gave them, estimates for the rest."""
    if prompt_tokens is not None and completion_tokens is not None:
        return Usage(prompt_tokens, completion_tokens, estimated=False)
    guess = estimate_usage(request, text)
    return Usage(
        guess.prompt_tokens if prompt_tokens is None else prompt_tokens,
        guess.completion_tokens if completion_tokens is None else completion_tokens,
        estimated=True,
    )


_MAX_DETAIL = 300


def failure_message(reason: str, base_url: str, detail: str | None = None) -> str:
    """``<reason>: <base_url>`` and, when given, `` (<detail>)`` shortened to one line."""
    if not detail:
        return f"{reason}: {base_url}"
    flat = " ".join(detail.split())
    if len(flat) > _MAX_DETAIL:
        flat = flat[: _MAX_DETAIL - 1] + "…"
    return f"{reason}: {base_url} ({flat})"


def status_error(
    status: int,
    base_url: str,
    detail: str | None,
    retry_after: float | datetime | None = None,
) -> ProviderError:
    """The error for an HTTP error status: 5xx and 429 (too many requests) are worth retrying,
    any other status is not. `retry_after` is the server's ``Retry-After`` (`parse_retry_after`)."""
    reason = f"provider-http-{status}"
    message = failure_message(reason, base_url, detail)
    if status >= 500 or status == 429:
        return ProviderUnavailableError(message, reason=reason, retry_after=retry_after)
    return ProviderRequestError(message, reason=reason)


def parse_retry_after(value: str | None) -> float | datetime | None:
    """A ``Retry-After`` header: seconds, or an HTTP date (as an aware instant); None when absent
    or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
