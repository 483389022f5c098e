"""`OpenAICompatProvider`: any server speaking OpenAI's chat completions API, through the official
``openai`` client (vLLM, llama.cpp's server, LM Studio, OpenAI itself).

One non-streamed ``POST {base_url}/chat/completions`` per request, tools in the
``{"type": "function", "function": {...}}`` shape. Reasoning comes from the ``reasoning_content``
or ``reasoning`` field of the message when the server sends one (vLLM, llama.cpp, DeepSeek, LM
Studio); usage when the server reports it, else an estimate.

The client's own retries are off (``max_retries=0``): `soulbeat.llm.resilience` owns retrying, so
that backoff runs on soulbeat's clock and every attempt counts toward the circuit breaker.
openai 3 runs on ``httpx2`` (the successor of httpx), so a test transport is an httpx2 one.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx2
import openai
from openai.types.chat import (
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
)

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import (
    ChatMessage,
    ChatRequest,
    Completion,
    ToolSpec,
    failure_message,
    parse_retry_after,
    reported_usage,
    status_error,
)
from soulbeat.llm.replies import BadReply, error_detail, read_openai_reply

__all__ = ["DEFAULT_OPENAI_URL", "OpenAICompatProvider"]

DEFAULT_OPENAI_URL = "http://127.0.0.1:8000/v1"
DEFAULT_TIMEOUT = 600.0
"""Seconds allowed for an exchange whose request sets no timeout."""

NO_API_KEY = "not-needed"
"""Sent when no key is configured: the client insists on one, local servers ignore it."""

# What the client lets through: its OpenAIError family, the timeout of `asyncio.timeout`, and
# ValueError (a body that is not JSON).
_CLIENT_ERRORS = (TimeoutError, openai.OpenAIError, httpx2.HTTPError, ValueError)


class OpenAICompatProvider:
    """An `LLMProvider` for an OpenAI-compatible server (contract on
    `soulbeat.llm.base.LLMProvider`).

    `base_url` includes the API prefix (``.../v1``). `api_key` is sent as a bearer token and never
    shown in a repr or a message. `transport` (an ``httpx2`` transport) replaces the HTTP
    transport, for tests. `timeout` applies when a request sets none.
    """

    name = "openai"
    structured_output = True

    def __init__(
        self,
        base_url: str = DEFAULT_OPENAI_URL,
        *,
        api_key: str | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._schema_flavour = "json_schema"
        http_client = httpx2.AsyncClient(transport=transport) if transport is not None else None
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=api_key or NO_API_KEY,
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"OpenAICompatProvider({self.base_url!r})"

    async def complete(self, request: ChatRequest) -> Completion:
        timeout = request.timeout if request.timeout is not None else self._timeout
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                try:
                    raw = await self._send(request, self._schema_flavour, timeout)
                except openai.APIStatusError as exc:
                    if not self._other_flavour_may_work(request, exc):
                        raise
                    # llama-cpp-python's server knows only ``json_object`` with a ``schema``:
                    # switch once, for this provider's life.
                    self._schema_flavour = "json_object"
                    raw = await self._send(request, self._schema_flavour, timeout)
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc, timeout) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return self._completion(request, raw, latency_ms)

    async def _send(self, request: ChatRequest, flavour: str, seconds: float | None) -> bytes:
        tools = [_tool(t) for t in request.tools]
        response = await self._client.chat.completions.with_raw_response.create(
            model=request.model,
            messages=[_message(m) for m in request.messages],
            tools=tools or openai.omit,
            tool_choice=_tool_choice(request) if tools else openai.omit,
            temperature=_given(request.temperature),
            max_tokens=_given(request.max_tokens),
            response_format=_response_format(request, flavour),
            stream=False,
            timeout=seconds,
        )
        return response.content

    def _other_flavour_may_work(self, request: ChatRequest, exc: openai.APIStatusError) -> bool:
        """Whether a refusal names ``json_schema`` in ``response_format`` (so the other way of
        sending a schema is worth one try)."""
        if request.response_schema is None or self._schema_flavour != "json_schema":
            return False
        words = _server_message(exc)
        return "response_format" in words and "json_schema" in words

    async def aclose(self) -> None:
        await self._client.close()

    def _translate(self, exc: Exception, timeout: float | None) -> ProviderError:
        """A client exception as a `ProviderError` naming this server."""
        url = self.base_url
        if isinstance(exc, TimeoutError | openai.APITimeoutError | httpx2.TimeoutException):
            detail = f"no answer within {timeout:g} s" if timeout is not None else None
            return ProviderUnavailableError(
                failure_message("provider-timeout", url, detail), reason="provider-timeout"
            )
        if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
            return ProviderUnavailableError(
                failure_message("provider-unreachable", url), reason="provider-unreachable"
            )
        if isinstance(exc, openai.APIStatusError):
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            return status_error(exc.status_code, url, _server_message(exc), retry_after)
        return _bad_response(url, f"{type(exc).__name__}: {exc}")

    def _completion(self, request: ChatRequest, raw: bytes, latency_ms: float) -> Completion:
        # The body is read here (`read_openai_reply`), not through the client's models: without
        # strict validation those are half-filled for a body of another shape.
        try:
            body = json.loads(raw)
        except ValueError as exc:
            shown = raw[:120].decode("utf-8", "replace")
            raise _bad_response(self.base_url, f"the body is not JSON: {shown!r}") from exc
        try:
            parts = read_openai_reply(body)
        except BadReply as exc:
            raise _bad_response(self.base_url, str(exc)) from exc
        return Completion(
            text=parts.text,
            tool_calls=parts.tool_calls,
            reasoning=parts.reasoning,
            usage=reported_usage(request, parts.text, parts.prompt_tokens, parts.completion_tokens),
            model=parts.model or request.model,
            provider=self.name,
            raw=body,
            latency_ms=latency_ms,
        )


def _tool_choice(request: ChatRequest) -> Any:
    """``tool_choice`` as OpenAI takes it: ``required``, or one function by name."""
    choice = request.tool_choice
    if choice is None:
        return openai.omit
    if choice == "required":
        return "required"
    return {"type": "function", "function": {"name": choice}}


def _response_format(request: ChatRequest, flavour: str) -> Any:
    """Structured output when the request carries a schema: OpenAI's ``json_schema`` (OpenAI,
    vLLM, llama.cpp's server, LM Studio), or ``json_object`` with a ``schema`` (llama-cpp-python's
    server, which refuses the first)."""
    if request.response_schema is None:
        return openai.omit
    schema = dict(request.response_schema)
    if flavour == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "heartbeat_decision", "schema": schema}}


def _given(value: float | int | None) -> Any:
    return openai.omit if value is None else value


def _bad_response(url: str, detail: str) -> ProviderRequestError:
    return ProviderRequestError(
        failure_message("provider-bad-response", url, detail), reason="provider-bad-response"
    )


def _server_message(exc: openai.APIStatusError) -> str:
    """The server's own words, whatever the shape of its error body."""
    return error_detail(exc.body, exc.response.text or exc.message)


def _message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "tool":
        return {
            "role": "tool",
            "content": message.content,
            "tool_call_id": message.tool_call_id or "",
        }
    if message.role == "assistant":
        calls: list[ChatCompletionMessageFunctionToolCallParam] = [
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
        if calls:
            return {"role": "assistant", "content": message.content or None, "tool_calls": calls}
        return {"role": "assistant", "content": message.content}
    if message.role == "system":
        return {"role": "system", "content": message.content}
    return {"role": "user", "content": message.content}


def _tool(tool: ToolSpec) -> ChatCompletionFunctionToolParam:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": dict(tool.parameters),
        },
    }
