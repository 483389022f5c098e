"""MCP servers as tool sources, through the official `mcp` SDK (issue 15 item 3).

`McpSession` is one connection to one server for one beat. The SDK's client lives in a task of
its own (`_serve`): it connects (stdio: starts the command; HTTP: streamable HTTP with the
configured headers), lists the tools, then runs the calls handed to it one at a time. The beat
only waits on futures with timeouts, so a server that hangs, crashes or answers garbage costs the
beat at most its timeout and never an exception it did not expect: `start` raises
`McpUnavailable` (the beat leaves the server out and records why), `call` returns an error
result. After a call timed out the session is closed and its later calls are refused at once (the
server is left out of the rest of the beat). `close` cancels the task, which stops a stdio
server's process.

`McpHub` keeps, per agent, the last status of each configured server (its tools, or why it is
missing) for ``soulbeat doctor`` and ``GET /api/agents/{id}/tools``; `McpHub.refresh` lists
every server anew (at start and on request), and each beat's own listing updates it, so a server
whose tools changed is seen at its next beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from soulbeat.clock import Clock
from soulbeat.config.mcp import McpServerSettings

__all__ = ["McpCallResult", "McpHub", "McpSession", "McpToolInfo", "McpUnavailable", "ServerStatus"]

log = logging.getLogger(__name__)
_CLOSE_WAIT = 5.0


class McpUnavailable(Exception):
    """A server could not be used: not started, no answer in time, or the connection broke."""


@dataclass(frozen=True)
class McpToolInfo:
    name: str
    description: str
    input_schema: Mapping[str, Any]


@dataclass(frozen=True)
class McpCallResult:
    text: str
    is_error: bool


@dataclass(frozen=True)
class ServerStatus:
    """A server's state as last seen: ``ok`` with its tools, or ``error`` saying why not."""

    name: str
    transport: str
    where: str
    ok: bool
    tools: tuple[McpToolInfo, ...] = ()
    error: str | None = None
    checked_at: datetime | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "server": self.name,
            "transport": self.transport,
            "where": self.where,
            "ok": self.ok,
            "tools": [t.name for t in self.tools],
            "error": self.error,
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }


