"""`FakeLLMServer`: a real HTTP model server on 127.0.0.1 for wire tests.

It speaks enough of two protocols for soulbeat's providers and the official clients:

* Ollama: ``POST /api/chat`` (NDJSON stream, or one JSON object with ``"stream": false``),
  ``GET /api/tags``;
* OpenAI: ``POST /v1/chat/completions`` (one JSON object, or SSE ``data:`` chunks ending with
  ``data: [DONE]`` when ``"stream": true``), ``GET /v1/models``.

Every chat request body is recorded in `requests`. What comes back is chosen by rules added with
`on()`; the first rule whose `match` fits the request answers, otherwise the server replies
`default_reply` ("HEARTBEAT_OK"). A model the server does not list gets each protocol's 404.

The server runs uvicorn in a background thread with its own event loop, so it works from sync and
async tests alike (``with FakeLLMServer() as server:`` or ``async with``). It is the outside world:
its delays are real `asyncio.sleep`s, so keep them tiny. It binds 127.0.0.1 only and never opens a
connection of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from soulbeat.testing.structured import constrained_text, request_schema, schema_flavour

__all__ = ["DEFAULT_MODELS", "FakeLLMServer", "ServerRule", "unused_local_url"]

DEFAULT_MODELS = ("fake-model", "fake-fallback")
_CREATED_AT = "2026-01-01T00:00:00Z"  # fixed: the fake's timestamps carry no meaning
_CREATED = 1767225600
_GARBAGE = "<html><body>502 Bad Gateway</body></html>"
_MAX_HANG = 30.0

Matcher = str | Callable[[Mapping[str, Any]], bool] | None
ToolCallSpec = tuple[str, Mapping[str, Any] | str]
"""A scripted tool call: the tool's name and its arguments, an object or raw (maybe broken) JSON."""


