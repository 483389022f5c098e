"""`soulbeat.tasks`: a cancellation that a library swallowed does not keep a task alive."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from soulbeat import tasks
from soulbeat.tasks import cancel_all, cancel_and_wait


@pytest.fixture(autouse=True)
def quick_recancel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "RECANCEL_AFTER", 0.01)


async def swallows_once(entered: asyncio.Event, cleaned: list[str]) -> None:
    """Loses the first cancellation the way Python 3.11's wait_for can, then waits forever."""
    entered.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()
    try:
        await asyncio.Event().wait()
    finally:
        cleaned.append("second request honoured")


async def test_a_swallowed_cancellation_is_asked_again() -> None:
    entered, cleaned = asyncio.Event(), list[str]()
    task = asyncio.create_task(swallows_once(entered, cleaned))
    await entered.wait()
    await asyncio.wait_for(cancel_and_wait(task), 5)
    assert task.cancelled() and cleaned == ["second request honoured"]


async def test_a_task_that_honours_the_request_is_cancelled_once() -> None:
    started = asyncio.Event()

    async def sleeper() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(sleeper())
    await started.wait()
    await cancel_and_wait(task)
    assert task.cancelled() and task.cancelling() == 1


async def test_finished_failed_and_missing_tasks_are_fine() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    async def returns() -> int:
        return 7

    failed, done = asyncio.create_task(fails()), asyncio.create_task(returns())
    await asyncio.sleep(0)
    await cancel_all([failed, None, done])
    await cancel_and_wait(None)
    assert isinstance(failed.exception(), ValueError) and done.result() == 7
