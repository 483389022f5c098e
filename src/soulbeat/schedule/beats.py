"""One beat under watch, the results the scheduler writes on its own, and its event payloads.

`run_watched` runs a `BeatRunner` for one claim and watches it with the injected clock (never
asyncio's own timers, so a `FakeClock` drives it in tests):

1. the runner runs as a task of its own;
2. the watcher sleeps until the earlier of the plan's timeout and the moment a third of the lease
   is spent (10 s of the default 30 s), or until the runner is done;
3. then it renews the lease (`BeatStore.renew_lease`) and sleeps again, so a beat that runs keeps
   two thirds of a lease in hand and a dead worker's beats are free within one lease;
4. at the timeout it cancels the runner: outcome ``failed``, reason ``timeout``;
5. a runner that raised gives outcome ``failed`` with the error; one that was cancelled from
   outside (shutdown) is cancelled with the watcher, and the caller records ``interrupted``.

Every beat that got past the guards is a beat start (``ran_model``), whatever its outcome.
Failure reasons are in ``audit["failure"]`` (``timeout``, ``error`` or a provider's reason) and,
with the detail, in ``error`` (``"timeout: ..."``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from soulbeat.clock import Clock
from soulbeat.errors import ProviderError
from soulbeat.schedule.plan import BeatPlan
from soulbeat.schedule.runner import BeatRunner
from soulbeat.store.base import BeatStore
from soulbeat.store.records import BeatRecord, BeatResult, Claim

__all__ = [
    "COMPLETED_OUTCOMES",
    "beat_data",
    "failed_result",
    "interrupted_result",
    "record_data",
    "run_watched",
    "skipped_result",
    "task_runs",
]

COMPLETED_OUTCOMES = frozenset({"sent", "would-send", "ok-empty", "ok-token"})
"""Outcomes of a beat that completed: only these advance the cadence tasks' last-run times."""


def skipped_result(now: datetime, reason: str, passed: tuple[str, ...]) -> BeatResult:
    """A beat stopped by a guard: recorded, never run."""
    audit = {"guards_passed": list(passed), "skip_reason": reason}
    return BeatResult("skipped", now, now, skip_reason=reason, audit=audit)


def failed_result(started: datetime, now: datetime, failure: str, detail: str) -> BeatResult:
    """A beat that got past the guards and failed (``failure`` is the short reason)."""
    audit = {"failure": failure}
    return BeatResult(
        "failed", started, now, error=f"{failure}: {detail}", audit=audit, ran_model=True
    )


def interrupted_result(started: datetime, now: datetime) -> BeatResult:
    """A beat cancelled at shutdown before it ended."""
    audit = {"failure": "interrupted"}
    return BeatResult(
        "interrupted",
        started,
        now,
        error="interrupted: the scheduler shut down",
        audit=audit,
        ran_model=True,
    )


async def run_watched(
    runner: BeatRunner,
    store: BeatStore,
    clock: Clock,
    claim: Claim,
    plan: BeatPlan,
    *,
    started_at: datetime,
    lease: timedelta,
) -> tuple[Claim, BeatResult]:
    """Run one beat with its timeout and lease renewal; returns the (renewed) claim and result.

    Raises `LeaseLostError` when the lease cannot be renewed (the runner is cancelled and the
    result is dropped), and `CancelledError` when cancelled from outside.
    """
    task = asyncio.ensure_future(runner.run(claim, plan, started_at=started_at))
    done = asyncio.Event()
    task.add_done_callback(lambda _: done.set())
    deadline = started_at + plan.timeout
    try:
        while not task.done():
            renew_at = claim.lease_expires_at - lease * 2 / 3
            await clock.sleep_until(min(deadline, renew_at), done)
            if task.done():
                break
            now = clock.now()
            if now >= deadline:
                task.cancel()
                detail = f"the beat ran longer than its timeout of {plan.timeout}"
                return claim, failed_result(started_at, now, "timeout", detail)
            if now >= renew_at:
                claim = await store.renew_lease(claim, now + lease)
    finally:
        if not task.done():
            task.cancel()
    return claim, _result_of(task, started_at, clock.now())


def _result_of(task: asyncio.Future[BeatResult], started: datetime, now: datetime) -> BeatResult:
    if task.cancelled():
        return interrupted_result(started, now)
    error = task.exception()
    if isinstance(error, ProviderError):
        return failed_result(started, now, error.reason, str(error))
    if error is not None:
        return failed_result(started, now, "error", f"{type(error).__name__}: {error}")
    return replace(task.result(), ran_model=True)


def task_runs(plan: BeatPlan | None, result: BeatResult) -> dict[str, datetime] | None:
    """The last-run times to store: the due tasks, only when the beat completed."""
    if plan is None or not plan.due_tasks or result.outcome not in COMPLETED_OUTCOMES:
        return None
    return dict.fromkeys(plan.due_tasks, result.started_at)


def beat_data(claim: Claim, reason: str) -> dict[str, Any]:
    """The payload of `beat.*` events about one claim."""
    return {
        "beat_id": claim.beat_id,
        "key": claim.key,
        "thread_id": claim.thread_id,
        "skill": claim.skill,
        "reason": reason,
        "due_at": claim.due_at.isoformat(),
        "attempt": claim.attempt,
        "worker_id": claim.worker_id,  # which of several workers on one database ran it
    }


def record_data(record: BeatRecord) -> dict[str, Any]:
    """What `beat.finished` adds about the record."""
    return {
        "status": record.status,
        "outcome": record.outcome,
        "skip_reason": record.skip_reason,
        "error": record.error,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }
