"""`OllamaProvider`: Ollama's native chat API (``POST /api/chat``) through the official client.

The request is the one ``ollama.AsyncClient.chat`` would send (``stream: false``, ``tools``,
``options.temperature``, ``options.num_predict``); the reply's ``message.thinking`` becomes
`Completion.reasoning` and ``prompt_eval_count`` / ``eval_count`` the usage.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import ollama
from ollama import ChatResponse

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import (
    ChatMessage,
    ChatRequest,
    Completion,
    ToolCall,
    failure_message,
    reported_usage,
    status_error,
)

__all__ = ["DEFAULT_OLLAMA_URL", "OllamaProvider"]

DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"
DEFAULT_TIMEOUT = 600.0
"""Seconds allowed for an exchange whose request sets no timeout."""

# What the client lets through: its own ResponseError and ConnectionError, httpx's errors, the
# timeout of `asyncio.timeout`, and ValueError (a body that is not JSON, or not a chat reply).
_CLIENT_ERRORS = (TimeoutError, ConnectionError, httpx.HTTPError, ollama.ResponseError, ValueError)


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
                # `AsyncClient.chat()` would validate the tools through ollama-python's `Tool`
                # model, which keeps only type/items/description/enum of each property and
                # silently drops every other JSON-schema keyword (nested `properties`, `minimum`,
                # `maxLength`, `anyOf`, `additionalProperties` ...). So the body chat() would build
                # is built here with the schemas intact and sent through the client's own request
                # path, which still does the HTTP, the error mapping and the `ChatResponse` parsing.
                response = await self._client._request(
                    ChatResponse, "POST", "/api/chat", json=body, stream=False
                )
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc, timeout) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return _completion(request, response, latency_ms)

    async def aclose(self) -> None:
        await self._client.close()  # type: ignore[no-untyped-call]  # untyped in ollama 0.6

    def _translate(self, exc: Exception, timeout: float | None) -> ProviderError:
        """A client or transport exception as a `ProviderError` naming this server."""
        url = self.base_url
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            detail = f"no answer within {timeout:g} s" if timeout is not None else None
            return ProviderUnavailableError(
                failure_message("provider-timeout", url, detail), reason="provider-timeout"
            )
        if isinstance(exc, ConnectionError | httpx.TransportError):
            # ollama-python turns httpx.ConnectError into the builtin ConnectionError.
            return ProviderUnavailableError(
                failure_message("provider-unreachable", url), reason="provider-unreachable"
            )
        if isinstance(exc, ollama.ResponseError) and exc.status_code >= 400:
            return status_error(exc.status_code, url, exc.error)
        # A JSON decode or pydantic validation error: the body is not Ollama's chat reply.
        return ProviderRequestError(
            failure_message("provider-bad-response", url, f"{type(exc).__name__}: {exc}"),
            reason="provider-bad-response",
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


def _completion(request: ChatRequest, response: ChatResponse, latency_ms: float) -> Completion:
    message = response.message
    text = message.content or ""
    # Ollama's tool calls carry no id; number them so a reply can still point at one.
    calls = tuple(
        ToolCall.from_mapping(f"call_{index}", call.function.name, call.function.arguments)
        for index, call in enumerate(message.tool_calls or ())
    )
    return Completion(
        text=text,
        tool_calls=calls,
        reasoning=message.thinking or None,
        usage=reported_usage(request, text, response.prompt_eval_count, response.eval_count),
        model=response.model or request.model,
        provider=OllamaProvider.name,
        raw=response.model_dump(mode="json", exclude_none=True),
        latency_ms=latency_ms,
    )