def unused_local_url() -> str:
    """``http://127.0.0.1:<port>`` for a port nothing listens on (for "server down" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class ServerRule:
    """How to answer requests that `match` (see `FakeLLMServer.on`)."""

    match: Matcher = None
    reply: str | None = None
    tool_calls: tuple[ToolCallSpec, ...] = ()
    reasoning: str | None = None
    reasoning_field: str = "reasoning_content"
    status: int | None = None
    error: str = "fake server error"
    delay: float = 0.0
    hang: bool = False
    garbage: bool = False
    usage: bool = True
    times: int | None = None
    numbered: bool = False
    body: Any = None
    headers: Mapping[str, str] | None = None
    echo: str | None = None

    def fits(self, body: Mapping[str, Any]) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.match is None:
            return True
        if isinstance(self.match, str):
            return self.match in _prompt_text(body)
        return self.match(body)


class FakeLLMServer:
    """A scripted Ollama + OpenAI-compatible server on a free port of 127.0.0.1.

    `models` are the model names it serves (``None``: any name); `default_reply` answers requests
    no rule matches; `port` 0 (the default) binds a free port. `structured_output` is what it
    does with a request that carries a JSON schema (Ollama ``format``, OpenAI ``response_format``
    ``json_schema``): ``honour`` answers inside it (`soulbeat.testing.structured`), ``refuse``
    answers 400, ``ignore`` answers as if there were none (an old server), ``json_object`` plays
    llama-cpp-python's server: it honours ``{"type": "json_object", "schema": …}`` and answers
    500 to ``json_schema``. `context_tokens`, when given, is the context window it reports, as
    Ollama does for a model set to it (``POST /api/show``: ``num_ctx`` in ``parameters``) and as
    llama.cpp's server does (``GET /props``: ``default_generation_settings.n_ctx``); without it
    both answer 404, like servers that do not say.
    """

    def __init__(
        self,
        *,
        models: Sequence[str] | None = DEFAULT_MODELS,
        default_reply: str = "HEARTBEAT_OK",
        structured_output: Literal["honour", "refuse", "ignore", "json_object"] = "honour",
        port: int = 0,
        context_tokens: int | None = None,
    ) -> None:
        self.models = tuple(models) if models is not None else None
        self.context_tokens = context_tokens
        self._want_port = port
        self.default_reply = default_reply
        self.structured_output = structured_output
        self._rules: list[ServerRule] = []
        self._requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self.app = Starlette(
            routes=[
                Route("/", self._root),
                Route("/api/chat", self._ollama_chat, methods=["POST"]),
                Route("/api/tags", self._ollama_tags),
                Route("/api/show", self._ollama_show, methods=["POST"]),
                Route("/props", self._props),
                Route("/v1/chat/completions", self._openai_chat, methods=["POST"]),
                Route("/v1/models", self._openai_models),
            ]
        )

    # -- scripting ----------------------------------------------------------------------------

    def on(
        self,
        match: Matcher = None,
        *,
        reply: str | None = None,
        tool_calls: Sequence[ToolCallSpec] = (),
        reasoning: str | None = None,
        reasoning_field: str = "reasoning_content",
        status: int | None = None,
        error: str = "fake server error",
        delay: float = 0.0,
        hang: bool = False,
        garbage: bool = False,
        usage: bool = True,
        times: int | None = None,
        numbered: bool = False,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        echo: str | None = None,
    ) -> Self:
        """Add a rule; rules are tried in the order added.

        `match`: text found in any message of the request, a predicate on the JSON body, or
        ``None`` for every request. `reply`: the answer's text (default `default_reply`, or ""
        beside tool calls). `tool_calls`: ``(name, arguments)`` pairs, in each protocol's shape.
        `reasoning`: sent as Ollama's ``message.thinking`` and as OpenAI's `reasoning_field`.
        `status`: answer with this HTTP status and `error` as the protocol's error body.
        `delay`: seconds to wait first. `hang`: never answer (until the server stops).
        `garbage`: a 200 whose body is not JSON. `usage=False`: report no token counts.
        `times`: how many requests the rule answers (``None``: all). `numbered`: ``{n}`` in the
        reply and in string arguments of the tool calls becomes the request's number (1, 2, ...),
        so each answer is unique (a crash test tells a re-asked model from a recorded answer).
        `body`: answer with exactly this JSON (status `status`, default 200), whatever the
        protocol expects: for malformed-reply tests. `headers`: extra headers on an error or
        `body` answer (``{"Retry-After": "7"}``). `echo`: a role (``"system"``, ``"user"``)
        or ``"all"``: the answer's text is the request's messages of that role copied back (what
        the smallest models do), in place of `reply`.
        """
        rule = ServerRule(
            match, reply, tuple(tool_calls), reasoning, reasoning_field, status, error, delay,
            hang, garbage, usage, times, numbered, body, headers, echo,
        )  # fmt: skip
        with self._lock:
            self._rules.append(rule)
        return self

    def reset(self) -> None:
        """Forget every rule and recorded request."""
        with self._lock:
            self._rules.clear()
            self._requests.clear()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat requests received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeLLMServer is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def ollama_url(self) -> str:
        return self.url

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> None:
        """Bind a free port and serve from a background thread; returns once it accepts."""
        if self._thread is not None:
            raise RuntimeError("FakeLLMServer is already started")
        # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each accepted connection (it
        # checks the protocol number): without it Nagle holds the body written after the
        # headers until the client's delayed ACK, about 40 ms per request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._want_port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, loop="asyncio", lifespan="off", log_config=None, access_log=False
        )
        self._server = server = uvicorn.Server(config)
        self._closing.clear()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-llm-server", daemon=True
        )
        self._thread.start()
        for _ in range(1000):
            if server.started or not self._thread.is_alive():
                break
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise RuntimeError("FakeLLMServer did not start")

    def stop(self) -> None:
        """Release hanging requests, stop serving and join the thread."""
        self._closing.set()
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for idle keep-alive connections
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- the two protocols ----------------------------------------------------------------------

    async def _root(self, request: Request) -> Response:
        return PlainTextResponse("Ollama is running")

    async def _ollama_tags(self, request: Request) -> Response:
        names = self.models or ("fake-model",)
        models = [
            {"name": n, "model": n, "modified_at": _CREATED_AT, "size": 0, "digest": "0" * 64}
            for n in names
        ]
        return JSONResponse({"models": models})

    async def _ollama_show(self, request: Request) -> Response:
        body = await request.json()
        model = str(body.get("model", "")) if isinstance(body, dict) else ""
        if self.models is not None and model not in self.models:
            return _unknown_model(False, model)
        if self.context_tokens is None:
            return _error(False, 404, "no model info")
        info = {"general.architecture": "fake", "fake.context_length": self.context_tokens}
        parameters = f"num_ctx {self.context_tokens}"
        return JSONResponse({"parameters": parameters, "model_info": info})

    async def _props(self, request: Request) -> Response:
        if self.context_tokens is None:
            return _error(True, 404, "File Not Found")
        return JSONResponse({"default_generation_settings": {"n_ctx": self.context_tokens}})

    async def _openai_models(self, request: Request) -> Response:
        names = self.models or ("fake-model",)
        data = [
            {"id": n, "object": "model", "created": _CREATED, "owned_by": "fake"} for n in names
        ]
        return JSONResponse({"object": "list", "data": data})

    async def _ollama_chat(self, request: Request) -> Response:
        body, rule, refusal = await self._receive(request, openai=False)
        if refusal is not None:
            return refusal
        answer = self._answer(body, rule)
        if body.get("stream", True):
            return StreamingResponse(
                _ndjson(_ollama_chunks(answer)), media_type="application/x-ndjson"
            )
        return JSONResponse(_ollama_reply(answer))

    async def _openai_chat(self, request: Request) -> Response:
        body, rule, refusal = await self._receive(request, openai=True)
        if refusal is not None:
            return refusal
        answer = self._answer(body, rule)
        if body.get("stream", False):
            options = body.get("stream_options") or {}
            chunks = _openai_chunks(answer, include_usage=bool(options.get("include_usage")))
            return StreamingResponse(_sse(chunks), media_type="text/event-stream")
        return JSONResponse(_openai_reply(answer))

    async def _receive(
        self, request: Request, *, openai: bool
    ) -> tuple[dict[str, Any], ServerRule, Response | None]:
        """Record the body, pick the rule, play its delay; a response here ends the request."""
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return {}, ServerRule(), _error(openai, 400, "request body is not a JSON object")
        with self._lock:
            self._requests.append(body)
            rule = next((r for r in self._rules if r.fits(body)), ServerRule())
            if rule.times is not None:
                rule.times -= 1
        if rule.delay > 0:
            await asyncio.sleep(rule.delay)
        if rule.hang:
            await self._hang()
            return body, rule, _error(openai, 504, "the fake server was stopped while hanging")
        if rule.body is not None:
            answer = JSONResponse(rule.body, status_code=rule.status or 200, headers=rule.headers)
            return body, rule, answer
        if rule.status is not None:
            refusal = _error(openai, rule.status, rule.error)
            refusal.headers.update(rule.headers or {})
            return body, rule, refusal
        model = body.get("model")
        if self.models is not None and model not in self.models:
            return body, rule, _unknown_model(openai, str(model))
        if rule.garbage:
            return body, rule, Response(_GARBAGE, status_code=200, media_type="application/json")
        if self.structured_output == "refuse" and request_schema(body) is not None:
            unsupported = "response_format / format with a JSON schema is not supported"
            return body, rule, _error(openai, 400, unsupported)
        if self.structured_output == "json_object" and schema_flavour(body) == "json_schema":
            words = (
                "body.response_format.type: Input should be 'text' or 'json_object' (json_schema)"
            )
            return body, rule, _error(openai, 500, words)
        return body, rule, None

    async def _hang(self) -> None:
        for _ in range(int(_MAX_HANG / 0.02)):
            if self._closing.is_set():
                return
            await asyncio.sleep(0.02)

    def _answer(self, body: Mapping[str, Any], rule: ServerRule) -> _Answer:
        number = str(next(self._numbers)) if rule.numbered else None
        calls = tuple(
            _Call(f"call_{next(self._ids)}", name, _numbered_args(args, number))
            for name, args in rule.tool_calls
        )
        text = rule.reply if rule.reply is not None else ("" if calls else self.default_reply)
        if rule.echo is not None:
            text = _prompt_text(body, None if rule.echo == "all" else rule.echo)
        honours = self.structured_output in ("honour", "json_object")
        schema = request_schema(body) if honours else None
        if schema is not None:  # the server constrains the answer: no tool calls, only JSON
            pairs = [(c.name, _as_object(c.arguments_object)) for c in calls]
            text, calls = constrained_text(text, pairs, schema), ()
        if number is not None:
            text = text.replace("{n}", number)
        counted = text + "".join(c.arguments_json for c in calls)
        return _Answer(
            model=str(body.get("model", "")),
            text=text,
            calls=calls,
            reasoning=rule.reasoning,
            reasoning_field=rule.reasoning_field,
            usage=(_count_prompt(body), max(1, _count(counted))) if rule.usage else None,
        )


def _numbered_args(args: Mapping[str, Any] | str, number: str | None) -> Mapping[str, Any] | str:
    """``{n}`` in the string values (or the raw text) of tool-call arguments becomes `number`."""
    if number is None:
        return args
    if isinstance(args, str):
        return args.replace("{n}", number)
    return {k: v.replace("{n}", number) if isinstance(v, str) else v for k, v in args.items()}


def _as_object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class _Call:
    id: str
    name: str
    arguments: Mapping[str, Any] | str

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)

    @property
    def arguments_object(self) -> Any:
        """Ollama sends an object; raw text that does not parse is sent as it is."""
        if not isinstance(self.arguments, str):
            return dict(self.arguments)
        try:
            return json.loads(self.arguments)
        except ValueError:
            return self.arguments


@dataclass(frozen=True)
class _Answer:
    model: str
    text: str
    calls: tuple[_Call, ...]
    reasoning: str | None
    reasoning_field: str
    usage: tuple[int, int] | None


def _prompt_text(body: Mapping[str, Any], role: str | None = None) -> str:
    """The messages' text, one after the other (only those of `role` when given)."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    return "\n".join(
        str(m.get("content") or "") for m in messages if role is None or m.get("role") == role
    )


