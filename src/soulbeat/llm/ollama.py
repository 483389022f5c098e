"""`OllamaProvider`: Ollama's native chat API (``POST /api/chat``) through the official client.

The request is the one ``ollama.AsyncClient.chat`` would send (``stream: false``, ``tools``,
``options.temperature``, ``options.num_predict``); the reply is read by
`soulbeat.llm.replies.read_ollama_reply`: ``message.thinking`` (and ``<think>`` blocks in the
text) become `Completion.reasoning`, ``prompt_eval_count`` / ``eval_count`` the usage. An error
status becomes ``provider-http-<status>`` with the server's own words, whatever shape its
``error`` has; a 429's ``Retry-After`` travels on the error.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import ollama

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import (
    ChatMessage,
    ChatRequest,
    Completion,
    failure_message,
    parse_retry_after,
    reported_usage,
    status_error,
)
from soulbeat.llm.replies import BadReply, error_detail, read_ollama_reply

__all__ = ["DEFAULT_OLLAMA_URL", "OllamaProvider"]

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_TIMEOUT = 600.0
"""Seconds allowed for an exchange whose request sets no timeout."""

# What the HTTP exchange lets through: httpx's errors, the timeout of `asyncio.timeout`.
_CLIENT_ERRORS = (TimeoutError, ConnectionError, httpx.HTTPError)


class OllamaProvider:
    """An `LLMProvider` for an Ollama server (contract on `soulbeat.llm.base.LLMProvider`).

    `api_key` is sent as a bearer token (Ollama behind an authenticating proxy, Ollama's cloud);
    `transport` replaces the HTTP transport, for tests. `timeout` applies when a request sets none.
    """

    name = "ollama"

    def __init__(
        self,
        base_url: str = DEFAULT_OLLAMA_URL,
        *,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        headers = {"authorization": f"Bearer {api_key}"} if api_key else None
        options: dict[str, Any] = {"headers": headers}
        if transport is not None:
            options["transport"] = transport
        self._client = ollama.AsyncClient(self.base_url, **options)

    def __repr__(self) -> str:
        return f"OllamaProvider({self.base_url!r})"

    async def complete(self, request: ChatRequest) -> Completion:
        timeout = request.timeout if request.timeout is not None else self._timeout
        body = _chat_body(request)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                # The client's own `chat()` would pass the tools through ollama-python's `Tool`
                # model, which keeps only type/items/description/enum of each property and
                # silently drops every other JSON-schema keyword; and its reply parsing and error
                # type break on bodies of an unexpected shape (an `error` that is an object).
                # So the body is sent through the client's configured HTTP client (its base URL
                # and headers) and the reply read by `read_ollama_reply`, which checks each field.
                response = await self._client._client.post("/api/chat", json=body)
                raw = response.content
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc, timeout) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return self._completion(request, response, raw, latency_ms)

    async def aclose(self) -> None:
        await self._client._client.aclose()

    def _completion(
        self, request: ChatRequest, response: httpx.Response, raw: bytes, latency_ms: float
    ) -> Completion:
        try:
            decoded: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            decoded = raw.decode("utf-8", "replace")
            if response.status_code < 400:
                shown = decoded[:120]
                raise _bad_response(self.base_url, f"the body is not JSON: {shown!r}") from None
        if response.status_code >= 400:
            detail = error_detail(decoded, response.text)
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise status_error(response.status_code, self.base_url, detail, retry_after)
        try:
            parts = read_ollama_reply(decoded)
        except BadReply as exc:
            raise _bad_response(self.base_url, str(exc)) from exc
        return Completion(
            text=parts.text,
            tool_calls=parts.tool_calls,
            reasoning=parts.reasoning,
            usage=reported_usage(request, parts.text, parts.prompt_tokens, parts.completion_tokens),
            model=parts.model or request.model,
            provider=self.name,
            raw=decoded,
            latency_ms=latency_ms,
        )

    def _translate(self, exc: Exception, timeout: float | None) -> ProviderError:
        """A transport exception as a `ProviderError` naming this server."""
        url = self.base_url
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            detail = f"no answer within {timeout:g} s" if timeout is not None else None
            return ProviderUnavailableError(
                failure_message("provider-timeout", url, detail), reason="provider-timeout"
            )
        if isinstance(exc, ConnectionError | httpx.TransportError):
            return ProviderUnavailableError(
                failure_message("provider-unreachable", url), reason="provider-unreachable"
            )
        return _bad_response(url, f"{type(exc).__name__}: {exc}")


def _bad_response(url: str, detail: str) -> ProviderRequestError:
    return ProviderRequestError(
        failure_message("provider-bad-response", url, detail), reason="provider-bad-response"
    )


def _chat_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [_message(m) for m in request.messages],
        "stream": False,
    }
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": dict(tool.parameters),
                },
            }
            for tool in request.tools
        ]
    options: dict[str, Any] = {}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.max_tokens is not None:
        options["num_predict"] = request.max_tokens
    if options:
        body["options"] = options
    return body


def _message(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": call.name, "arguments": dict(call.arguments)}}
            for call in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        out["tool_name"] = message.name
    return out
