"""One claim through the guards: what the scheduler decides before it skips, defers or runs.

`decide` reads what the guards look at (the thread's schedules, its plan at a moment, the tokens
it used today) and evaluates them (`soulbeat.schedule.gates`); it writes nothing. The scheduler
acts on the `Decided` (`Scheduler._act`): a skip is finished, a deferral deferred, a pass run.

A slot claimed ahead (`CLAIM_AHEAD`) is decided at its claim, as of its due time, together with
the other slots of the pass (issue 12: the reads and the plan are then warm, and the slot's own
wake-up only runs and finishes it). The decision is kept for the due time only when nothing it
read has changed meanwhile:

* no thread changed, by this process or another: the highest thread revision
  (`BeatStore.thread_revision`, one index probe) is the one read before deciding;
* no change the scheduler heard of (`Scheduler.replan` after a workspace or agent change, a
  planner change seen by a pass, a `hold`) moved its `stamp`;
* no other beat of the same thread started or finished, and no `busy` mark came or went
  (`Scheduler._forget_early`): the cooldown, the flood limit, the token budget and the busy
  guard read what those change;
* it is not a skip for *nothing new* (`soulbeat.schedule.unchanged`): a message may arrive in
  between without the scheduler hearing of it.

Otherwise the guards run again at the due time, as for any other claim.

A person's message through this process marks the thread busy while its reply runs
(`Service.send_message`), which drops the early decision. A message stored by another process
within the horizon does not move the thread revision: the guards that read message times (quiet
after a message, idle) see it from the next slot on, as they already saw the global flag as of
the pass that claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time

from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.errors import ConfigError
from soulbeat.schedule.gates import GateDecision, GateInputs, evaluate_gates
from soulbeat.schedule.plan import BeatPlan, Planner
from soulbeat.schedule.unchanged import nothing_new
from soulbeat.schedule.wakes import INTERVAL, Wake, skill_reason
from soulbeat.store.base import BeatStore
from soulbeat.store.records import MAIN, Claim, Schedule

__all__ = ["Decided", "Work", "decide", "slot_reason"]


@dataclass(frozen=True)
class Work:
    """A claimed beat on its way through the guards; ``wake`` is None for a scheduled slot."""

    claim: Claim
    reason: str
    wake: Wake | None = None
    requeue: bool = True
    """Whether a deferred wake goes back to the queue (`run_now` retries it itself)."""
    schedule: Schedule | None = None
    """The claimed schedule as the guard read it (its stored phase places the next slot)."""

    @property
    def is_slot(self) -> bool:
        return self.wake is None

    def but(self, *, claim: Claim | None = None, schedule: Schedule | None = None) -> Work:
        """A copy with another claim or schedule (`dataclasses.replace` costs several times
        more, and this is on every beat's path)."""
        return Work(
            claim or self.claim, self.reason, self.wake, self.requeue, schedule or self.schedule
        )


@dataclass(frozen=True)
class Decided:
    """What the guards made of a claim: no plan (the thread or skill is gone), or a decision."""

    work: Work
    plan: BeatPlan | None
    decision: GateDecision
    quiet: bool = False
    """Skipped for nothing new: an early decision of this kind is not kept (module doc)."""
    stamp: int = 0
    """The scheduler's change stamp when decided (module doc)."""
    revision: int = 0
    """The highest thread revision, read before deciding (module doc)."""


GONE = GateDecision(passed=(), skip="disabled")
"""The decision for a claim without a plan: finished ``skipped`` ``disabled``."""


async def decide(
    store: BeatStore,
    planner: Planner,
    work: Work,
    *,
    at: datetime,
    enabled: bool,
    busy: bool,
    stamp: int = 0,
    revision: int = 0,
) -> Decided:
    """The guards' decision on `work` as of `at` (now, or a held slot's due time); `stamp` and
    `revision` are kept in it for an early decision's check."""
    claim = work.claim
    schedules = await store.list_schedules(claim.thread_id)
    own = next((s for s in schedules if s.skill == claim.skill), None)
    work = work.but(schedule=own)
    plan = await planner.plan_for_beat(claim.thread_id, claim.skill, at, own)
    if plan is None:  # the thread or skill is gone; the next sync deletes the schedule
        return Decided(work, None, GONE, stamp=stamp, revision=revision)
    starts = tuple(sorted(start for s in schedules for start in s.recent_starts))
    tokens = 0
    if plan.daily_token_budget is not None:
        tokens = await store.tokens_used(claim.thread_id, _start_of_day(at, plan.user_timezone))
    inputs = GateInputs(
        plan=plan,
        now=at,
        reason=work.reason,
        global_enabled=enabled,
        busy=busy,
        last_beat_start=starts[-1] if starts else None,
        recent_starts=starts,
        tokens_used_today=tokens,
    )
    decision = evaluate_gates(inputs)
    if decision.runs and await nothing_new(store, plan, work.reason, at, own):
        decision = evaluate_gates(replace(inputs, unchanged=True))  # asked only when it counts
        return Decided(work, plan, decision, not decision.runs, stamp=stamp, revision=revision)
    return Decided(work, plan, decision, stamp=stamp, revision=revision)


def slot_reason(claim: Claim) -> str:
    """Scheduled beats: ``interval`` for a thread, ``skill:<name>`` for a skill schedule."""
    if claim.skill != MAIN and claim.reason in ("", INTERVAL):
        return skill_reason(claim.skill)
    return claim.reason or INTERVAL


def _start_of_day(now: datetime, user_timezone: str) -> datetime:
    """Midnight of today in the user's zone (the token budget is per day), as UTC."""
    try:
        zone = resolve_timezone("user", user_timezone)
    except ConfigError:
        zone = UTC
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), zone).astimezone(UTC)