def _count(text: str) -> int:
    """The fake's token count: words and punctuation runs (deliberately not soulbeat's
    estimate, so tests can tell a reported count from an estimated one)."""
    return len(re.findall(r"\w+|[^\w\s]+", text))


def _count_prompt(body: Mapping[str, Any]) -> int:
    return _count(_prompt_text(body)) + 3 * len(body.get("messages") or [])


def _pieces(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def _error(openai: bool, status: int, message: str) -> Response:
    if openai:
        kind = "server_error" if status >= 500 else "invalid_request_error"
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "code": None}}
    else:
        body = {"error": message}
    return JSONResponse(body, status_code=status)


def _unknown_model(openai: bool, model: str) -> Response:
    if openai:
        error = {
            "message": f"The model `{model}` does not exist.",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
        return JSONResponse({"error": error}, status_code=404)
    return JSONResponse({"error": f'model "{model}" not found, try pulling it first'}, 404)


# -- Ollama shapes ------------------------------------------------------------------------------


def _ollama_message(text: str = "", thinking: str | None = None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if thinking:
        message["thinking"] = thinking
    return message | extra


def _ollama_chunk(
    answer: _Answer, message: dict[str, Any], *, done: bool = False
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "model": answer.model,
        "created_at": _CREATED_AT,
        "message": message,
        "done": done,
    }
    if done:
        chunk |= {"done_reason": "stop", "total_duration": 1_000_000}
        if answer.usage is not None:
            chunk["prompt_eval_count"], chunk["eval_count"] = answer.usage
    return chunk


def _ollama_calls(answer: _Answer) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "function": {"index": i, "name": c.name, "arguments": c.arguments_object}}
        for i, c in enumerate(answer.calls)
    ]


