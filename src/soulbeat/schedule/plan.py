"""`BeatPlan`: everything the scheduler needs to know about one schedule, already resolved.

The scheduler knows nothing of config files, workspaces or precedence: a `Planner` (built in
`wiring.py` from the effective config and the workspace) hands it a `BeatPlan` per thread/skill,
and the scheduler decides *when* and *whether* from that alone.

Planning is driven by change: `Planner.changes()` hands over only the plans whose inputs changed
since its previous call, so a pass with nothing changed plans nothing, and `Planner.watch()`
wakes the scheduler when an input on disk changes while it sleeps (a skill added, say).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from soulbeat.contract.active_hours import ActiveHours
from soulbeat.store.records import Schedule


@dataclass(frozen=True)
class BeatPlan:
    """The effective, validated facts about one schedule (a thread's main heartbeat or a skill)."""

    thread_id: str
    skill: str
    """`store.records.MAIN` ("") for the thread's own heartbeat, else the skill's name."""
    enabled: bool
    """The thread's (and the skill's) enabled flag; the global flag is the scheduler's own."""
    interval: timedelta | None
    """None when the interval is disabled (`0m`)."""
    active_hours: ActiveHours | None = None
    user_timezone: str = "UTC"
    idle_pause: timedelta | None = None
    """None disables the idle guard."""
    last_activity_at: datetime | None = None
    """When a person last wrote in the thread (else when the thread was made)."""
    daily_token_budget: int | None = None
    heartbeat_file_empty: bool = False
    """The instructions file exists and is effectively empty (SPEC §1.3)."""
    has_cadence_tasks: bool = False
    due_tasks: tuple[str, ...] = ()
    """Names of the cadence tasks due now (only meaningful when `has_cadence_tasks`)."""
    has_route: bool = True
    """False when the outcome could go nowhere: target `none`, no allowed actions, not dry-run."""
    alerts_visible: bool = True
    """False when `show_ok`, `show_alerts` and `use_indicator` are all off."""
    timeout: timedelta = timedelta(minutes=10)
    inputs: str = ""
    """The fingerprint of what this plan was made from (stored with the schedule)."""
    # -- issue 16: cron, quiet after a message, health --------------------------------------
    cron: str | None = None
    """A five-field cron expression that replaces ``interval`` (`soulbeat.contract.cron`)."""
    cron_timezone: str = "user"
    """The zone ``cron`` is read in: an IANA name, ``local`` or ``user`` (``user_timezone``)."""
    quiet_after_message: timedelta | None = None
    """Defer beats until this long after a person last wrote in the thread (None: off)."""
    dead_after: timedelta | None = None
    """A thread without a finished beat for this long is ``unhealthy`` (None: never)."""
    health_target: str = "none"
    """Where the dead-man alert goes: ``none``, ``thread`` or a channel name."""

    # -- issue 15: the `unchanged` guard (SPEC §9.1); the last three are set by `plan_for_beat`
    skip_unchanged: bool = False
    """The config's ``skip_unchanged``."""
    reaches_outside: bool = False
    """The beat may call tools that reach outside soulbeat (MCP): never skipped as unchanged.
    From the config alone the allow-list's "may"; `plan_for_beat` narrows it to agents that have
    MCP servers."""
    agent_id: str = ""
    workspace_digest: str = ""
    """`soulbeat.workspace.digest.workspace_digest` of the agent's workspace now."""

    @property
    def beats_on_its_own(self) -> bool:
        """Whether the schedule has slots: an interval or a cron expression."""
        return self.interval is not None or self.cron is not None


@dataclass(frozen=True)
class PlanChanges:
    """What changed since the planner's previous `changes()` call.

    ``threads`` None: ``plans`` is every plan (a first call, or a planner that cannot tell), and a
    stored schedule without a plan goes. Else ``plans`` are the plans of exactly those threads,
    and only their schedules without a plan go."""

    plans: Sequence[BeatPlan]
    threads: frozenset[str] | None = None


class Planner(Protocol):
    """Resolves the current plan of schedules. Called by the scheduler on every pass it needs."""

    async def plans(self, thread_id: str | None = None) -> Sequence[BeatPlan]:
        """Every schedule that should exist (for one thread, or for all), tasks not yet evaluated.

        A thread with skills yields one plan for its main heartbeat and one per skill that has a
        heartbeat. `due_tasks` may be left empty here; `plan_for_beat` fills it in.
        """

    async def plan_for_beat(
        self, thread_id: str, skill: str, now: datetime, schedule: Schedule | None
    ) -> BeatPlan | None:
        """The plan of one schedule at `now`, with `due_tasks` computed from the schedule's task
        last-run times. None when the thread or skill no longer exists."""

    def pages(self, size: int) -> AsyncIterator[PlanChanges]:
        """Every plan, as `plans()` gives them, a page of at most ``size`` threads at a time:
        each `PlanChanges` covers its page's threads (or, from a planner that cannot page,
        everything: ``threads`` None). Like `plans()`, a later `changes()` returns only what
        changed after the pages were read. A fleet's first planning holds one page of
        threads, plans and schedules in memory, not the whole fleet's (issue 12)."""

    async def changes(self) -> PlanChanges:
        """The plans whose inputs changed since the previous call (see `PlanChanges`); the
        first call returns every plan. Cost: proportional to what changed, not to the fleet."""

    async def watch(self, changed: Callable[[], None]) -> None:
        """Call ``changed`` whenever an input may have changed outside soulbeat (a file edited,
        a skill added), until cancelled. May return at once when there is nothing to watch."""
