"""`OpenAICompatProvider`: any server speaking OpenAI's chat completions API (vLLM, llama.cpp's
server, LM Studio, OpenAI itself), spoken directly over one shared ``httpx`` connection pool.

One non-streamed ``POST {base_url}/chat/completions`` per request; the body is built by
`soulbeat.llm.openai_wire.chat_body` and the reply read by `soulbeat.llm.replies.read_openai_reply`,
which checks every field it uses. Reasoning comes from the ``reasoning_content`` or ``reasoning``
field of the message when the server sends one (vLLM, llama.cpp, DeepSeek, LM Studio); usage
when the server reports it, else an estimate.

Why not the official ``openai`` client: at an instant model about half of a beat's CPU went into
it (typed request transforms, response models, its retry and auth wrappers), and soulbeat used
none of that: `soulbeat.llm.resilience` owns retrying, so that backoff runs on soulbeat's clock
and every attempt counts toward the circuit breaker; the body is read here anyway.

Errors: a status outside 2xx becomes ``provider-http-<status>`` with the server's own words
(from ``error.message``, ``error``, ``detail`` or ``message``, else the text) and, for a 429 or
5xx, the ``Retry-After`` it sent; no answer in time is ``provider-timeout``; a refused or broken
connection is ``provider-unreachable``; a 2xx body that is not a chat reply is
``provider-bad-response``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import (
    ChatRequest,
    Completion,
    failure_message,
    parse_retry_after,
    reported_usage,
    status_error,
)
from soulbeat.llm.openai_wire import SchemaFlavour, chat_body, encode, refuses_json_schema
from soulbeat.llm.reach import env_proxy, needs_tls
from soulbeat.llm.replies import BadReply, error_detail, read_openai_reply

__all__ = ["DEFAULT_OPENAI_URL", "NO_API_KEY", "OpenAICompatProvider", "env_proxy"]

DEFAULT_OPENAI_URL = "http://127.0.0.1:8000/v1"
DEFAULT_TIMEOUT = 600.0
"""Seconds allowed for an exchange whose request sets no timeout."""

NO_API_KEY = "not-needed"
"""Sent when no key is configured: some servers insist on a bearer token, local ones ignore it."""

_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
"""As many connections as a hosted server's in-flight limit may want; `llm_max_in_flight` is
the real bound."""

# What the HTTP exchange lets through: httpx's errors and the timeout of `asyncio.timeout`.
_CLIENT_ERRORS = (TimeoutError, ConnectionError, httpx.HTTPError)


class _StatusError(Exception):
    """A reply outside 2xx, carried from `_send` to `complete` (never leaves this module)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response

    @property
    def words(self) -> str:
        """The server's own words, whatever the shape of its error body."""
        text = self.response.text
        try:
            body: Any = json.loads(text) if text.strip() else None
        except ValueError:
            body = text
        if isinstance(body, dict) and "error" in body:
            body = body["error"]
        return error_detail(body, text)


class OpenAICompatProvider:
    """An `LLMProvider` for an OpenAI-compatible server (contract on
    `soulbeat.llm.base.LLMProvider`).

    `base_url` includes the API prefix (``.../v1``). `api_key` is sent as a bearer token and never
    shown in a repr or a message. `transport` (an ``httpx`` transport) replaces the HTTP
    transport, for tests. `timeout` applies when a request sets none.
    """

    name = "openai"
    structured_output = True

    def __init__(
        self,
        base_url: str = DEFAULT_OPENAI_URL,
        *,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._schema_flavour: SchemaFlavour = "json_schema"
        self._url = httpx.URL(f"{self.base_url}/chat/completions")
        self._headers = httpx.Headers(
            {
                "host": self._url.netloc.decode("ascii"),
                "authorization": f"Bearer {api_key or NO_API_KEY}",
                "content-type": "application/json",
                "accept": "application/json",
                "user-agent": "soulbeat",
            }
        )
        # The transport is the shared connection pool. Requests go to it directly rather than
        # through an `httpx.AsyncClient`, whose cookie jar, auth and redirect steps cost about
        # a third of httpx's CPU per call and do nothing for one POST to a fixed URL.
        self._transport = transport or httpx.AsyncHTTPTransport(
            limits=_LIMITS, proxy=env_proxy(self._url), verify=needs_tls(self._url)
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
                except _StatusError as exc:
                    if not self._other_flavour_may_work(request, exc):
                        raise
                    # llama-cpp-python's server knows only ``json_object`` with a ``schema``:
                    # switch once, for this provider's life.
                    self._schema_flavour = "json_object"
                    raw = await self._send(request, self._schema_flavour, timeout)
        except _StatusError as exc:
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            raise status_error(
                exc.response.status_code, self.base_url, exc.words, retry_after
            ) from None
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc, timeout) from exc
        latency_ms = (time.perf_counter() - started) * 1000
        return self._completion(request, raw, latency_ms)

    async def _send(
        self, request: ChatRequest, flavour: SchemaFlavour, seconds: float | None
    ) -> bytes:
        content = encode(chat_body(request, flavour))
        headers = self._headers.copy()
        headers["content-length"] = str(len(content))
        ask = httpx.Request(
            "POST",
            self._url,
            headers=headers,
            content=content,
            extensions={"timeout": httpx.Timeout(seconds).as_dict()},
        )
        response = await self._transport.handle_async_request(ask)
        try:
            await response.aread()
        finally:
            await response.aclose()
        if not response.is_success:
            raise _StatusError(response)
        return response.content

    def _other_flavour_may_work(self, request: ChatRequest, exc: _StatusError) -> bool:
        """Whether a refusal names ``json_schema`` in ``response_format`` (so the other way of
        sending a schema is worth one try)."""
        if request.response_schema is None or self._schema_flavour != "json_schema":
            return False
        return refuses_json_schema(exc.words)

    async def aclose(self) -> None:
        await self._transport.aclose()

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

    def _completion(self, request: ChatRequest, raw: bytes, latency_ms: float) -> Completion:
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


def _bad_response(url: str, detail: str) -> ProviderRequestError:
    return ProviderRequestError(
        failure_message("provider-bad-response", url, detail), reason="provider-bad-response"
    )
