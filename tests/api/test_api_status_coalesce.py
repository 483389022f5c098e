"""Concurrent status requests share one computation (issue 12); nothing is kept after it."""

from __future__ import annotations

import asyncio

import pytest

from soulbeat.service.coalesce import SingleFlight


async def test_callers_at_once_share_one_computation_and_later_ones_compute_again() -> None:
    runs = 0
    gate = asyncio.Event()

    async def compute() -> int:
        nonlocal runs
        runs += 1
        await gate.wait()
        return runs

    flight = SingleFlight(compute)
    waiting = [asyncio.create_task(flight()) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == [1, 1, 1, 1, 1]
    assert await flight() == 2  # a caller after the computation ended gets a fresh one


async def test_a_failure_reaches_every_caller_and_the_next_call_tries_again() -> None:
    calls = 0

    async def compute() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise RuntimeError("store down")
        return "ok"

    flight = SingleFlight(compute)
    results = await asyncio.gather(flight(), flight(), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    assert await flight() == "ok"


async def test_a_caller_that_gives_up_does_not_cancel_the_others() -> None:
    gate = asyncio.Event()

    async def compute() -> str:
        await gate.wait()
        return "status"

    flight = SingleFlight(compute)
    quitter = asyncio.create_task(flight())
    stayer = asyncio.create_task(flight())
    await asyncio.sleep(0)
    quitter.cancel()
    gate.set()
    assert await stayer == "status"
    with pytest.raises(asyncio.CancelledError):
        await quitter
