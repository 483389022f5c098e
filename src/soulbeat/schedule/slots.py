"""`SlotBook`: the stored schedules kept in step with the planner's plans.

* `refresh()` — once per scheduler pass: applies `Planner.changes()` (only what changed since
  the last pass) and moves stale schedules on; an idle pass writes nothing and plans nothing.
* `sync(thread_id=None)` — the same for every plan (or one thread's), asked of the planner now.
  A plan without a schedule gets one: its phase and its first slot after
  now (moved into active hours), so nothing runs just because the process started. A schedule
  whose fingerprint (interval, window, zone) changed is re-planned from now. A schedule whose
  slot is past and whose beat already finished (its key can never be claimed again) is moved on
  from now. Any other schedule keeps its slot, even a missed one: it runs once, then `after()`
  computes the next slot from that beat's end, so slots missed while down are never replayed.
  A schedule no longer planned is deleted, unless a beat holds its lease (it goes on a later
  sync, once the beat has ended). A slot held back by a deferral (busy, cooldown, flood) whose
  schedule is re-planned or deleted can never be claimed again (its key is no longer the
  schedule's slot): it is first finished as skipped ``superseded``, so no beat stays
  ``deferred`` for ever. A plan whose fingerprint and inputs match its schedule needs
  no write; one whose inputs alone changed only stores them. Writes go in transactions of
  `WRITE_CHUNK` schedules (a fleet's first planning; a crash between them leaves the rest
  unplanned, and the next sync plans them). A sync of every thread goes a page of `SYNC_PAGE`
  threads at a time (`Planner.pages`): their plans against their own schedules only, so a
  fleet's threads, plans and schedules are never all in memory at once.
* `after(plan, now)` — the plan's first slot after ``now`` in its active hours (None when the
  plan does not beat on its own: disabled thread or interval). A cron plan's slots are its fire
  times instead (`soulbeat.schedule.cron_slots`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from soulbeat.clock import Clock
from soulbeat.errors import NotFoundError
from soulbeat.schedule.cadence import (
    effective_interval,
    next_slot,
    phase_offset,
    plan_fingerprint,
    seek_active_slot,
)
from soulbeat.schedule.cron_slots import cron_slot
from soulbeat.schedule.plan import BeatPlan, PlanChanges, Planner
from soulbeat.store.base import BeatStore
from soulbeat.store.bulk import paused_gc
from soulbeat.store.records import BeatResult, Schedule, beat_key

__all__ = ["SlotBook", "is_finished", "leased"]


STALE_FRONT = 100
"""How many of the first due schedules a sync checks for stale slots (each costs an index probe
of the beats table); a pass checks only as many as it could claim."""
log = logging.getLogger(__name__)

WRITE_CHUNK = 5000
"""Schedules written per transaction when a fleet is planned: memory stays bounded by the chunk
(planning 100,000 threads at once peaked at about 150 MiB, issue 12)."""
SYNC_PAGE = 2000
"""Threads planned together by a full sync (issue 12: memory bounded by a page, not the fleet)."""
_CLOSE_LEASE = timedelta(minutes=1)
"""The lease taken for the moment it takes to finish a superseded deferred slot."""


class SlotBook:
    """Keeps a store's schedules in step with a planner (module docstring)."""

    def __init__(
        self, store: BeatStore, planner: Planner, clock: Clock, *, worker_id: str = "slot-book"
    ) -> None:
        self._store, self._planner, self._clock = store, planner, clock
        self._worker_id = worker_id
        self._seed: str | None = None
        self._fingerprints: dict[tuple[object, ...], str] = {}
        self._synced = False
        """Whether a full sync has run: until then `refresh` does one, in pages."""
        self.changes = 0
        """Counts the syncs and refreshes that had a plan or thread to apply (a held slot's
        early decision is not kept across one: `soulbeat.schedule.guarding`)."""

    async def sync(self, thread_id: str | None = None) -> None:
        """Make the stored schedules (of one thread, or all) match the planner's plans."""
        if thread_id is not None:
            plans = await self._planner.plans(thread_id)
            await self._apply(PlanChanges(plans, frozenset([thread_id])))
            return
        async for page in self._planner.pages(SYNC_PAGE):
            with paused_gc():  # a page's plans and schedules are acyclic (`soulbeat.store.bulk`)
                await self._apply(page)
        self._synced = True

    async def refresh(self, *, front: int = STALE_FRONT) -> None:
        """Apply what changed since the last pass (`Planner.changes()`), and move on the stale
        schedules among the first `front` due ones (the scheduler passes how many it could
        claim: a stale slot further back reaches the front as the ones before it are taken).
        The first refresh of a book that has not synced yet is a full `sync()`: the planner's
        first `changes()` would be every plan at once, this goes a page at a time."""
        if not self._synced:
            await self.sync()
            return
        with paused_gc():  # usually nothing; a fleet added meanwhile at times
            await self._apply(await self._planner.changes(), front=front)

    async def _apply(self, changes: PlanChanges, *, front: int = STALE_FRONT) -> None:
        if changes.plans or changes.threads is None or changes.threads:
            self.changes += 1
        now = self._clock.now()
        if self._seed is None:
            self._seed = await self._store.install_seed()
        stale = {
            (s.thread_id, s.skill) for s in await self._store.stale_schedules(now, limit=front)
        }
        plans = list(changes.plans)
        covered = changes.threads
        if covered is None:
            existing = {(s.thread_id, s.skill): s for s in await self._store.list_schedules()}
        else:
            missing = {thread for thread, _ in stale} - covered
            for thread in sorted(missing):  # a stale slot needs its plan to move on
                plans += await self._planner.plans(thread)
            covered = covered | missing
            existing = await self._schedules_of(covered)
        puts: list[Schedule] = []
        inputs_only: list[Schedule] = []
        for plan in plans:
            key = (plan.thread_id, plan.skill)
            schedule = existing.pop(key, None)
            written = self._planned(plan, schedule, stale=key in stale, now=now)
            changed = (
                written is not None
                and not written[1]
                and schedule is not None
                and schedule.fingerprint != written[0].fingerprint  # a new plan, not just stale
            )
            if changed and schedule is not None:
                await self._supersede(schedule, now, "the schedule was re-planned")
            if written is not None:
                (inputs_only if written[1] else puts).append(written[0])
            if len(puts) >= WRITE_CHUNK:  # a fleet: in chunks, so its records are not all alive
                await self._write(puts, keep_slots=False)
                puts = []
        await self._write(puts, keep_slots=False)
        await self._write(inputs_only, keep_slots=True)
        for gone in existing.values():
            if not leased(gone, now):
                await self._supersede(gone, now, "the schedule was removed")
                await self._store.delete_schedule(gone.thread_id, gone.skill)

    async def _supersede(self, schedule: Schedule, now: datetime, why: str) -> None:
        """Finish the schedule's deferred slot, if it has one, as skipped ``superseded``."""
        due = schedule.next_due_at
        if due is None or schedule.not_before is None or leased(schedule, now):
            return
        record = await self._store.get_beat_by_key(
            beat_key(schedule.thread_id, schedule.skill, due)
        )
        if record is None or record.status != "deferred":
            return
        claim = await self._store.claim_wake(
            schedule.thread_id, schedule.skill, record.reason, due, self._worker_id, _CLOSE_LEASE
        )
        if claim is None:
            return
        audit = {"guards_passed": [], "skip_reason": "superseded", "superseded": why}
        result = BeatResult("skipped", now, now, skip_reason="superseded", audit=audit)
        await self._store.finish_beat(claim, result, next_due_at=None, advance=False)

    async def _schedules_of(self, threads: frozenset[str]) -> dict[tuple[str, str], Schedule]:
        if not threads:  # an idle pass: nothing changed, nothing stale (no store call)
            return {}
        found = await self._store.schedules_of(sorted(threads))
        return {(s.thread_id, s.skill): s for s in found}

    async def _write(self, schedules: list[Schedule], *, keep_slots: bool) -> None:
        if not schedules:
            return
        try:
            await self._store.put_schedules(schedules, keep_slots=keep_slots)
        except NotFoundError:  # a thread deleted meanwhile: write the others one by one
            for one in schedules:
                try:
                    await self._store.put_schedules([one], keep_slots=keep_slots)
                except NotFoundError:
                    log.info("no schedule for %r: the thread does not exist", one.thread_id)

    async def after(
        self, plan: BeatPlan, now: datetime, schedule: Schedule | None = None
    ) -> datetime | None:
        """The plan's first slot after ``now``, moved into its active hours; None when disabled.
        ``schedule``: the plan's stored schedule, as read for this beat; when it was planned
        from the same inputs (its fingerprint), its stored phase is the plan's and is not
        hashed again (issue 12: the hash was a twentieth of a beat's CPU)."""
        if plan.cron is not None:  # issue 16: a cron plan's slots are its fire times
            return cron_slot(plan, now)
        interval = effective_interval(plan)
        if interval is None:
            return None
        if schedule is not None and schedule.fingerprint == self._fingerprint(plan):
            phase = timedelta(seconds=schedule.phase_seconds)  # exact: whole microseconds
        else:
            phase = await self._phase(plan, interval)
        raw = next_slot(now, interval, phase)
        return seek_active_slot(raw, interval, plan.active_hours, plan.user_timezone)

    def _planned(
        self, plan: BeatPlan, schedule: Schedule | None, *, stale: bool, now: datetime
    ) -> tuple[Schedule, bool] | None:
        """What to write for ``plan``: None (nothing); the schedule with the new inputs and True
        (its slot is kept); or a re-planned schedule, first slot after ``now``, and False."""
        fingerprint = self._fingerprint(plan)
        if schedule is not None and schedule.fingerprint == fingerprint and not stale:
            if schedule.inputs == plan.inputs:
                return None
            return replace(schedule, inputs=plan.inputs), True
        interval = effective_interval(plan)
        phase = self._phase_of(plan, interval) if interval else timedelta(0)
        due = None
        if interval is not None:
            due = next_slot(now, interval, phase)
            if plan.active_hours is not None:
                due = seek_active_slot(due, interval, plan.active_hours, plan.user_timezone)
        elif plan.cron is not None:
            due = cron_slot(plan, now)
        planned = Schedule(
            thread_id=plan.thread_id,
            skill=plan.skill,
            next_due_at=due,
            phase_seconds=phase.total_seconds(),
            fingerprint=fingerprint,
            inputs=plan.inputs,
        )
        return planned, False

    def _fingerprint(self, plan: BeatPlan) -> str:
        """`plan_fingerprint`, kept per (enabled, interval, window, zone, cron): a fleet shares a
        few."""
        key = (
            plan.enabled,
            plan.interval,
            plan.active_hours,
            plan.user_timezone,
            plan.cron,
            plan.cron_timezone,
        )
        found = self._fingerprints.get(key)
        if found is None:
            if len(self._fingerprints) >= 1024:
                self._fingerprints.clear()
            found = self._fingerprints[key] = plan_fingerprint(plan)
        return found

    async def _phase(self, plan: BeatPlan, interval: timedelta) -> timedelta:
        if self._seed is None:
            self._seed = await self._store.install_seed()
        return self._phase_of(plan, interval)

    def _phase_of(self, plan: BeatPlan, interval: timedelta) -> timedelta:
        assert self._seed is not None  # loaded by the caller
        return phase_offset(self._seed, plan.thread_id, interval, plan.skill)


async def is_finished(store: BeatStore, key: str) -> bool:
    """Whether the beat with this key is finished (a finished key is never claimed again)."""
    record = await store.get_beat_by_key(key)
    return record is not None and record.status == "finished"


def leased(schedule: Schedule, now: datetime) -> bool:
    """Whether a worker holds a live lease on the schedule at ``now``."""
    expires = schedule.lease_expires_at
    return schedule.lease_owner is not None and expires is not None and expires > now
