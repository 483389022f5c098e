"""`StaticPlanner`: a `Planner` for tests that hands out the `BeatPlan`s it was given.

`set(plan)` adds or replaces the plan of one schedule (thread and skill), `remove(thread_id,
skill)` drops it. `plan_for_beat` returns the stored plan as it is (its `due_tasks` included), or
None when there is none, like a real planner for a thread that was deleted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

from soulbeat.schedule.plan import BeatPlan, PlanChanges
from soulbeat.store.records import MAIN, Schedule

__all__ = ["StaticPlanner"]


class StaticPlanner:
    """A `Planner` holding plans in memory, keyed by (thread id, skill)."""

    def __init__(self, *plans: BeatPlan) -> None:
        self._plans: dict[tuple[str, str], BeatPlan] = {}
        for plan in plans:
            self.set(plan)

    def set(self, plan: BeatPlan) -> BeatPlan:
        """Add or replace the plan of ``(plan.thread_id, plan.skill)``."""
        self._plans[(plan.thread_id, plan.skill)] = plan
        return plan

    def remove(self, thread_id: str, skill: str = MAIN) -> None:
        """Drop a plan (its schedule is deleted on the scheduler's next sync)."""
        self._plans.pop((thread_id, skill), None)

    def get(self, thread_id: str, skill: str = MAIN) -> BeatPlan | None:
        return self._plans.get((thread_id, skill))

    async def plans(self, thread_id: str | None = None) -> list[BeatPlan]:
        return [p for p in self._plans.values() if thread_id is None or p.thread_id == thread_id]

    async def plan_for_beat(
        self, thread_id: str, skill: str, now: datetime, schedule: Schedule | None
    ) -> BeatPlan | None:
        return self._plans.get((thread_id, skill))

    async def pages(self, size: int) -> AsyncIterator[PlanChanges]:
        """One page with every plan, covering everything: a removed plan's schedule goes."""
        yield PlanChanges(await self.plans())

    async def changes(self) -> PlanChanges:
        """Every plan, every time: a hand-set plan takes effect on the next pass."""
        return PlanChanges(await self.plans())

    async def watch(self, changed: Callable[[], None]) -> None:
        """Nothing to watch: plans change only through `set` and `remove`."""
