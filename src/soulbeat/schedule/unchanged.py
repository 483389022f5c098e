"""Whether nothing changed for a thread since its last beat (the `unchanged` guard, SPEC §9.1).

`nothing_new` answers for one claimed beat, before any model call, from the store alone:

* the plan asks for it (``skip_unchanged``), the beat has no MCP tools (``reaches_outside``:
  soulbeat's own read-only tools do not count, what they read is checked here), no task is due
  (a due cadence task is new work) and the wake is a scheduled one (`interval` or a skill's);
* the schedule's last beat that ran the model — skips by a guard are passed over — ended as an
  acknowledgement (``ok-token`` or ``ok-empty``);
* since it finished nothing arrived (`BeatStore.thread_changes`: messages from others, queued
  events, scratch and workspace-file versions, board posts and comments), and the workspace
  files it was shown are the same (its recorded `workspace_digest` equals the plan's).

Cost: one short list of the thread's newest beats and one count query, asked by the scheduler
only for a beat every other guard let through. Skips fold into one record, so ten records look
back far enough; finding no model beat among them, the beat runs. A schedule that never
finished a beat (its stored `last_finished_at` is empty) runs without asking.
"""

from __future__ import annotations

from datetime import datetime

from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.base import BeatStore
from soulbeat.store.records import BeatRecord, Schedule

__all__ = ["ACK_OUTCOMES", "last_model_beat", "nothing_new"]

ACK_OUTCOMES = frozenset({"ok-token", "ok-empty"})
_LOOK_BACK = 10
_GUARD_SKIPS = frozenset(
    {
        "disabled", "quiet-hours", "quiet-after-message", "busy", "cooldown", "flood", "idle",
        "budget", "empty-heartbeat-file", "no-tasks-due", "unchanged", "no-route",
        "alerts-disabled",
    }
)  # fmt: skip


async def last_model_beat(store: BeatStore, thread_id: str, skill: str) -> BeatRecord | None:
    """The schedule's newest finished beat that got past the guards, if any."""
    for beat in await store.list_beats(thread_id=thread_id, limit=_LOOK_BACK):
        if beat.skill != skill or beat.status != "finished":
            continue
        if beat.outcome == "skipped" and beat.skip_reason in _GUARD_SKIPS:
            continue
        return beat
    return None


async def nothing_new(
    store: BeatStore,
    plan: BeatPlan,
    reason: str,
    now: datetime,
    schedule: Schedule | None = None,
) -> bool:
    """See the module docstring; False whenever in doubt (the beat then runs). ``schedule``:
    the beat's schedule as the guard read it; one that never finished a beat has no beat to
    compare with, and the store is not asked (a fleet's first beats, issue 12)."""
    if not plan.skip_unchanged or plan.reaches_outside or plan.due_tasks:
        return False
    if reason != "interval" and not reason.startswith("skill:"):
        return False
    if schedule is not None and schedule.last_finished_at is None:
        return False
    last = await last_model_beat(store, plan.thread_id, plan.skill)
    if last is None or last.outcome not in ACK_OUTCOMES or last.finished_at is None:
        return False
    if not plan.workspace_digest or last.audit.get("workspace_digest") != plan.workspace_digest:
        return False
    changes = await store.thread_changes(plan.thread_id, plan.agent_id, last.finished_at)
    return not changes.any
