"""`ScriptedLLM`: the strict in-memory double of `LLMProvider`.

A test scripts the replies in order, then checks what was asked::

    llm = ScriptedLLM()
    llm.script("HEARTBEAT_OK", tool_reply("heartbeat_respond", {"notify": False, "summary": "ok"}))
    ...
    assert llm.requests[0].model == "llama3"
    llm.assert_script_consumed()

A script item is one of: reply text (`str`); a ready `Completion`; `reply(...)`, `tool_reply(...)`,
`tool_calls_reply(...)` or `fail(exc)`; or any callable ``(ChatRequest) -> Completion``, which may
also raise. A call with nothing left in the script fails the test with `AssertionError`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from soulbeat.llm.base import ChatRequest, Completion, ToolCall, Usage, estimate_usage

__all__ = [
    "ScriptItem",
    "ScriptedFailure",
    "ScriptedLLM",
    "ScriptedReply",
    "fail",
    "reply",
    "tool_calls_reply",
    "tool_reply",
]

ScriptItem = str | Completion | Callable[[ChatRequest], Completion]


@dataclass(frozen=True)
class ScriptedReply:
    """A reply made to fit the request: its model, and estimated usage unless `usage` is given."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: str | None = None
    usage: Usage | None = None

    def __call__(self, request: ChatRequest) -> Completion:
        return Completion(
            text=self.text,
            tool_calls=self.tool_calls,
            reasoning=self.reasoning,
            usage=self.usage or estimate_usage(request, self.text),
            model=request.model,
            provider=ScriptedLLM.name,
            raw={"scripted": True},
            latency_ms=0.0,
        )


@dataclass(frozen=True)
class ScriptedFailure:
    """Raises `error` in place of a reply (a `ProviderError`, usually)."""

    error: BaseException

    def __call__(self, request: ChatRequest) -> Completion:
        raise self.error


def reply(text: str, *, reasoning: str | None = None, usage: Usage | None = None) -> ScriptedReply:
    """A plain text reply."""
    return ScriptedReply(text, (), reasoning, usage)


def tool_reply(
    name: str, arguments: Mapping[str, Any] | str | None = None, *, text: str = ""
) -> ScriptedReply:
    """A reply calling one tool. `arguments` as text is parsed like a server's (broken JSON
    becomes `ToolCall.problem`)."""
    return tool_calls_reply((name, arguments), text=text)


def tool_calls_reply(
    *calls: tuple[str, Mapping[str, Any] | str | None], text: str = ""
) -> ScriptedReply:
    """A reply calling several tools, given as ``(name, arguments)`` pairs, in order."""
    parsed = tuple(
        _tool_call(f"call_{index}", name, args) for index, (name, args) in enumerate(calls)
    )
    return ScriptedReply(text, parsed)


def fail(error: BaseException) -> ScriptedFailure:
    """A call that raises `error`."""
    return ScriptedFailure(error)


def _tool_call(call_id: str, name: str, arguments: Mapping[str, Any] | str | None) -> ToolCall:
    if isinstance(arguments, str):
        return ToolCall.from_json(call_id, name, arguments)
    return ToolCall.from_mapping(call_id, name, arguments or {})


class ScriptedLLM:
    """An `LLMProvider` that answers from a script and records every request.

    Strict: a call beyond the script, or after `aclose()`, raises `AssertionError`.
    """

    name = "scripted"

    def __init__(self, *items: ScriptItem, base_url: str = "scripted://llm") -> None:
        self.base_url = base_url
        self.requests: list[ChatRequest] = []
        self.closed = False
        self._script: deque[ScriptItem] = deque(items)

    def __repr__(self) -> str:
        return f"ScriptedLLM(pending={self.pending}, calls={len(self.requests)})"

    def script(self, *items: ScriptItem) -> Self:
        """Append replies, answered in order by the next calls."""
        self._script.extend(items)
        return self

    @property
    def pending(self) -> int:
        """How many scripted items are still unused."""
        return len(self._script)

    @property
    def last_request(self) -> ChatRequest:
        if not self.requests:
            raise AssertionError("ScriptedLLM has not been called")
        return self.requests[-1]

    async def complete(self, request: ChatRequest) -> Completion:
        self.requests.append(request)
        if self.closed:
            raise AssertionError("ScriptedLLM.complete() called after aclose()")
        if not self._script:
            raise AssertionError(
                f"unscripted call #{len(self.requests)} to ScriptedLLM "
                f"(model {request.model!r}, last message {_last_message(request)!r}); "
                "add replies with llm.script(...)"
            )
        item = self._script.popleft()
        if isinstance(item, str):
            return reply(item)(request)
        if isinstance(item, Completion):
            return item
        return item(request)

    def assert_script_consumed(self) -> None:
        """Fail when scripted replies were never asked for."""
        if self._script:
            unused = ", ".join(repr(item) for item in list(self._script)[:3])
            more = " ..." if len(self._script) > 3 else ""
            raise AssertionError(
                f"{len(self._script)} scripted repl{'y' if len(self._script) == 1 else 'ies'} "
                f"never used after {len(self.requests)} call(s): {unused}{more}"
            )

    async def aclose(self) -> None:
        self.closed = True


def _last_message(request: ChatRequest) -> str:
    if not request.messages:
        return ""
    content = request.messages[-1].content
    return content if len(content) <= 80 else content[:79] + "…"
