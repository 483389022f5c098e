"""`WorkspacePlanner`: the real `Planner`, turning threads + config + workspace into BeatPlans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from soulbeat.agents.registry import AgentRegistry, HeartbeatSource
from soulbeat.config import ConfigError, EffectiveConfig
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.errors import NotFoundError, WorkspaceError
from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.base import BeatStore
from soulbeat.store.records import MAIN, Schedule, Thread
from soulbeat.workspace.loader import Workspace
from soulbeat.workspace.tasks import due_tasks

_PUBLIC_ACTIONS = frozenset({"post", "comment", "vote"})


def plan_from_config(
    thread: Thread,
    skill: str,
    effective: EffectiveConfig,
    source: HeartbeatSource,
    user_timezone: str,
) -> BeatPlan:
    """The BeatPlan of one schedule (tasks not yet evaluated: `due_tasks` is empty)."""
    config = effective.config
    visibility = config.visibility
    allowed = set(config.actions.allowed)
    return BeatPlan(
        thread_id=thread.id,
        skill=skill,
        enabled=thread.enabled and config.enabled,
        interval=config.interval,
        active_hours=config.active_window,
        user_timezone=user_timezone,
        idle_pause=config.idle_pause_interval,
        last_activity_at=thread.last_user_message_at or thread.created_at,
        daily_token_budget=config.daily_token_budget,
        heartbeat_file_empty=source.text is not None and source.effectively_empty,
        has_cadence_tasks=bool(source.instructions and source.instructions.tasks),
        has_route=config.dry_run or config.target != "none" or bool(allowed & _PUBLIC_ACTIONS),
        alerts_visible=visibility.show_ok or visibility.show_alerts or visibility.use_indicator,
        timeout=config.effective_timeout(),
    )


class WorkspacePlanner:
    """Plans every thread's main heartbeat and each scheduled skill from the live workspace.

    A thread whose config or workspace cannot be used gets a disabled plan rather than none, so
    its schedule is kept and the problem shows in `doctor` instead of the thread vanishing.
    """

    def __init__(self, store: BeatStore, registry: AgentRegistry) -> None:
        self._store = store
        self._registry = registry

    async def plans(self, thread_id: str | None = None) -> Sequence[BeatPlan]:
        if thread_id is not None:
            try:
                threads = [await self._store.get_thread(thread_id)]
            except NotFoundError:
                return []
        else:
            threads = await self._store.list_threads()
        workspaces: dict[str, Workspace | None] = {}
        plans: list[BeatPlan] = []
        for thread in threads:
            if thread.agent_id not in workspaces:
                workspaces[thread.agent_id] = self._load(thread.agent_id)
            plans.extend(self._thread_plans(thread, workspaces[thread.agent_id]))
        return plans

    async def plan_for_beat(
        self, thread_id: str, skill: str, now: datetime, schedule: Schedule | None
    ) -> BeatPlan | None:
        try:
            thread = await self._store.get_thread(thread_id)
        except NotFoundError:
            return None
        workspace = self._load(thread.agent_id)
        plan = next((p for p in self._thread_plans(thread, workspace) if p.skill == skill), None)
        if plan is None or workspace is None or not plan.has_cadence_tasks:
            return plan
        source = AgentRegistry.heartbeat_source(workspace, skill)
        tasks = source.instructions.tasks if source.instructions else ()
        zone = resolve_timezone("user", plan.user_timezone)
        last_run = dict(schedule.task_last_run) if schedule else {}
        due = due_tasks(tasks, now, last_run, zone)
        return replace(plan, due_tasks=tuple(t.name for t in due))

    def _load(self, agent_id: str) -> Workspace | None:
        try:
            return self._registry.workspace(agent_id)
        except WorkspaceError:
            return None

    def _thread_plans(self, thread: Thread, workspace: Workspace | None) -> list[BeatPlan]:
        zone = self._registry.user_timezone(thread.agent_id)
        if workspace is None:
            return [BeatPlan(thread_id=thread.id, skill=MAIN, enabled=False, interval=None)]
        plans: list[BeatPlan] = []
        try:
            main = self._registry.effective(thread)
        except ConfigError:
            return [BeatPlan(thread_id=thread.id, skill=MAIN, enabled=False, interval=None)]
        plans.append(
            plan_from_config(thread, MAIN, main, AgentRegistry.heartbeat_source(workspace), zone)
        )
        for skill in workspace.skills.skills:
            if not skill.has_schedule:
                continue
            try:
                effective = self._registry.effective(thread, skill)
            except ConfigError:
                continue
            source = AgentRegistry.heartbeat_source(workspace, skill.name)
            plans.append(plan_from_config(thread, skill.name, effective, source, zone))
        return plans
