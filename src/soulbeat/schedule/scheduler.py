"""`Scheduler`: when beats happen, one public pass at a time (SPEC §4).

The pass, `run_due()`, step by step:

1. **reap** — leases that expired (a worker died mid-beat) are released by the store; their
   slots are due again and keep their beat key, so the next claim finishes them exactly once.
2. **sync** — the planner's plans become stored schedules (`SlotBook`): a new one gets its
   phase and its first slot after now (no beat at start-up); one whose interval, window or zone
   changed is re-planned from now; one no longer planned is deleted. An unchanged schedule keeps
   its slot, even one missed while the process was down: it runs once, and the slot after it is
   computed from the time it finished, so missed slots are coalesced, never replayed.
3. **claim** — ready wakes first (`BeatStore.claim_wake`), then due slots
   (`BeatStore.claim_due`), never more than the free capacity (`max_concurrent_beats` minus the
   beats in flight). With `claim_ahead` (a serving process on the real clock: `CLAIM_AHEAD`)
   and no backlog, the pass also claims the slots that fall due within that horizon, in one
   transaction (issue 12: one pass and one claim for a few beats, not one each); each waits,
   leased but not in flight, for its slot, decided already (`soulbeat.schedule.guarding`: its
   guards ran right after the claim, as of its due time, and run again only if something they
   read changed meanwhile), then runs as below.
   `shutdown` releases it unstarted (`interrupted`), and the slot resumes under its key.
4. **guard** — each claim gets its plan at now (`Planner.plan_for_beat`) and goes through the
   guards (`soulbeat.schedule.guarding.decide`, `soulbeat.schedule.gates`). A *skip* is finished
   ``skipped`` with its reason and a slot advances; a *deferral* (busy, cooldown, flood) is
   `BeatStore.defer_beat`: the slot is kept and a wake goes back to the queue, ready when the
   deferral ends.
5. **run** — a beat that passed starts as a task: `run_watched` runs the `BeatRunner` with the
   plan's timeout and lease renewal, then the beat is finished: its record, the next slot (from
   the finish time) and, when it completed, the due tasks' last-run times. A runner that raises
   is recorded ``failed`` and nothing else is disturbed.
6. `run_due()` waits for the beats it started, then returns how many claims it handled.

`run_forever()` is the same pass without the waiting, then a sleep on the clock until the earliest
due slot, the next ready wake, or a wake-up (`wake()`, `replan()`, a beat ending): no polling.

Wake reasons of scheduled beats: ``interval`` for a thread's own heartbeat and ``skill:<name>``
for a skill's. The global flag (`start()`/`stop()`, stored as ``scheduler.enabled``): while it
is off a pass claims nothing, plans nothing and writes nothing (SPEC §9.1): no row per slot for
a stopped fleet. Only manual wakes run, bypassing the flag, and their record says
``scheduler_stopped``; other wakes are dropped. A disabled thread or
interval has no slot at all (``next_due_at`` None) until it is enabled again; its wakes are
recorded as skipped ``disabled``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from soulbeat.clock import Clock
from soulbeat.errors import (
    LeaseLostError,
    NotFoundError,
    SoulbeatError,
    StoreError,
)
from soulbeat.events.models import EventSink
from soulbeat.schedule.beats import (
    beat_data,
    failed_result,
    interrupted_result,
    record_data,
    run_watched,
    skipped_result,
    task_runs,
)
from soulbeat.schedule.gates import BUSY_RETRY
from soulbeat.schedule.guarding import Decided, Work, decide, slot_reason
from soulbeat.schedule.health import AlertSink
from soulbeat.schedule.plan import BeatPlan, Planner
from soulbeat.schedule.runner import BeatRunner
from soulbeat.schedule.slots import SlotBook, is_finished
from soulbeat.schedule.timekeeping import TimeKeeping
from soulbeat.schedule.wakes import MANUAL, Wake, WakeQueue
from soulbeat.store.base import BeatStore
from soulbeat.store.records import MAIN, BeatRecord, BeatResult, Claim, beat_key
from soulbeat.tasks import cancel_and_wait

__all__ = ["ENABLED_FLAG", "Scheduler"]

log = logging.getLogger(__name__)

ENABLED_FLAG = "scheduler.enabled"
ERROR_BACKOFF = timedelta(seconds=5)
"""How long `run_forever` waits after a pass that failed (the store was unreachable, say)."""
LEASE = timedelta(seconds=30)
"""How long a claim holds its schedule; renewed every third of it while the beat runs
(`run_watched`), so a worker that dies loses its beats to whoever is alive within one lease."""
CLAIM_AHEAD = timedelta(milliseconds=500)
"""The horizon a serving scheduler claims ahead (`claim_ahead`; `soulbeat.wiring`)."""
HOLD_PER_SLOT = 4
"""Claims held ahead of their slots, at most, per beat of `max_concurrent_beats`."""


@dataclass
class _InFlight:
    claim: Claim
    task: asyncio.Task[BeatRecord | None] | None = None
    finishing: bool = False
    early: Decided | None = None
    """A held slot's decision made at its claim (`soulbeat.schedule.guarding`)."""


