"""Stopping background tasks for certain.

`task.cancel()` is a request, and on Python 3.11 a request can be lost: `asyncio.wait_for`
returns the awaited result instead of raising when the cancellation arrives in the same loop step
as that result (CPython gh-86296, fixed in 3.12). psycopg_pool waits for a free connection with
`wait_for`, so a busy machine can make a store call swallow the cancellation of the task that made
it; a loop in that task then carries on, and whoever awaited its end waits forever. That is how
CI once hung for ten minutes in an event feed's `close()`.

`cancel_and_wait` repeats the request until the task has really ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["RECANCEL_AFTER", "cancel_all", "cancel_and_wait"]

RECANCEL_AFTER = 0.5
"""Seconds to wait for a cancelled task before asking again. A task that honours the first
request ends within a loop step or two, so this costs time only when a request was lost; it is
long enough that a task's own clean-up on cancellation (closing a connection) is not cut short."""


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Cancel `task` and return once it is done, whatever it ended with (its result or error is
    marked retrieved, as `gather(..., return_exceptions=True)` would). None or a finished task
    returns at once. If the caller itself is cancelled meanwhile, that propagates."""
    await cancel_all([task] if task is not None else [])


async def cancel_all(tasks: Iterable[asyncio.Future[Any] | None]) -> None:
    """`cancel_and_wait` for several tasks at once."""
    given = [task for task in tasks if task is not None]
    while pending := [task for task in given if not task.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=RECANCEL_AFTER)
    # Nothing is left running; reading outcomes keeps asyncio from logging them as unretrieved.
    for task in given:
        if not task.cancelled():
            task.exception()
