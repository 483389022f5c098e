"""`AgentRegistry`: the agents declared in the settings, their workspaces and effective configs.

Workspaces are read from disk on every call that needs them — a person edits HEARTBEAT.md and
the next beat must see it — and callers that handle many threads of one agent ask once per
agent per pass (`workspaces()`), so 10,000 threads do not mean 10,000 reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soulbeat.config import EffectiveConfig, effective_config
from soulbeat.config.settings import AgentSettings, Settings
from soulbeat.store.base import BeatStore
from soulbeat.store.records import MAIN, Agent, Thread
from soulbeat.workspace.heartbeat_md import (
    HeartbeatInstructions,
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)
from soulbeat.workspace.loader import Workspace, load_workspace, read_text_file
from soulbeat.workspace.skills import Skill

_MAX_HEARTBEAT_BYTES = 1_000_000


@dataclass(frozen=True)
class HeartbeatSource:
    """The instructions of one schedule: the workspace's HEARTBEAT.md or a skill's own file."""

    path: Path | None
    text: str | None
    """None when the file does not exist (the beat runs on the default prompt)."""
    instructions: HeartbeatInstructions | None

    @property
    def effectively_empty(self) -> bool:
        return is_heartbeat_content_effectively_empty(self.text)


class AgentRegistry:
    """The agents of one service, backed by the settings (what they are) and the store."""

    def __init__(self, settings: Settings, store: BeatStore, *, home: Path | None = None) -> None:
        self.settings = settings
        self._store = store
        self._home = home

    @property
    def agent_ids(self) -> list[str]:
        return sorted(self.settings.agents) or ["default"]

    def agent_settings(self, agent_id: str) -> AgentSettings | None:
        return self.settings.agents.get(agent_id)

    def workspace_path(self, agent_id: str) -> Path:
        agent = self.settings.agents.get(agent_id)
        return agent.workspace if agent is not None else self.settings.workspace

    async def sync(self) -> None:
        """Record every configured agent in the store (threads refer to them by id)."""
        for agent_id in self.agent_ids:
            await self._store.upsert_agent(
                Agent(
                    id=agent_id,
                    workspace=str(self.workspace_path(agent_id)),
                    user_timezone=self.settings.user_timezone_for(agent_id),
                )
            )

    def workspace(self, agent_id: str) -> Workspace:
        """Read the agent's workspace now. Raises WorkspaceError when its folder is missing."""
        agent = self.settings.agents.get(agent_id)
        return load_workspace(
            self.workspace_path(agent_id),
            soul_path=agent.soul_path if agent is not None else None,
            home=self._home,
            per_file_cap=self.settings.bootstrap_per_file_cap,
            total_cap=self.settings.bootstrap_total_cap,
        )

    def user_timezone(self, agent_id: str) -> str:
        """The zone `user` means for this agent; `local` (the host's) when none is configured."""
        return self.settings.user_timezone_for(agent_id) or "local"

    def effective(self, thread: Thread, skill: Skill | None = None) -> EffectiveConfig:
        """The thread's effective config, with the skill's heartbeat block on top for a skill."""
        return effective_config(
            self.settings,
            agent_id=thread.agent_id,
            thread=dict(thread.config),
            skill=dict(skill.heartbeat or {}) if skill is not None else None,
        )

    @staticmethod
    def find_skill(workspace: Workspace, name: str) -> Skill | None:
        return next((s for s in workspace.skills.skills if s.name == name), None)

    @staticmethod
    def heartbeat_source(workspace: Workspace, skill: str = MAIN) -> HeartbeatSource:
        """The instructions of the thread's main schedule, or of skill `skill`."""
        if skill == MAIN:
            return HeartbeatSource(
                workspace.heartbeat_path, workspace.heartbeat_text, workspace.heartbeat
            )
        found = AgentRegistry.find_skill(workspace, skill)
        if found is None or found.heartbeat_file is None:
            return HeartbeatSource(None, None, None)
        path = Path(found.heartbeat_file)
        text, _problem = read_text_file(path, max_bytes=_MAX_HEARTBEAT_BYTES)
        return HeartbeatSource(path, text, parse_heartbeat_md(text) if text is not None else None)
