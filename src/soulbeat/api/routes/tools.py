"""Issue 15: which tools an agent's beats have — built-in, memory and MCP — and why an MCP
server is missing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from soulbeat.api.deps import ServiceDep, require_api
from soulbeat.errors import NotFoundError
from soulbeat.tools.report import agent_tools

router = APIRouter(dependencies=[Depends(require_api)])


@router.get("/api/agents/{agent_id}/tools", tags=["tools"])
async def tools_of_agent(
    service: ServiceDep,
    agent_id: Annotated[str, Path(max_length=64)],
    refresh: Annotated[
        bool, Query(description="Start and list every MCP server of the agent now")
    ] = False,
) -> dict[str, Any]:
    """The agent's tools under its allow-list (config ``tools``), its MCP servers with their
    tools or the reason each is missing (`missing_because`), and the prompt tokens the tool
    schemas and MEMORY.md cost. Without ``refresh`` the servers' last known status is shown
    (listed at start and at each beat)."""
    if agent_id not in service.registry.agent_ids:
        raise NotFoundError(f'agent "{agent_id}" is not configured')
    statuses = None
    if refresh and service.mcp is not None:
        statuses = await service.mcp.refresh(agent_id)
    return agent_tools(service.settings, service.mcp, agent_id, statuses)
