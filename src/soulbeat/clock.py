"""The only place in soulbeat that reads the time or waits.

Everything else takes a `Clock` and asks it. Times are always aware datetimes in UTC.
`soulbeat.testing.FakeClock` is the test double: it moves only when told to.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of "now" and a way to wait.

    Contract: `now()` returns an aware UTC datetime that never goes backwards between calls on one
    clock. `sleep(seconds)` returns after at least that much clock time (immediately for <= 0).
    `sleep_until(when, wake)` returns when the clock reaches `when` or as soon as `wake` is set,
    whichever is first, and reports whether it was woken.
    """

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> bool: ...


class SystemClock:
    """The real clock: wall time in UTC, asyncio sleeps."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> bool:
        timeout = None if when is None else max(0.0, (when - self.now()).total_seconds())
        try:
            # asyncio.timeout rather than wait_for: on Python 3.11 wait_for loses a cancellation
            # that arrives together with the wake (see soulbeat.tasks).
            async with asyncio.timeout(timeout):
                await wake.wait()
        except TimeoutError:
            return False
        return True


def to_utc(moment: datetime) -> datetime:
    """Return `moment` in UTC; a naive datetime is refused because its zone would be a guess."""
    if moment.tzinfo is UTC:  # the common case, without a conversion (hot in the store)
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no timezone; pass an aware one")
    return moment.astimezone(UTC)


ZERO = timedelta(0)
