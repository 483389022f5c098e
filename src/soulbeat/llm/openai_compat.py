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
from collections.abc import Mapping, Sequence
from typing import Any

import httpx2
import openai
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageParam,
    ChatCompletionMessageToolCallUnion,
)

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import (
    ChatMessage,
    ChatRequest,
    Completion,
    ToolCall,
    ToolSpec,
    failure_message,
    reported_usage,
    status_error,
)

__all__ = ["DEFAULT_OPENAI_URL", "OpenAICompatProvider"]

DEFAULT_OPENAI_URL = "http://127.0.0.1:8000/v1"
DEFAULT_TIMEOUT = 600.0
"""Seconds allowed for an exchange whose request sets no timeout."""

NO_API_KEY = "not-needed"
"""Sent when no key is configured: the client insists on one, local servers ignore it."""

_REASONING_FIELDS = ("reasoning_content", "reasoning")

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
        messages = [_message(m) for m in request.messages]
        tools = [_tool(t) for t in request.tools]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.chat.completions.create(
                    model=request.model,
                    messages=messages,
                    tools=tools or openai.omit,
                    temperature=_given(request.temperature),
                    max_tokens=_given(request.max_tokens),
                    stream=False,
                    timeout=timeout,
                )
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc, timeout) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return self._completion(request, response, latency_ms)

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
            return status_error(exc.status_code, url, _server_message(exc))
        return _bad_response(url, f"{type(exc).__name__}: {exc}")

    def _completion(self, request: ChatRequest, response: object, latency_ms: float) -> Completion:
        # Without strict validation the client hands back whatever the body was (a str for a
        # non-JSON body, a half-filled model for JSON of another shape): check what is used.
        if not isinstance(response, ChatCompletion) or not response.choices:
            raise _bad_response(self.base_url, "no choices in the reply")
        message = response.choices[0].message
        if message is None or not isinstance(message.content, str | None):
            raise _bad_response(self.base_url, "the first choice has no message")
        text = message.content or ""
        usage = response.usage
        return Completion(
            text=text,
            tool_calls=tuple(_tool_calls(message.tool_calls or ())),
            reasoning=_reasoning(message.model_extra or {}),
            usage=reported_usage(
                request,
                text,
                usage.prompt_tokens if usage else None,
                usage.completion_tokens if usage else None,
            ),
            model=response.model or request.model,
            provider=self.name,
            raw=response.to_dict(mode="json"),
            latency_ms=latency_ms,
        )


def _given(value: float | int | None) -> Any:
    return openai.omit if value is None else value


def _bad_response(url: str, detail: str) -> ProviderRequestError:
    return ProviderRequestError(
        failure_message("provider-bad-response", url, detail), reason="provider-bad-response"
    )


def _server_message(exc: openai.APIStatusError) -> str:
    """The server's own words: ``{"error": {"message": ...}}``, ``{"error": "..."}`` or the text."""
    body = exc.body
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            error = error.get("message", error)
        if isinstance(error, str):
            return error
    return exc.response.text or exc.message


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


def _tool_calls(calls: Sequence[ChatCompletionMessageToolCallUnion]) -> list[ToolCall]:
    out: list[ToolCall] = []
    for index, call in enumerate(calls):
        call_id = call.id or f"call_{index}"
        if isinstance(call, ChatCompletionMessageFunctionToolCall):
            out.append(ToolCall.from_json(call_id, call.function.name, call.function.arguments))
        else:  # a free-text "custom" tool call: soulbeat declares none, so it is a mistake
            problem = "a custom tool call, not a function call"
            out.append(ToolCall(call_id, call.custom.name, {}, call.custom.input, problem))
    return out


def _reasoning(extra: Mapping[str, Any]) -> str | None:
    for key in _REASONING_FIELDS:
        value = extra.get(key)
        if isinstance(value, str) and value:
            return value
    return None
