"""`BeatTools`: the tools one beat offers besides its answer and its actions, and their calls.

Put together per beat (`open_beat_tools`) from soulbeat's built-in read-only tools, the memory
tools and the tools of the agent's MCP servers (connected for the beat), then narrowed by the
config's ``tools`` allow-list (names or globs over each tool's public name: ``read_file``,
``weather.forecast``). `call` runs one call and returns the text the model gets back:

* a tool that is not allowed (or not there) is refused, and the refusal is the answer;
* MCP calls are bounded by ``mcp_max_calls`` per beat and each by ``tool_timeout``; every answer
  is cut to ``tool_result_chars`` (visibly), and the MCP answers of one beat together to
  ``mcp_result_chars``;
* answers of MCP tools and the ledger's tools are other people's text: they reach the model
  inside an untrusted-data block, and nothing in them can widen what the beat may do — the
  actions a beat may take are fixed by its config before the model is asked;
* built-in and MCP calls are effects (SPEC §9.4): a beat re-run after a crash gets the recorded
  answer back instead of calling again (memory tools record their own edits); an MCP call is
  also marked begun before it is made, so a call whose process died before its answer was
  recorded is not made again (its outcome is unknown and an MCP tool may act on the world: at
  most once, and the model is told so);
* every call — name, arguments, answer (cut to `AUDIT_CHARS`), timing, refusals — is kept in
  `calls` for the audit record and published as ``tool.called``.

`servers` says which MCP servers the beat had and which were left out, and why; a beat with MCP
tools ``reaches_outside`` (the `unchanged` guard never skips it).
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.config.memory import may_allow_mcp
from soulbeat.events.models import EventSink
from soulbeat.llm.base import ToolCall, ToolSpec, estimate_tokens
from soulbeat.store.records import EffectRef
from soulbeat.tools.base import Tool, ToolAnswer, problem
from soulbeat.tools.mcp_client import McpHub, McpSession, ServerStatus, tool_name

__all__ = ["AUDIT_CHARS", "BeatTools", "allowed", "mcp_tools", "open_beat_tools"]

log = logging.getLogger(__name__)

AUDIT_CHARS = 2_000
_CUT = "\n… [cut: the tool's answer was longer than the beat allows]"

NextRef = Callable[[str], EffectRef | None]
Reuse = Callable[[EffectRef, str], Mapping[str, Any] | None]
Finish = Callable[[EffectRef, Mapping[str, Any]], Awaitable[None]]
Start = Callable[[EffectRef], Awaitable[None]]
Unknown = Callable[[EffectRef], bool]

LOST_ANSWER = (
    "this call was begun by an earlier attempt of this beat that stopped before its answer was "
    "recorded; its outcome is unknown and soulbeat does not make an outside call twice"
)


def allowed(public: str, patterns: Iterable[str]) -> bool:
    """Whether a tool's public name matches one of the allow-list's names or globs."""
    return any(fnmatch.fnmatchcase(public, pattern) for pattern in patterns)


def mcp_tools(
    sessions: Mapping[str, McpSession],
    statuses: Sequence[ServerStatus],
    timeout: Callable[[], float],
) -> list[Tool]:
    """One `Tool` per tool of each connected server."""
    tools: list[Tool] = []
    for status in statuses:
        session = sessions.get(status.name)
        if session is None:
            continue
        for info in status.tools:
            schema = dict(info.input_schema) or {"type": "object", "properties": {}}
            spec = ToolSpec(
                tool_name(status.name, info.name),
                f"[{status.name}] {info.description}".strip(),
                schema,
            )

            def runner(s: McpSession = session, name: str = info.name) -> Any:
                async def run(args: Mapping[str, Any]) -> ToolAnswer:
                    result = await s.call(name, args, timeout())
                    return ToolAnswer(result.text, not result.is_error)

                return run

            tools.append(
                Tool(
                    spec,
                    f"{status.name}.{info.name}",
                    f"mcp:{status.name}",
                    runner(),
                    untrusted=True,
                    reaches_outside=True,
                )
            )
    return tools


class BeatTools:
    """The extra tools of one beat (module docstring)."""

    def __init__(
        self,
        tools: Sequence[Tool],
        config: HeartbeatConfig,
        *,
        servers: Sequence[ServerStatus] = (),
        sessions: Mapping[str, McpSession] | None = None,
        next_ref: NextRef | None = None,
        reuse: Reuse | None = None,
        finish: Finish | None = None,
        start: Start | None = None,
        unknown: Unknown | None = None,
        events: EventSink | None = None,
        event_data: Mapping[str, Any] | None = None,
    ) -> None:
        self._config = config
        self.offered = [t for t in tools if allowed(t.public, config.tools)]
        self.withheld = [t.public for t in tools if t not in self.offered]
        self._by_name = {t.spec.name: t for t in self.offered}
        self._known = {t.spec.name: t for t in tools}
        self.servers = list(servers)
        self._sessions = dict(sessions or {})
        self._next, self._reuse, self._finish = next_ref, reuse, finish
        self._start, self._unknown = start, unknown
        self._events, self._event_data = events, dict(event_data or {})
        self.calls: list[dict[str, Any]] = []
        self._mcp_calls = 0
        self._mcp_chars = 0

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(t.spec for t in self.offered)

    @property
    def reaches_outside(self) -> bool:
        return any(t.reaches_outside for t in self.offered)

    def schema_tokens(self) -> int:
        """The estimated prompt tokens the offered tools' schemas cost."""
        return sum(
            estimate_tokens(t.spec.name + t.spec.description + json.dumps(t.spec.parameters))
            for t in self.offered
        )

    def handles(self, name: str) -> bool:
        return name in self._known

    async def call(self, call: ToolCall) -> str | None:
        """The answer to one call of these tools; None for a name that is none of them."""
        tool = self._known.get(call.name)
        if tool is None:
            return None
        record: dict[str, Any] = {
            "name": call.name,
            "tool": tool.public,
            "source": tool.source,
            "arguments": dict(call.arguments),
        }
        answer, ran = await self._answer(tool, call, record)
        text = answer.text
        limit = self._config.tool_result_chars
        if tool.source.startswith("mcp:") and ran:  # the beat's budget of MCP answer text
            limit = min(limit, max(self._config.mcp_result_chars - self._mcp_chars, 0))
        if len(text) > limit:
            record["cut_from"] = len(text)
            text = text[:limit] + _CUT
        if tool.source.startswith("mcp:") and ran:
            self._mcp_chars += min(len(answer.text), limit)
        if tool.untrusted and ran:
            from soulbeat.turn.prompt import wrap_untrusted  # the turn imports this module

            text = wrap_untrusted(f"tool:{tool.public}", text)
        record |= {"ok": answer.ok, "ran": ran, "answer": text[:AUDIT_CHARS]}
        self.calls.append(record)
        self._publish(record)
        return text

    async def _answer(
        self, tool: Tool, call: ToolCall, record: dict[str, Any]
    ) -> tuple[ToolAnswer, bool]:
        if call.name not in self._by_name:
            return problem(f"{tool.public!r} is not allowed in this thread (config `tools`)"), False
        if call.problem is not None:
            return problem(call.problem), False
        is_mcp = tool.source.startswith("mcp:")
        if is_mcp and self._mcp_calls >= self._config.mcp_max_calls:
            limit = self._config.mcp_max_calls
            return problem(f"this beat already made its {limit} MCP tool calls"), False
        if tool.source == "memory":  # memory edits number and record themselves
            return await tool.run(call.arguments), True
        ref = self._next("tool") if self._next is not None else None
        kept = None if ref is None or self._reuse is None else self._reuse(ref, "tool")
        if kept is not None:
            record["reused"] = True
            return ToolAnswer(str(kept.get("text", "")), bool(kept.get("ok", True))), True
        if is_mcp and ref is not None:
            if self._unknown is not None and self._unknown(ref):
                record["outcome_unknown"] = True
                answer = problem(LOST_ANSWER)
                if self._finish is not None:
                    await self._finish(ref, {"tool": {"text": answer.text, "ok": False}})
                return answer, False
            if self._start is not None:
                await self._start(ref)
        if is_mcp:
            self._mcp_calls += 1
        started = time.monotonic()
        try:
            answer = await asyncio.wait_for(
                tool.run(call.arguments), self._config.tool_timeout_seconds + 1
            )
        except TimeoutError:
            answer = problem(f"no answer within {self._config.tool_timeout}")
        record["ms"] = round((time.monotonic() - started) * 1000, 1)
        if ref is not None and self._finish is not None:
            await self._finish(ref, {"tool": {"text": answer.text, "ok": answer.ok}})
        return answer, True

    def as_record(self) -> dict[str, Any]:
        return {
            "offered": [t.public for t in self.offered],
            "withheld": self.withheld,
            "schema_tokens": self.schema_tokens(),
            "servers": [s.as_record() for s in self.servers],
            "calls": list(self.calls),
        }

    async def aclose(self) -> None:
        await asyncio.gather(*(s.close() for s in self._sessions.values()), return_exceptions=True)

    def _publish(self, record: Mapping[str, Any]) -> None:
        if self._events is None:
            return
        data = {
            **self._event_data,
            "tool": record["tool"],
            "ok": record["ok"],
            "ran": record["ran"],
        }
        try:
            self._events.publish("tool.called", data)
        except Exception:
            log.exception("publishing tool.called failed")


async def open_beat_tools(
    hub: McpHub | None,
    agent_id: str,
    config: HeartbeatConfig,
    local: Sequence[Tool],
    **kwargs: Any,
) -> BeatTools:
    """The beat's tools: ``local`` (built-in and memory tools) and, when any MCP tool could be
    allowed, the tools of the agent's MCP servers, connected now."""
    sessions: dict[str, McpSession] = {}
    statuses: list[ServerStatus] = []
    if hub is not None and may_allow_mcp(config.tools) and hub.configured(agent_id):
        sessions, statuses = await hub.open(agent_id)
    remote = mcp_tools(sessions, statuses, lambda: config.tool_timeout_seconds)
    return BeatTools([*local, *remote], config, servers=statuses, sessions=sessions, **kwargs)
