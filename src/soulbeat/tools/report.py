"""Which tools each agent's beats have, and why an MCP server is missing (issue 15): for
``GET /api/agents/{id}/tools`` and ``soulbeat doctor``, with the prompt tokens the tool schemas
and the memory cost (item 6).

The allow-list applied is the agent's effective config (a thread may narrow or widen it; the
beat's audit record says what it was offered). Built-in and memory tools are listed with their
schemas' token estimate; MCP servers with their last status (`McpHub`), listed anew when asked
(``refresh``) — a server that fails is reported with its reason, never raised.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.config.layers import effective_config
from soulbeat.config.settings import Settings
from soulbeat.llm.base import estimate_tokens
from soulbeat.tools.builtin import SPECS as BUILTIN_SPECS
from soulbeat.tools.mcp_client import McpHub, ServerStatus, tool_name
from soulbeat.tools.memory_tools import SPECS as MEMORY_SPECS
from soulbeat.tools.memory_tools import propose_spec
from soulbeat.tools.registry import allowed
from soulbeat.turn.tools import HEARTBEAT_RESPOND

__all__ = ["agent_tools", "doctor_tools"]

_LOCAL_TOOLS: dict[str, str] = {
    "read_file": "builtin",
    "recent_messages": "builtin",
    "ledger_search": "builtin",
    "ledger_read": "builtin",
    "beat_history": "builtin",
    "current_time": "builtin",
    "scratch_write": "memory",
    "memory_append": "memory",
    "memory_replace_section": "memory",
    "soul_propose": "memory",
    "heartbeat_propose": "memory",
}


def _local_names(config: HeartbeatConfig) -> list[str]:
    names = [n for n, kind in _LOCAL_TOOLS.items() if kind == "builtin"] + ["scratch_write"]
    if config.memory_edits:
        names += ["memory_append", "memory_replace_section"]
    names += [
        f"{k}_propose"
        for k, p in (("soul", config.soul_edits), ("heartbeat", config.heartbeat_edits))
        if p != "off"
    ]
    return names


def _local_tokens(name: str, config: HeartbeatConfig) -> int:
    if name.endswith("_propose"):
        kind = name.removesuffix("_propose")
        spec = propose_spec(kind, config.soul_edits if kind == "soul" else config.heartbeat_edits)
    else:
        spec = {**BUILTIN_SPECS, **MEMORY_SPECS}[name]
    return _schema_tokens(spec.name + spec.description, spec.parameters)


def _schema_tokens(description: str, schema: Any) -> int:
    return estimate_tokens(description + json.dumps(schema))


def _memory_tokens(workspace: Path) -> int:
    for name in ("MEMORY.md", "memory.md"):
        path = workspace / name
        if path.is_file():
            try:
                return estimate_tokens(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                return 0
    return 0


def agent_tools(
    settings: Settings,
    hub: McpHub | None,
    agent_id: str,
    statuses: list[ServerStatus] | None = None,
) -> dict[str, Any]:
    """The report of one agent (module docstring); ``statuses`` default to the hub's last."""
    config = effective_config(settings, agent_id=agent_id).config
    patterns = config.tools
    local = [
        {
            "name": name,
            "kind": _LOCAL_TOOLS[name],
            "allowed": allowed(name, patterns),
            "schema_tokens": _local_tokens(name, config),
        }
        for name in _local_names(config)
    ]
    local_tokens = sum(_local_tokens(str(t["name"]), config) for t in local if t["allowed"])
    found = statuses if statuses is not None else (hub.status(agent_id) if hub else [])
    servers = []
    mcp_tokens = 0
    for status in found:
        tools = []
        for info in status.tools:
            public = f"{status.name}.{info.name}"
            ok = allowed(public, patterns)
            tokens = _schema_tokens(info.description, info.input_schema)
            mcp_tokens += tokens if ok else 0
            tools.append(
                {
                    "name": public,
                    "called_as": tool_name(status.name, info.name),
                    "allowed": ok,
                    "schema_tokens": tokens,
                }
            )
        servers.append(
            status.as_record()
            | {"tools": tools, "missing_because": None if status.ok else status.error}
        )
    agent = settings.agents.get(agent_id)
    workspace = agent.workspace if agent is not None else settings.workspace
    respond = _schema_tokens(HEARTBEAT_RESPOND.description, HEARTBEAT_RESPOND.parameters)
    return {
        "agent": agent_id,
        "allow_list": list(patterns),
        "tools": local,
        "mcp_servers": servers,
        "budget": {
            "respond_schema_tokens": respond,
            "local_schema_tokens": local_tokens,
            "mcp_schema_tokens": mcp_tokens,
            "memory_tokens": _memory_tokens(Path(workspace)),
        },
    }


def doctor_tools(settings: Settings, *, connect: bool) -> tuple[dict[str, Any], list[str]]:
    """Every agent's report for the doctor and its problems; with ``connect`` each MCP server is
    started and listed now (blocking: call off the event loop)."""
    from soulbeat.clock import SystemClock

    hub = McpHub(
        lambda a: settings.agents[a].mcp_servers if a in settings.agents else {}, SystemClock()
    )
    reports: dict[str, Any] = {}
    problems: list[str] = []
    for agent_id in sorted(settings.agents) or ["default"]:
        statuses = None
        if connect and hub.configured(agent_id):
            statuses = asyncio.run(hub.refresh(agent_id))
        report = agent_tools(settings, hub, agent_id, statuses)
        reports[agent_id] = report
        for server in report["mcp_servers"]:
            if server["missing_because"] and connect:
                problems.append(
                    f"agent {agent_id}: MCP server {server['server']} is missing: "
                    f"{server['missing_because']}"
                )
    return reports, problems