def describe_error(error: BaseException) -> str:
    """One line for a failure, SDK exception groups unwrapped to their first cause."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


def _result_text(result: Any) -> str:
    parts: list[str] = []
    for block in getattr(result, "content", None) or ():
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(str(getattr(block, "text", "")))
        else:
            parts.append(f"[{kind} content left out]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(str(structured))
    return "\n".join(parts)


class McpSession:
    """One server, connected for one beat (module docstring)."""

    def __init__(self, name: str, settings: McpServerSettings) -> None:
        self.name, self.settings = name, settings
        self._queue: asyncio.Queue[tuple[str, dict[str, Any], asyncio.Future[McpCallResult]]]
        self._queue = asyncio.Queue()
        self._ready: asyncio.Future[tuple[McpToolInfo, ...]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.broken: str | None = None

    async def start(self) -> tuple[McpToolInfo, ...]:
        """Connect and list the tools within ``connect_timeout``; `McpUnavailable` otherwise."""
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._serve(), name=f"mcp:{self.name}")
        timeout = self.settings.connect_seconds
        try:
            return await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except TimeoutError:
            await self.close()
            raise McpUnavailable(f"no answer within {timeout:g}s") from None
        except McpUnavailable:
            await self.close()
            raise

    async def call(self, tool: str, arguments: Mapping[str, Any], seconds: float) -> McpCallResult:
        if self.broken is not None:
            return McpCallResult(f"server {self.name!r} was left out: {self.broken}", True)
        future: asyncio.Future[McpCallResult] = asyncio.get_running_loop().create_future()
        await self._queue.put((tool, dict(arguments), future))
        try:
            return await asyncio.wait_for(asyncio.shield(future), seconds)
        except TimeoutError:
            self.broken = f"a call of {tool!r} took longer than {seconds:g}s"
            await self.close()
            return McpCallResult(f"no answer within {seconds:g}s; the server was left out", True)
        except McpUnavailable as error:
            self.broken = str(error)
            return McpCallResult(f"the server failed: {error}", True)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, _CLOSE_WAIT)

    # -- the SDK's side, in its own task ----------------------------------------------------------
    async def _serve(self) -> None:
        assert self._ready is not None
        ready = self._ready
        pending: asyncio.Future[McpCallResult] | None = None
        try:
            from mcp import Client

            async with contextlib.AsyncExitStack() as stack:
                transport = await self._transport(stack)
                client = await stack.enter_async_context(Client(transport))
                listed = await client.list_tools()
                tools = tuple(
                    McpToolInfo(t.name, t.description or "", dict(t.input_schema or {}))
                    for t in listed.tools
                )
                if not ready.done():
                    ready.set_result(tools)
                while True:
                    name, arguments, pending = await self._queue.get()
                    result = await client.call_tool(name, arguments)
                    if not pending.done():
                        pending.set_result(
                            McpCallResult(_result_text(result), bool(result.is_error))
                        )
                    pending = None
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # the SDK raises exception groups; all end the session
            failure = McpUnavailable(describe_error(error))
            for future in (ready, pending):
                if future is not None and not future.done():
                    future.set_exception(failure)
            while not self._queue.empty():
                _, _, queued = self._queue.get_nowait()
                if not queued.done():
                    queued.set_exception(failure)
            self.broken = str(failure)

    async def _transport(self, stack: contextlib.AsyncExitStack) -> Any:
        settings = self.settings
        if settings.command is not None:
            from mcp.client.stdio import StdioServerParameters

            return StdioServerParameters(
                command=settings.command[0],
                args=list(settings.command[1:]),
                env=dict(settings.env) or None,
                cwd=settings.cwd,
            )
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        http = await stack.enter_async_context(
            create_mcp_http_client(headers=dict(settings.headers))
        )
        assert settings.url is not None
        return streamable_http_client(settings.url, http_client=http)


ServersOf = Callable[[str], Mapping[str, McpServerSettings]]


@dataclass
class McpHub:
    """Per agent, the servers configured and their last known status (module docstring)."""

    servers_of: ServersOf
    clock: Clock
    statuses: dict[str, dict[str, ServerStatus]] = field(default_factory=dict)

    def configured(self, agent_id: str) -> Mapping[str, McpServerSettings]:
        return self.servers_of(agent_id)

    def note(self, agent_id: str, status: ServerStatus) -> None:
        self.statuses.setdefault(agent_id, {})[status.name] = status

    def status(self, agent_id: str) -> list[ServerStatus]:
        """Every configured server's last status (``never listed`` before the first)."""
        known = self.statuses.get(agent_id, {})
        return [
            known.get(name)
            or ServerStatus(name, s.transport, s.describe(), False, error="not listed yet")
            for name, s in sorted(self.servers_of(agent_id).items())
        ]

    async def open(self, agent_id: str) -> tuple[dict[str, McpSession], list[ServerStatus]]:
        """Connect every server of the agent for one beat, concurrently: the sessions that
        started, and the status of each server (ok or why it is left out)."""
        configured = sorted(self.servers_of(agent_id).items())
        sessions = [McpSession(name, settings) for name, settings in configured]
        outcomes = await asyncio.gather(*(s.start() for s in sessions), return_exceptions=True)
        opened: dict[str, McpSession] = {}
        statuses: list[ServerStatus] = []
        now = self.clock.now()
        for session, outcome in zip(sessions, outcomes, strict=True):
            settings = session.settings
            if isinstance(outcome, BaseException):
                status = ServerStatus(
                    session.name,
                    settings.transport,
                    settings.describe(),
                    False,
                    error=str(outcome)
                    if isinstance(outcome, McpUnavailable)
                    else describe_error(outcome),
                    checked_at=now,
                )
            else:
                opened[session.name] = session
                status = ServerStatus(
                    session.name,
                    settings.transport,
                    settings.describe(),
                    True,
                    outcome,
                    checked_at=now,
                )
            self.note(agent_id, status)
            statuses.append(status)
        return opened, statuses

    async def refresh(self, agent_id: str) -> list[ServerStatus]:
        """List every server of the agent now (connect, list, close)."""
        sessions, statuses = await self.open(agent_id)
        await asyncio.gather(*(s.close() for s in sessions.values()))
        return statuses


def tool_name(server: str, tool: str) -> str:
    """The name the model calls: ``<server>__<tool>``, limited to what every provider accepts."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}__{tool}")[:64]
