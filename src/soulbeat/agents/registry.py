"""`AgentRegistry`: the agents declared in the settings, their workspaces and effective configs.

A workspace is read from disk when a file it was read from changed since the last read (a
person edits HEARTBEAT.md and the next beat must see it), else the snapshot read before is used
(`WorkspaceSnapshots`: a few `stat` calls instead of reading and parsing every file). Effective
configs are kept per (agent, thread overrides, skill block): 100,000 threads that share their
config validate it once, not once per thread per pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soulbeat.agents.snapshots import Signature, WorkspaceSnapshots
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
_MAX_CONFIGS = 10_000
"""Distinct effective configs kept; past it the cache starts over (threads mostly share few)."""


def _canonical(mapping: object) -> str | None:
    if mapping is None:
        return None
    if not mapping:  # most threads override nothing: no need to serialise
        return "{}"
    return json.dumps(mapping, sort_keys=True, default=str)


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
        self.snapshots = WorkspaceSnapshots()
        self._configs: dict[tuple[Any, ...], EffectiveConfig] = {}
        self._configs_of: Settings = settings
        self._paths: dict[str, tuple[Path, tuple[Path, ...]]] = {}
        self._paths_for: Settings = settings

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
        """The agent's workspace as it is on disk now (re-read only when a file changed).
        Raises WorkspaceError when its folder is missing."""
        return self._snapshot(agent_id)[0]

    def _snapshot(self, agent_id: str) -> tuple[Workspace, dict[object, object]]:
        agent = self.settings.agents.get(agent_id)
        soul_path = agent.soul_path if agent is not None else None
        root, extra = self._paths_of(agent_id)
        settings = self.settings

        def load() -> Workspace:
            return load_workspace(
                root,
                soul_path=soul_path,
                home=self._home,
                per_file_cap=settings.bootstrap_per_file_cap,
                total_cap=settings.bootstrap_total_cap,
            )

        return self.snapshots.get(root, load, extra)

    def skills_signature(self, agent_id: str) -> Signature:
        """The stat facts that decide the agent's skill schedules (`snapshots.skills_signature`)."""
        return self.snapshots.skills_signature(self._paths_of(agent_id)[0])

    def _paths_of(self, agent_id: str) -> tuple[Path, tuple[Path, ...]]:
        """The agent's workspace root and the extra files its workspace reads (the soul paths),
        worked out once per agent while the settings are the same object (pathlib's
        `expanduser`/`home` cost more than the stat checks they lead to)."""
        if self._paths_for is not self.settings:
            self._paths, self._paths_for = {}, self.settings
        found = self._paths.get(agent_id)
        if found is None:
            agent = self.settings.agents.get(agent_id)
            soul_path = agent.soul_path if agent is not None else None
            root = self.workspace_path(agent_id).expanduser().absolute()
            home = Path(self._home) if self._home is not None else Path.home()
            extra = (home / ".agents" / "SOUL.md",) + ((Path(soul_path),) if soul_path else ())
            found = self._paths[agent_id] = (root, extra)
        return found

    def source(self, agent_id: str, skill: str = MAIN) -> tuple[Workspace, HeartbeatSource]:
        """The workspace and the instructions of one schedule, both from the current snapshot
        (a skill's HEARTBEAT.md is read once per snapshot, not once per thread)."""
        workspace, memo = self._snapshot(agent_id)
        key = ("source", skill)
        found = memo.get(key)
        if not isinstance(found, HeartbeatSource):
            found = self.heartbeat_source(workspace, skill)
            memo[key] = found
        return workspace, found

    def user_timezone(self, agent_id: str) -> str:
        """The zone `user` means for this agent; `local` (the host's) when none is configured."""
        return self.settings.user_timezone_for(agent_id) or "local"

    def effective(self, thread: Thread, skill: Skill | None = None) -> EffectiveConfig:
        """The thread's effective config, with the skill's heartbeat block on top for a skill.

        Kept per (agent, overrides, skill block) while the settings are the same object; raises
        ConfigError (not kept) as `effective_config` does."""
        if self._configs_of is not self.settings:
            self._configs, self._configs_of = {}, self.settings
        skill_block = dict(skill.heartbeat or {}) if skill is not None else None
        key = (thread.agent_id, _canonical(thread.config), _canonical(skill_block))
        found = self._configs.get(key)
        if found is None:
            found = effective_config(
                self.settings,
                agent_id=thread.agent_id,
                thread=dict(thread.config),
                skill=skill_block,
            )
            if len(self._configs) >= _MAX_CONFIGS:
                self._configs.clear()
            self._configs[key] = found
        return found

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