_Handled = BeatRecord | asyncio.Task[BeatRecord | None] | None
"""A beat recorded at once (skip, deferral), a beat started, or one that could not be recorded."""


@dataclass(frozen=True)
class _Go:
    """A guarded beat that runs in the task that guarded it (a held slot's: `_enter`)."""

    work: Work
    plan: BeatPlan
    passed: tuple[str, ...]


class Scheduler:
    """Decides when each schedule beats, claims it, guards it and runs it (module docstring)."""

    def __init__(
        self,
        store: BeatStore,
        planner: Planner,
        runner: BeatRunner,
        clock: Clock,
        *,
        worker_id: str,
        lease: timedelta = LEASE,
        max_concurrent_beats: int = 4,
        events: EventSink | None = None,
        alerts: AlertSink | None = None,
        claim_ahead: timedelta = timedelta(0),
    ) -> None:
        if max_concurrent_beats < 1:
            raise ValueError(f"max_concurrent_beats must be at least 1, got {max_concurrent_beats}")
        if claim_ahead < timedelta(0):
            raise ValueError(f"claim_ahead must not be negative, got {claim_ahead}")
        self._store, self._planner, self._runner, self._clock = store, planner, runner, clock
        self._worker_id = worker_id
        self._lease = lease
        self._capacity = max_concurrent_beats
        self._events = events
        self._wakes = WakeQueue(clock)
        self._woken = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._book = SlotBook(store, planner, clock, worker_id=worker_id)
        self._running = asyncio.Semaphore(max_concurrent_beats)
        self._inflight: dict[int, _InFlight] = {}
        self._ahead = claim_ahead
        self._waiting: dict[int, _InFlight] = {}
        """Slots claimed ahead, waiting for their due time (`_hold`)."""
        self._guarding = 0
        """Held slots and manual beats between their claim and their start or record, outside
        a pass: `shutdown` waits for them before it releases their leases."""
        self._guards_done = asyncio.Event()
        self._guards_done.set()
        self._busy: Counter[str] = Counter()
        self._closing = False
        self._pass_idle = asyncio.Event()
        self._pass_idle.set()
        self._asleep = False
        self._asleep_until: datetime | None = None
        self._held = False
        self._stopped = False
        self._claimed_at: datetime | None = None
        """The `now` the last pass claimed at: what was due then and not taken is held."""
        self.generation = 0
        """Counts passes, wakes and re-plans: a cached status is stale once it moved."""
        self._heard = 0
        """Counts the changes this scheduler was told of (`replan`, `hold`); with the slot
        book's `changes`, what an early decision must not have missed (`_changes`)."""
        # issue 16: reminders, backoff and the dead-man check (`soulbeat.schedule.timekeeping`)
        self._time = TimeKeeping(store, planner, self._push_wake, self._publish, alerts)

    def _push_wake(self, wake: Wake) -> None:
        self._wakes.retry_at(wake, self._clock.now())
        self._woken.set()

    # -- the pass ---------------------------------------------------------------------------------
    async def run_due(self) -> int:
        """One pass (module docstring); waits for the beats it started. Returns claims handled."""
        handled, started = await self._pass()
        if started:
            await asyncio.wait(started)
        return handled

    async def _pass(self) -> tuple[int, list[asyncio.Task[BeatRecord | None]]]:
        if self._closing:
            return 0, []
        self._pass_idle.clear()
        try:
            enabled = await self.is_enabled()
            self._stopped = not enabled
            started: list[asyncio.Task[BeatRecord | None]] = []
            if enabled:
                await self._store.reap_expired(self._clock.now())
                await self._book.refresh(front=self._capacity)  # what a claim could take
                self._claimed_at = self._clock.now()
                await self._time.on_pass(self._claimed_at)
                works = await self._claim(self._claimed_at)
            else:  # stopped (SPEC §9.1): claims nothing, writes nothing; manual wakes still run
                now = self._claimed_at = self._clock.now()
                self._time.paused()
                works = await self._claim_wakes(now, self._free(), manual_only=True)
            revision = await self._revision_for(works)
            for work in works:
                if self._closing:  # shutting down: `shutdown` releases the claims not started
                    break
                if work.claim.due_at > self._claimed_at:  # claimed ahead: runs at its slot
                    started.append(self._hold(work, enabled, revision))
                    continue
                handled = await self._handle(work, enabled)
                if isinstance(handled, asyncio.Task):
                    started.append(handled)
            return len(works), started
        finally:
            self.generation += 1
            self._pass_idle.set()

    async def _claim(self, now: datetime) -> list[Work]:
        works = await self._claim_wakes(now, self._free())
        room = self._free() - len(works)
        if room > 0:
            claims = await self._store.claim_due(now, self._worker_id, self._lease, limit=room)
            works += [Work(claim, slot_reason(claim)) for claim in claims]
            hold = self._capacity * HOLD_PER_SLOT - len(self._waiting)
            if self._ahead and len(claims) < room and hold > 0:  # no backlog: look ahead
                claims = await self._store.claim_due(
                    now, self._worker_id, self._lease, limit=hold, due_by=now + self._ahead
                )
                works += [Work(claim, slot_reason(claim)) for claim in claims]
        return works

    async def _revision_for(self, works: list[Work]) -> int | None:
        """The highest thread revision, read once for the pass's held slots before any of them
        is decided (`soulbeat.schedule.guarding`); None without held slots or on a failure
        (they are then decided at their due times)."""
        claimed_at = self._claimed_at
        if claimed_at is None or not any(w.claim.due_at > claimed_at for w in works):
            return None
        try:
            return await self._store.thread_revision()
        except Exception:
            log.debug("no thread revision for the held slots", exc_info=True)
            return None

    def _hold(
        self, work: Work, enabled: bool, revision: int | None
    ) -> asyncio.Task[BeatRecord | None]:
        """Keep a slot claimed ahead until its due time, then run it as any other. With the
        thread `revision` read before, its guards are read now, as of its due time, and kept
        unless something they read changes (`soulbeat.schedule.guarding`). It is not in flight
        meanwhile (not busy, no capacity): `shutdown` cancels the wait and releases its lease
        with the others, so the slot resumes under its key later."""
        held = _InFlight(work.claim)
        self._waiting[work.claim.beat_id] = held
        held.task = asyncio.create_task(self._run_held(work, enabled, held, revision))
        return held.task

    async def _run_held(
        self, work: Work, enabled: bool, held: _InFlight, revision: int | None
    ) -> BeatRecord | None:
        try:
            if revision is not None:
                held.early = await self._decide_early(work, enabled, revision)
            await self._clock.sleep((work.claim.due_at - self._clock.now()).total_seconds())
        finally:
            self._waiting.pop(work.claim.beat_id, None)
        if self._closing:
            return None
        with self._guard_scope():
            go = await self._handle(work, enabled, here=True, early=held.early)
            if not isinstance(go, _Go):
                assert not isinstance(go, asyncio.Task)  # `here`: never a task of its own
                return go  # skipped or deferred (or not recordable)
            if self._closing:  # shut down meanwhile: the lease is released, not run
                return None
            beat = self._enter(go.work)  # in flight before the guard scope ends
        return await self._execute(go.work, go.plan, go.passed, beat)

    async def _decide_early(self, work: Work, enabled: bool, revision: int) -> Decided | None:
        """A held slot's decision as of its due time, or None when it could not be made (the
        guards then run at the due time, where a failure is recorded)."""
        try:
            return await self._decide(work, enabled, work.claim.due_at, revision)
        except Exception:
            log.debug("beat %s: no early decision", work.claim.key, exc_info=True)
            return None

    @contextmanager
    def _guard_scope(self) -> Iterator[None]:
        """Count a guard under way outside a pass (`_guarding`)."""
        self._guarding += 1
        self._guards_done.clear()
        try:
            yield
        finally:
            self._guarding -= 1
            if not self._guarding:
                self._guards_done.set()

    async def _claim_wakes(
        self, now: datetime, room: int, *, manual_only: bool = False
    ) -> list[Work]:
        works: list[Work] = []
        restarted: bool | None = None
        for wake in self._wakes.pop_ready(limit=room):
            if manual_only and wake.reason != MANUAL:
                # The flag was read before this wake was taken; a wake asked for after a start
                # (another process's) must not be dropped for a stop that is already over.
                if restarted is None:
                    restarted = await self.is_enabled()
                if restarted:
                    self._wakes.retry_at(wake, now)
                    self._woken.set()
                    continue
                log.info(
                    "dropped a %s wake of %r: the scheduler is stopped", wake.reason, wake.thread_id
                )
                self._time.dropped(wake.reason)
                continue
            try:
                claim = await self._claim_wake(wake)
            except NotFoundError:
                log.warning(
                    "dropped a %s wake of thread %r: no such thread", wake.reason, wake.thread_id
                )
                self._time.dropped(wake.reason)
                continue
            if claim is None:  # the schedule's lease is held: the thread is busy
                self._wakes.retry_at(wake, now + BUSY_RETRY)
            else:
                works.append(Work(claim, wake.reason, replace(wake, at=claim.due_at)))
        return works

    async def _claim_wake(self, wake: Wake) -> Claim | None:
        """Claim a wake's beat, keyed by the wake's instant; None while the schedule is leased.

        A key can only be used once: when a beat with this key already finished (a slot or an
        earlier wake at the same instant), the instant moves on by a microsecond. A wake retried
        after a deferral keeps its key (its beat row is re-used), and its lease is renewed when
        it was claimed with less than half of it left.
        """
        at = wake.at
        while True:
            claim = await self._store.claim_wake(
                wake.thread_id, wake.skill, wake.reason, at, self._worker_id, self._lease
            )
            key = beat_key(wake.thread_id, wake.skill, at)
            if claim is not None or not await is_finished(self._store, key):
                break
            at += timedelta(microseconds=1)
        now = self._clock.now()
        if claim is not None and claim.lease_expires_at < now + self._lease / 2:
            claim = await self._store.renew_lease(claim, now + self._lease)
        return claim

    def _free(self) -> int:
        """Capacity not taken by a running beat (one whose finish is being written, which may
        wait to share a commit, no longer counts)."""
        return self._capacity - sum(1 for beat in self._inflight.values() if not beat.finishing)

    # -- one claim: guards, then skip, defer or start ---------------------------------------------
    async def _handle(
        self, work: Work, enabled: bool, *, here: bool = False, early: Decided | None = None
    ) -> _Handled | _Go:
        try:
            return await self._guard(work, enabled, here, early)
        except Exception as error:
            log.exception("beat %s could not be guarded", work.claim.key)
            now = self._clock.now()
            result = failed_result(now, now, "error", f"{type(error).__name__}: {error}")
            return await self._finish_quietly(work, None, result, ())

    async def _guard(
        self, work: Work, enabled: bool, here: bool = False, early: Decided | None = None
    ) -> _Handled | _Go:
        if early is not None and await self._still_holds(early):
            decided = early  # decided at the claim, and nothing it read has changed since
        else:
            decided = await self._decide(work, enabled, self._clock.now())
        return await self._act(decided, here)

    async def _decide(self, work: Work, enabled: bool, at: datetime, revision: int = 0) -> Decided:
        busy, stamp = self.is_busy(work.claim.thread_id), self._changes
        return await decide(
            self._store,
            self._planner,
            work,
            at=at,
            enabled=enabled,
            busy=busy,
            stamp=stamp,
            revision=revision,
        )

    async def _still_holds(self, early: Decided) -> bool:
        """Whether an early decision may be acted on now (`guarding` module doc)."""
        if early.quiet or early.stamp != self._changes:
            return False
        return await self._store.thread_revision() == early.revision

    async def _act(self, decided: Decided, here: bool) -> _Handled | _Go:
        """Finish a skip, defer a deferral, or run a beat that passed."""
        work, plan, decision, now = decided.work, decided.plan, decided.decision, self._clock.now()
        if plan is None:  # the thread or skill is gone; the slot is left as it is
            return await self._finish(work, None, skipped_result(now, "disabled", ()), ())
        if decision.defer_until is not None and decision.skip is not None:
            return await self._defer(work, decision.skip, decision.defer_until, decision.passed)
        if decision.skip is not None:
            result = skipped_result(now, decision.skip, decision.passed)
            return await self._finish(work, plan, result, decision.passed)
        if here:  # the caller's task runs it: no task of its own (issue 12: one less per beat)
            return _Go(work, plan, decision.passed)
        return self._start(work, plan, decision.passed)

    @property
    def _changes(self) -> int:
        """Moves whenever an input of the guards may have changed (`guarding` module doc)."""
        return self._heard + self._book.changes

    def _forget_early(self, thread_id: str) -> None:
        """Drop the early decisions of a thread's held slots: something they read changed."""
        for held in self._waiting.values():
            if held.early is not None and held.claim.thread_id == thread_id:
                held.early = None

    async def _defer(
        self, work: Work, reason: str, until: datetime, passed: tuple[str, ...]
    ) -> BeatRecord:
        audit = {"guards_passed": list(passed), "deferred": reason, "until": until.isoformat()}
        record = await self._store.defer_beat(work.claim, until, reason, audit=audit)
        if work.wake is not None and work.requeue:
            self._wakes.retry_at(work.wake, until)
        return record

    def _start(
        self, work: Work, plan: BeatPlan, passed: tuple[str, ...]
    ) -> asyncio.Task[BeatRecord | None]:
        beat = _InFlight(work.claim)
        self._inflight[work.claim.beat_id] = beat
        self._idle.clear()
        self._forget_early(work.claim.thread_id)  # the thread is busy now
        beat.task = asyncio.create_task(self._execute(work, plan, passed, beat))
        return beat.task

    def _enter(self, work: Work) -> _InFlight:
        """`_start` for the current task: it is the beat's task, in flight as any other (busy,
        capacity, cancelled by `shutdown` past its grace)."""
        beat = _InFlight(work.claim, asyncio.current_task())
        self._inflight[work.claim.beat_id] = beat
        self._idle.clear()
        self._forget_early(work.claim.thread_id)  # the thread is busy now
        return beat

    # -- one beat: run and finish -----------------------------------------------------------------
    async def _execute(
        self, work: Work, plan: BeatPlan, passed: tuple[str, ...], beat: _InFlight
    ) -> BeatRecord | None:
        started = self._clock.now()
        try:
            async with self._running:
                started = self._clock.now()
                if self._events is not None:
                    self._publish(
                        "beat.started",
                        beat_data(work.claim, work.reason) | {"started_at": started.isoformat()},
                    )
                claim = work.claim
                if claim.reason != work.reason:  # a merged wake's winning reason
                    claim = replace(claim, reason=work.reason)
                claim, result = await run_watched(
                    self._runner,
                    self._store,
                    self._clock,
                    claim,
                    plan,
                    started_at=started,
                    lease=self._lease,
                )
        except LeaseLostError:
            log.warning("beat %s lost its lease; its result is dropped", work.claim.key)
            return None
        except asyncio.CancelledError:
            beat.finishing = True
            if not work.is_slot:  # a wake's beat is not retried: it ends interrupted
                interrupted = interrupted_result(started, self._clock.now())
                await self._finish_quietly(work, plan, interrupted, passed)
            # A slot's beat keeps its claim: `shutdown` releases it unfinished, and the next
            # claim of the slot resumes it under the same key (its recorded effects are kept).
            raise
        else:
            full = self._free() <= 0
            beat.finishing = True
            if full:  # its run is over: capacity is free while the finish is written
                self._woken.set()
            return await self._finish_quietly(work.but(claim=claim), plan, result, passed)
        finally:
            full = self._free() <= 0
            self._inflight.pop(work.claim.beat_id, None)
            if not self._inflight:
                self._idle.set()
            if full:  # capacity is free again: the loop, asleep until woken, may claim more
                self._woken.set()

    async def _finish(
        self, work: Work, plan: BeatPlan | None, result: BeatResult, passed: tuple[str, ...]
    ) -> BeatRecord:
        """Write the beat's record; a slot moves on to the next slot after now, a wake does not.

        Without a plan the slot is left as it is: its key is now finished, so the next sync sees
        the schedule as stale and re-plans it (or deletes it when it is no longer planned).
        """
        audit = {**result.audit, "guards_passed": list(passed), "worker_id": self._worker_id}
        if work.reason == MANUAL and not await self.is_enabled():
            audit["scheduler_stopped"] = True  # a manual beat runs while stopped, and says so
        advance = work.is_slot and plan is not None
        now = self._clock.now()
        step = await self._time.health_after(work.claim.thread_id, result, plan, now)
        next_due = await self._book.after(plan, now, work.schedule) if advance and plan else None
        if advance and plan is not None:  # issue 16: failures in a row back the next slot off
            next_due = await self._time.delayed_slot(step, plan, now, next_due, self._book.after)
        record = await self._store.finish_beat(
            work.claim,
            replace(result, audit=audit),
            next_due_at=next_due,
            advance=advance,
            task_runs=task_runs(plan, result),
            health=None if step is None else step.row,  # one transaction with the beat
        )
        if self._events is not None:
            self._publish("beat.finished", beat_data(work.claim, work.reason) | record_data(record))
        await self._time.finished(work.reason, record.key, step, now)
        self._forget_early(work.claim.thread_id)  # its starts, tokens and health moved on
        self._wake_for(next_due, work.claim.lease_expires_at)
        return record

    def _wake_for(self, when: datetime | None, lease: datetime) -> None:
        """After a finish: wake the loop when the new slot is sooner than it means to wake by
        itself, when it means to wake for this very lease (now released), or when it is in a
        pass (whose sleep may have been worked out before the slot was written)."""
        until = self._asleep_until
        if not self._asleep or until is None or until == lease or (when and when < until):
            self._woken.set()

    async def _finish_quietly(
        self, work: Work, plan: BeatPlan | None, result: BeatResult, passed: tuple[str, ...]
    ) -> BeatRecord | None:
        try:
            return await self._finish(work, plan, result, passed)
        except LeaseLostError:
            log.warning("beat %s lost its lease; its result is dropped", work.claim.key)
        except Exception:
            log.exception("beat %s could not be recorded; its lease will expire", work.claim.key)
        return None

    # -- schedules --------------------------------------------------------------------------------
    async def sync_schedules(self, thread_id: str | None = None) -> None:
        """Make the stored schedules match the planner's plans (`SlotBook.sync`)."""
        await self._book.sync(thread_id)

    # -- the loop ---------------------------------------------------------------------------------
    async def run_forever(self) -> None:
        """Pass, then sleep until the next due slot, the next ready wake or a wake-up; until
        `shutdown()`. A pass that fails is logged and retried after `ERROR_BACKOFF`.

        First, what this worker's name still holds from an earlier life (killed before it could
        release) is released (`Store.release_worker`), so its beats resume at once instead of
        after their leases expire. Meanwhile the planner's watch wakes the loop when an input
        changes on disk."""
        if not self._inflight:
            await self._take_back()
        watcher = asyncio.create_task(self._watch())
        try:
            while not self._closing:
                self._woken.clear()
                try:
                    handled, _ = await self._pass()
                    when = await self._next_pass_at(handled)
                except Exception:
                    log.exception("scheduler pass failed; retrying in %s", ERROR_BACKOFF)
                    when = self._clock.now() + ERROR_BACKOFF
                if not self._closing:
                    await self._sleep(when)
        finally:
            await cancel_and_wait(watcher)

    async def _watch(self) -> None:
        """The planner's watch: an input changed on disk (a skill added) wakes the loop, which
        plans it on its next pass (issue 10 item 6). A failing watch only logs."""
        try:
            await self._planner.watch(self.replan)
        except Exception:
            log.exception("the planner's watch failed; changes are seen on the next pass")

    async def _take_back(self) -> None:
        try:
            released = await self._store.release_worker(self._worker_id)
        except Exception:
            log.exception("could not release the leases of %s's earlier life", self._worker_id)
            return
        if released:
            log.warning(
                "took back %d lease(s) %s held before it restarted", released, self._worker_id
            )

    async def _sleep(self, when: datetime | None) -> None:
        self._asleep_until, self._asleep = when, True
        try:
            await self._clock.sleep_until(when, self._woken)
        finally:
            self._asleep = False

    @property
    def sleeping(self) -> bool:
        """Whether `run_forever` is asleep and nothing has woken it yet (for status and tests)."""
        return self._asleep and not self._woken.is_set()

    @property
    def sleeping_until(self) -> datetime | None:
        """When the sleeping loop wakes by itself; None while awake or asleep until woken."""
        return self._asleep_until if self.sleeping else None

    async def _next_pass_at(self, handled: int) -> datetime | None:
        """None (sleep until woken) while every slot is busy; a beat ending wakes the loop."""
        if self._free() <= 0:
            return None
        due = None if self._stopped else await self._store.earliest_due()
        timed = None if self._stopped else await self._time.next_at(self._clock.now())
        times = [t for t in (due, self._wakes.next_ready_at(), timed) if t]
        if not times:
            return None
        when, claimed_at = min(times), self._claimed_at
        if handled == 0 and claimed_at is not None and when <= claimed_at:
            # Due when the pass claimed, yet nothing was taken (held by another worker): do not
            # spin. A slot that fell due after the pass claimed is simply due now.
            return self._clock.now() + BUSY_RETRY
        return when

    def wake(self, thread_id: str, reason: str = MANUAL, skill: str = MAIN) -> Wake:
        """Ask for a beat of one schedule; it runs on the next pass once coalesced (250 ms)."""
        wake = self._wakes.push(thread_id, reason, skill)
        self.generation += 1
        self._time.invalidate()
        self._woken.set()
        return wake

    def replan(self) -> None:
        """Wake the loop for a pass now, e.g. after a config change (the pass re-syncs)."""
        self.generation += 1
        self._heard += 1
        self._time.invalidate()
        self._woken.set()

    async def run_now(self, thread_id: str, skill: str = MAIN) -> BeatRecord:
        """Run one manual beat now and return its record once it has ended.

        A busy thread is retried every second until it is free (each try is recorded as a
        deferral of the same beat key). Raises NotFoundError when the thread or skill has no
        schedule, SoulbeatError after `shutdown()`.
        """
        await self.ensure_schedule(thread_id, skill)
        wake = Wake(thread_id, skill, MANUAL, self._clock.now())
        while True:
            if self._closing:
                raise SoulbeatError("the scheduler is shut down")
            claim = await self._claim_wake(wake)
            if claim is not None:
                wake = replace(wake, at=claim.due_at)
                record = await self._run_claimed(Work(claim, MANUAL, wake, requeue=False))
                if record.status != "deferred":
                    return record
            await self._clock.sleep(BUSY_RETRY.total_seconds())

    async def _run_claimed(self, work: Work) -> BeatRecord:
        enabled = await self.is_enabled()
        with self._guard_scope():
            handled = await self._handle(work, enabled)
        assert not isinstance(handled, _Go)  # only a held slot runs in its own task
        record = await handled if isinstance(handled, asyncio.Task) else handled
        if record is None:
            raise StoreError(f"beat {work.claim.key} could not be recorded (see the log)")
        return record

    async def ensure_schedule(self, thread_id: str, skill: str) -> None:
        """Sync the schedule when it is not stored yet; NotFoundError when there is none to
        plan (an unknown skill)."""
        if await self._store.get_schedule(thread_id, skill) is None:
            await self.sync_schedules(thread_id)
        if await self._store.get_schedule(thread_id, skill) is None:
            name = thread_id if skill == MAIN else f"{thread_id}/{skill}"
            raise NotFoundError(f"no heartbeat schedule for {name!r}")

    # -- switches, busy marks, shutdown -----------------------------------------------------------
    def hold(self) -> None:
        """Keep this process's scheduler stopped without touching the stored flag (the
        `heartbeat_enabled = false` kill switch): the next process decides afresh. `start()`
        lifts the hold."""
        self._held = True
        self.generation += 1
        self._heard += 1

    @property
    def held(self) -> bool:
        return self._held

    async def start(self) -> None:
        """Turn the global flag on (stored: a restart keeps it) and lift a `hold()`."""
        self._held = False
        await self._store.set_flag(ENABLED_FLAG, True)
        self._publish("scheduler.started", {"worker_id": self._worker_id})
        self._woken.set()

    async def stop(self) -> None:
        """Turn the global flag off: nothing is claimed and nothing is written until `start()`
        (SPEC §9.1); a slot missed meanwhile runs once after it, coalesced. Manual beats still
        run, their record marked ``scheduler_stopped``."""
        await self._store.set_flag(ENABLED_FLAG, False)
        self._publish("scheduler.stopped", {"worker_id": self._worker_id})

    async def is_enabled(self) -> bool:
        """The stored flag, unless this process holds the scheduler stopped (`hold()`)."""
        return not self._held and await self._store.get_flag(ENABLED_FLAG, True)

    @asynccontextmanager
    async def busy(self, thread_id: str) -> AsyncIterator[None]:
        """Mark a thread busy (a chat turn in flight): its beats are deferred meanwhile."""
        self._busy[thread_id] += 1
        self._forget_early(thread_id)
        try:
            yield
        finally:
            self._busy[thread_id] -= 1
            if self._busy[thread_id] <= 0:
                del self._busy[thread_id]
                self._forget_early(thread_id)

    def is_busy(self, thread_id: str) -> bool:
        """Whether a `busy()` mark or a beat of this worker is in flight on the thread."""
        return thread_id in self._busy or any(
            beat.claim.thread_id == thread_id for beat in self._inflight.values()
        )

    @property
    def in_flight(self) -> tuple[Claim, ...]:
        """The claims of the beats this scheduler is running now."""
        return tuple(beat.claim for beat in self._inflight.values())

    async def shutdown(self, grace: timedelta = timedelta(seconds=30)) -> None:
        """Stop claiming first (a pass under way ends without starting more beats); give beats
        in flight ``grace`` to end; cancel the rest (a wake's beat is recorded ``interrupted``, a
        slot's beat is left unfinished to be resumed); then release every lease this worker
        still holds, so nothing stays ``claimed``. `run_forever` returns."""
        self._closing = True
        self._woken.set()
        held = [beat.task for beat in self._waiting.values() if beat.task is not None]
        for task in held:  # slots claimed ahead have not started: their leases go below
            task.cancel()
        if held:
            await asyncio.wait(held)
        deadline = self._clock.now() + grace
        if not self._pass_idle.is_set():
            await self._clock.sleep_until(deadline, self._pass_idle)
        if self._guarding:  # a held slot woke before the shutdown: its skip, deferral or start
            await self._clock.sleep_until(deadline, self._guards_done)
        if self._inflight:
            await self._clock.sleep_until(deadline, self._idle)
        tasks = [beat.task for beat in self._inflight.values() if beat.task is not None]
        for beat in self._inflight.values():
            if beat.task is not None and not beat.finishing:
                beat.task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        try:
            await self._store.release_worker(self._worker_id)
        except Exception:
            log.exception("could not release %s's leases at shutdown", self._worker_id)

    # -- events -----------------------------------------------------------------------------------
    def _publish(self, name: str, data: Mapping[str, Any]) -> None:
        if self._events is None:
            return
        try:
            self._events.publish(name, data)
        except Exception:
            log.exception("event sink failed on %s; the scheduler goes on", name)