def _ollama_reply(answer: _Answer) -> dict[str, Any]:
    message = _ollama_message(answer.text, answer.reasoning)
    if answer.calls:
        message["tool_calls"] = _ollama_calls(answer)
    return _ollama_chunk(answer, message, done=True)


def _ollama_chunks(answer: _Answer) -> list[dict[str, Any]]:
    messages = [_ollama_message(thinking=p) for p in _pieces(answer.reasoning or "")]
    messages += [_ollama_message(p) for p in _pieces(answer.text)]
    if answer.calls:
        messages.append(_ollama_message(tool_calls=_ollama_calls(answer)))
    chunks = [_ollama_chunk(answer, m) for m in messages]
    chunks.append(_ollama_chunk(answer, _ollama_message(), done=True))
    return chunks


async def _ndjson(chunks: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for item in chunks:
        yield (json.dumps(item) + "\n").encode()


# -- OpenAI shapes ------------------------------------------------------------------------------


def _openai_usage(answer: _Answer) -> dict[str, int] | None:
    if answer.usage is None:
        return None
    prompt, completion = answer.usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _openai_reply(answer: _Answer) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": answer.text if answer.text or not answer.calls else None,
    }
    if answer.reasoning:
        message[answer.reasoning_field] = answer.reasoning
    if answer.calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_json},
            }
            for c in answer.calls
        ]
    reply: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": _CREATED,
        "model": answer.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if answer.calls else "stop",
            }
        ],
    }
    usage = _openai_usage(answer)
    if usage is not None:
        reply["usage"] = usage
    return reply


def _openai_chunks(answer: _Answer, *, include_usage: bool) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": _CREATED,
            "model": answer.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({answer.reasoning_field: p}) for p in _pieces(answer.reasoning or "")]
    chunks += [chunk({"content": p}) for p in _pieces(answer.text)]
    for index, call in enumerate(answer.calls):
        head = {"index": index, "id": call.id, "type": "function"}
        chunks.append(chunk({"tool_calls": [head | {"function": {"name": call.name}}]}))
        arguments = {"index": index, "function": {"arguments": call.arguments_json}}
        chunks.append(chunk({"tool_calls": [arguments]}))
    chunks.append(chunk({}, "tool_calls" if answer.calls else "stop"))
    usage = _openai_usage(answer)
    if include_usage and usage is not None:
        chunks.append(chunk({}) | {"choices": [], "usage": usage})
    return chunks


async def _sse(chunks: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for item in chunks:
        yield f"data: {json.dumps(item)}\n\n".encode()
    yield b"data: [DONE]\n\n"
