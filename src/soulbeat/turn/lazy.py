"""`LazyRunner`: the turn stack imported and made on the first beat that reaches it (issue 12).

A worker whose beats the guards skip (an empty HEARTBEAT.md, quiet hours, nothing due) never
builds a prompt or calls a model; importing `TurnRunner` at start-up cost such a process about
5 MiB (the prompt, reply, tool and profile modules, and httpx for the model's context window).
`wiring.build` gives the scheduler a `LazyRunner` whose ``make`` imports and builds the real
runner; the first `run` calls it once, every later one goes straight to the runner it made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from soulbeat.schedule.plan import BeatPlan
from soulbeat.schedule.runner import BeatRunner
from soulbeat.store.records import BeatResult, Claim

__all__ = ["LazyRunner"]


class LazyRunner:
    """A `BeatRunner` that makes the real one with ``make()`` on its first beat."""

    def __init__(self, make: Callable[[], BeatRunner]) -> None:
        self._make = make
        self._inner: BeatRunner | None = None

    @property
    def made(self) -> bool:
        """Whether the real runner exists yet."""
        return self._inner is not None

    @property
    def inner(self) -> BeatRunner:
        if self._inner is None:
            self._inner = self._make()
        return self._inner

    async def run(self, claim: Claim, plan: BeatPlan, *, started_at: datetime) -> BeatResult:
        return await self.inner.run(claim, plan, started_at=started_at)
