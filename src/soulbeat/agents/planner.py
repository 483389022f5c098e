"""`WorkspacePlanner`: the real `Planner`, turning threads + config + workspace into BeatPlans.

Planning on change (issue 12): `changes()` re-plans only

* the threads the store reports as changed since the last call (`Store.threads_changed_since`:
  added, or config, enabled flag or agent changed), and
* every thread of an agent whose skills changed on disk (the stat facts of its skills folder,
  each skill folder, SKILL.md and HEARTBEAT.md: `AgentRegistry.skills_signature`).

Nothing else decides which schedules exist or when they beat: HEARTBEAT.md and its tasks decide
only *whether* a beat runs, which `plan_for_beat` reads from the current workspace snapshot at
beat time. So an idle pass plans nothing. Each plan's `inputs` (thread revision + a digest of the
agent's skills) is stored with its schedule. `planned` counts the plans built, for tests.

`watch()` follows the agents' workspace folders with `watchfiles` and calls back on any change,
so a skill added while the scheduler sleeps is planned (and beats) without waiting for an
unrelated wake (issue 10 item 6).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from soulbeat.agents.registry import AgentRegistry, HeartbeatSource
from soulbeat.agents.snapshots import Signature
from soulbeat.config import ConfigError, EffectiveConfig
from soulbeat.config.memory import may_allow_mcp
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.errors import NotFoundError, WorkspaceError
from soulbeat.schedule.plan import BeatPlan, PlanChanges
from soulbeat.store.base import BeatStore
from soulbeat.store.records import MAIN, Schedule, Thread
from soulbeat.workspace.digest import workspace_digest
from soulbeat.workspace.loader import Workspace
from soulbeat.workspace.tasks import due_tasks

_PUBLIC_ACTIONS = frozenset({"post", "comment", "vote"})
WATCH_DEBOUNCE_MS = 50
WATCH_STEP_MS = 200
"""How often the watch's thread looks for changes and for being stopped: each look takes the
GIL, so a short step costs a busy scheduler CPU (issue 12: 20 ms cost about 0.08 ms per beat at
50 beats/s); changes are still reported within about a quarter of a second."""
WATCH_TRUST_SECONDS = 1.0
"""While the watch runs, a workspace checked this recently is not stat'd again
(`WorkspaceSnapshots.trust`): the watch reports changes sooner than that."""

log = logging.getLogger(__name__)


def quiet_facts(
    plan: BeatPlan, registry: AgentRegistry, thread: Thread, workspace: Workspace | None
) -> BeatPlan:
    """Issue 15: what the `unchanged` guard needs beyond the config — whether the beat has MCP
    tools (an agent with MCP servers and an allow-list that may let one through) and the workspace's
    digest now."""
    agent = registry.agent_settings(thread.agent_id)
    outside = plan.reaches_outside and bool(agent is not None and agent.mcp_servers)
    digest = workspace_digest(workspace) if workspace is not None else ""
    return _for_thread(
        plan, reaches_outside=outside, agent_id=thread.agent_id, workspace_digest=digest
    )


def plan_from_config(
    thread: Thread,
    skill: str,
    effective: EffectiveConfig,
    source: HeartbeatSource,
    user_timezone: str,
    inputs: str = "",
) -> BeatPlan:
    """The BeatPlan of one schedule (tasks not yet evaluated: `due_tasks` is empty)."""
    config = effective.config
    visibility = config.visibility
    allowed = set(config.actions.allowed)
    return BeatPlan(
        thread_id=thread.id,
        skill=skill,
        enabled=thread.enabled and config.enabled,
        interval=None if config.cron is not None else config.interval,
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
        inputs=inputs,
        cron=config.cron,
        cron_timezone=config.timezone,
        quiet_after_message=config.quiet_after,
        dead_after=config.dead_after_interval(),
        health_target=config.health_target,
        skip_unchanged=config.skip_unchanged,
        reaches_outside=may_allow_mcp(config.tools),  # narrowed to agents with MCP servers
    )


class WorkspacePlanner:
    """Plans every thread's main heartbeat and each scheduled skill from the live workspace.

    A thread whose config or workspace cannot be used gets a disabled plan rather than none, so
    its schedule is kept and the problem shows in `doctor` instead of the thread vanishing.
    """

    def __init__(self, store: BeatStore, registry: AgentRegistry, *, watch: bool = False) -> None:
        self._store = store
        self._registry = registry
        self._watch = watch
        self._cursor: int | None = None
        self._skills: dict[str, Signature] = {}
        self._templates: dict[
            tuple[int, int, str], tuple[EffectiveConfig, HeartbeatSource, BeatPlan]
        ] = {}
        self.planned = 0
        """How many threads were planned by `plans()` / `changes()` so far (not `plan_for_beat`)."""

    async def plans(self, thread_id: str | None = None) -> Sequence[BeatPlan]:
        if thread_id is not None:
            try:
                threads = [await self._store.get_thread(thread_id)]
            except NotFoundError:
                return []
        else:
            signatures = self._signatures()
            threads = await self._store.list_threads()
            # Every plan as of now: the next `changes()` needs only what changed after this.
            # (Without this, the first pass after a full sync re-planned the whole fleet.)
            self._advance(threads, signatures)
        return self._plans_of(threads)

    async def pages(self, size: int) -> AsyncIterator[PlanChanges]:
        """`plans()` a page of ``size`` threads at a time (`Planner.pages`). The next
        `changes()` starts from the thread revision read before the first page: a thread
        changed while the pages were read is planned again then, never missed."""
        signatures = self._signatures()
        revision = await self._store.thread_revision()
        after = 0  # pages in revision order: an index range each, and none missed or repeated
        while True:
            threads = await self._store.threads_changed_since(after, limit=size)
            if threads:
                yield PlanChanges(self._plans_of(threads), frozenset(t.id for t in threads))
                after = threads[-1].revision
            if len(threads) < size:
                break
        self._cursor = max(self._cursor or 0, revision)
        self._skills = signatures

    def _signatures(self) -> dict[str, Signature]:
        return {a: self._registry.skills_signature(a) for a in self._registry.agent_ids}

    def _plans_of(self, threads: Sequence[Thread]) -> list[BeatPlan]:
        """Plans of many threads: each agent's workspace is looked at once, not per thread."""
        views: dict[str, _AgentView] = {}
        plans: list[BeatPlan] = []
        for thread in threads:
            agent = thread.agent_id
            view = views.get(agent)
            if view is None:
                view = views[agent] = self._view(agent)
            self.planned += 1
            plans.extend(self._thread_plans(thread, view, f"{thread.revision}:{view.digest}"))
        return plans

    def _view(self, agent_id: str, *, digest: bool = True) -> _AgentView:
        """The agent's view; ``digest=False`` (a beat's plan, whose `inputs` are not stored)
        skips the skills digest."""
        registry = self._registry
        digest_text = _digest(registry.skills_signature(agent_id)) if digest else ""
        zone = registry.user_timezone(agent_id)
        try:
            workspace = registry.workspace(agent_id)
        except WorkspaceError:
            return _AgentView(None, {}, zone, digest_text)
        names = [MAIN, *(s.name for s in workspace.skills.skills if s.has_schedule)]
        sources = {name: registry.source(agent_id, name)[1] for name in names}
        return _AgentView(workspace, sources, zone, digest_text)

    async def changes(self) -> PlanChanges:
        signatures = self._signatures()
        if self._cursor is None:
            threads = await self._store.list_threads()
            self._advance(threads, signatures)
            return PlanChanges(self._plans_of(threads))
        changed: dict[str, Thread] = {}
        if await self._store.thread_revision() > self._cursor:  # a probe; the list when needed
            changed = {t.id: t for t in await self._store.threads_changed_since(self._cursor)}
        for agent, signature in signatures.items():
            if self._skills.get(agent) != signature:
                changed.update((t.id, t) for t in await self._store.list_threads(agent))
        threads = list(changed.values())
        self._advance(threads, signatures)
        return PlanChanges(self._plans_of(threads), frozenset(changed))

    def _advance(self, threads: Sequence[Thread], signatures: dict[str, Signature]) -> None:
        self._cursor = max([self._cursor or 0, *(t.revision for t in threads)])
        self._skills = signatures

    async def plan_for_beat(
        self, thread_id: str, skill: str, now: datetime, schedule: Schedule | None
    ) -> BeatPlan | None:
        try:
            thread = await self._store.get_thread(thread_id)
        except NotFoundError:
            return None
        view = self._view(thread.agent_id, digest=False)
        plans = self._thread_plans(thread, view, "", only=skill)
        plan = next((p for p in plans if p.skill == skill), None)
        source = view.sources.get(skill)
        if plan is not None and plan.skip_unchanged:
            plan = quiet_facts(plan, self._registry, thread, view.workspace)
        if plan is None or source is None or not plan.has_cadence_tasks:
            return plan
        tasks = source.instructions.tasks if source.instructions else ()
        zone = resolve_timezone("user", plan.user_timezone)
        last_run = dict(schedule.task_last_run) if schedule else {}
        due = due_tasks(tasks, now, last_run, zone)
        return replace(plan, due_tasks=tuple(t.name for t in due))

    async def watch(self, changed: Callable[[], None]) -> None:
        """Follow the agents' workspace folders (`watchfiles`) and call ``changed`` on any
        change. Returns at once when watching is off or no folder exists."""
        registry = self._registry
        roots = {registry.workspace_path(a).expanduser().absolute() for a in registry.agent_ids}
        folders = sorted(str(root) for root in roots if root.is_dir())
        if not self._watch or not folders:
            return
        from watchfiles import awatch  # only a serving scheduler needs it

        snapshots = registry.snapshots
        snapshots.trust = WATCH_TRUST_SECONDS  # the watch tells of changes: fewer stat checks
        try:
            async for _ in awatch(
                *folders, debounce=WATCH_DEBOUNCE_MS, step=WATCH_STEP_MS, recursive=True
            ):
                snapshots.invalidate()
                changed()
        except (OSError, RuntimeError) as error:  # the folder went away; stat checks remain
            log.warning("stopped watching %s: %s", ", ".join(folders), error)
        finally:
            snapshots.trust = 0.0
            snapshots.invalidate()

    def _thread_plans(
        self, thread: Thread, view: _AgentView, inputs: str, *, only: str | None = None
    ) -> list[BeatPlan]:
        """The plans of ``thread`` (all, or with ``only`` just that schedule's)."""
        disabled = [
            BeatPlan(thread_id=thread.id, skill=MAIN, enabled=False, interval=None, inputs=inputs)
        ]
        if view.workspace is None:
            return disabled
        try:
            main = self._registry.effective(thread)
        except ConfigError:
            return disabled
        plans: list[BeatPlan] = []
        if only in (None, MAIN):
            plans.append(self._plan(thread, MAIN, main, view, inputs))
        for skill in view.workspace.skills.skills:
            source = view.sources.get(skill.name)
            if source is None or skill.name == MAIN or only not in (None, skill.name):
                continue
            try:
                effective = self._registry.effective(thread, skill)
            except ConfigError:
                continue
            plans.append(self._plan(thread, skill.name, effective, view, inputs))
        return plans

    def _plan(
        self, thread: Thread, skill: str, effective: EffectiveConfig, view: _AgentView, inputs: str
    ) -> BeatPlan:
        """`plan_from_config`, with what depends on the config and the workspace alone computed
        once per (config, instructions) and only the thread's own facts filled in per thread."""
        source = view.sources[skill]
        key = (id(effective), id(source), view.zone)
        template = self._templates.get(key)
        if template is None or template[0] is not effective or template[1] is not source:
            plan = plan_from_config(thread, skill, effective, source, view.zone)
            if len(self._templates) >= 1024:
                self._templates.clear()
            self._templates[key] = (effective, source, plan)
        else:
            plan = template[2]
        return _for_thread(
            plan,
            thread_id=thread.id,
            enabled=thread.enabled and effective.config.enabled,
            last_activity_at=thread.last_user_message_at or thread.created_at,
            inputs=inputs,
        )


@dataclass(frozen=True)
class _AgentView:
    """One agent's workspace as planning sees it, looked at once per batch of threads."""

    workspace: Workspace | None
    sources: dict[str, HeartbeatSource]
    """The instructions of the main schedule ("") and of each skill that has a schedule."""
    zone: str
    digest: str
    """A digest of the agent's skills signature (part of each plan's `inputs`)."""


def _for_thread(template: BeatPlan, **own: object) -> BeatPlan:
    """``dataclasses.replace(template, **own)`` for the four per-thread fields, at a fraction of
    its cost (planning 100,000 threads calls this 100,000 times): a shallow copy of the frozen
    template whose fields are set before anyone else can see it."""
    plan: BeatPlan = object.__new__(BeatPlan)
    fields = plan.__dict__
    fields.update(template.__dict__)
    fields.update(own)
    return plan


def _digest(signature: Signature) -> str:
    return hashlib.sha256(repr(signature).encode()).hexdigest()[:12]
