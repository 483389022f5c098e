"""Fast takeover (issue 11): a worker that restarts under its name takes its beats back at once,
a dead worker's beats are taken over within one lease, and a shutdown leaves nothing claimed."""

from __future__ import annotations

import asyncio
import fcntl
from datetime import timedelta
from pathlib import Path
from typing import Any

from sched_support import Rig, until

from soulbeat.schedule import identity
from soulbeat.schedule.identity import WORKER_ID_FILE, worker_identity
from soulbeat.schedule.scheduler import LEASE, Scheduler
from soulbeat.store.sqlite import SQLiteStore


async def test_a_restarted_worker_takes_back_its_earlier_lives_beats_at_once(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    due = await rig.to_due("t1")
    [held] = await rig.store.claim_due(rig.clock.now(), "w1", LEASE)  # then kill -9

    loop = asyncio.create_task(rig.scheduler.run_forever())  # the same name, a new life
    await rig.runner.wait_for_calls(1)  # at once: the clock has not moved
    assert rig.clock.now() == due
    await until(lambda: rig.scheduler.sleeping and not rig.scheduler.in_flight)
    [beat] = await rig.beats()
    assert (beat.key, beat.attempt, beat.status) == (held.key, 2, "finished")
    await rig.scheduler.shutdown()
    await loop


async def test_a_dead_workers_beats_are_taken_over_within_one_lease(rig: Rig) -> None:
    await rig.add("t1")
    await rig.scheduler.run_due()
    await rig.to_due("t1")
    [held] = await rig.store.claim_due(rig.clock.now(), "dead", LEASE)

    loop = asyncio.create_task(rig.scheduler.run_forever())
    await until(lambda: rig.scheduler.sleeping)
    assert rig.scheduler.sleeping_until == held.lease_expires_at  # it wakes when the lease ends
    assert rig.runner.calls == []
    await rig.clock.advance(LEASE)
    await rig.runner.wait_for_calls(1)
    await until(lambda: rig.scheduler.sleeping and not rig.scheduler.in_flight)
    [beat] = await rig.beats()
    assert (beat.key, beat.attempt, beat.audit["worker_id"]) == (held.key, 2, "w1")
    await rig.scheduler.shutdown()
    await loop


class GatedStore:
    """Wraps a store; `claim_due` waits at a gate after it claimed (a shutdown lands mid-pass)."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.claimed = asyncio.Event()
        self.gate = asyncio.Event()

    async def claim_due(self, *args: Any, **kwargs: Any) -> Any:
        claims = await self._store.claim_due(*args, **kwargs)
        if claims:
            self.claimed.set()
            await self.gate.wait()
        return claims

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_a_shutdown_mid_pass_starts_nothing_and_leaves_nothing_claimed(rig: Rig) -> None:
    gated = GatedStore(rig.store)
    scheduler = Scheduler(
        gated,  # type: ignore[arg-type]
        rig.planner,
        rig.runner,
        rig.clock,
        worker_id="w1",
    )
    await rig.add("t1")
    await rig.add("t2")
    await scheduler.run_due()
    await rig.to_due("t1")
    await rig.clock.set(max(await rig.due("t1"), await rig.due("t2")))

    loop = asyncio.create_task(scheduler.run_forever())
    await gated.claimed.wait()  # two beats claimed, the pass not done
    stopping = asyncio.create_task(scheduler.shutdown(timedelta(seconds=10)))
    await until(lambda: rig.clock.sleepers >= 1)  # the shutdown waits for the pass
    gated.gate.set()
    await stopping
    await loop

    assert rig.runner.calls == []  # claiming stopped first: nothing was started
    for thread in ("t1", "t2"):
        assert (await rig.schedule(thread)).lease_owner is None
    assert {b.status for b in await rig.beats()} == {"interrupted"}


def test_the_worker_name_survives_a_restart_and_is_never_shared(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = worker_identity(data)
    assert (data / WORKER_ID_FILE).read_text().strip() == first
    assert worker_identity(data) == first  # the same process: the same name

    _, lock = identity._held.pop(data.resolve())
    lock.close()  # as if this process had died: the kernel drops its lock
    with (data / "worker-id.lock").open("ab") as other:  # another live process holds it
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        second = worker_identity(data)
        assert second != first and second.count(":") == 2  # a name of its own
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
    assert worker_identity(data) == first  # a restart reads the same name back
    _, lock = identity._held.pop(data.resolve())
    lock.close()
