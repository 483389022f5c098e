"""Who is hosted: each agent's workspace and effective config, and the plans of their threads."""

from soulbeat.agents.planner import WorkspacePlanner
from soulbeat.agents.registry import AgentRegistry, HeartbeatSource

__all__ = ["AgentRegistry", "HeartbeatSource", "WorkspacePlanner"]
