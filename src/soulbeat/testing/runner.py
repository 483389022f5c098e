"""`RecordingRunner`: a `BeatRunner` for tests that records its calls and plays a script.

Each call is recorded (`calls`, `reasons`) and answered with the next scripted reply, else with the
default outcome (``ok-token``). A scripted reply is an outcome name, a whole `BeatResult` or an
exception to raise. `hold()` makes the following runs wait until `release()`, to test busy
threads, concurrency limits, timeouts and shutdown; `wait_for_calls(n)` waits (without sleeping)
until ``n`` runs have started.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from soulbeat.clock import Clock
from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.records import BeatResult, Claim

__all__ = ["RecordingRunner", "RunnerCall"]

Reply = str | BeatResult | BaseException


@dataclass(frozen=True)
class RunnerCall:
    """One call of `RecordingRunner.run`."""

    claim: Claim
    plan: BeatPlan
    started_at: datetime


class RecordingRunner:
    """A `BeatRunner` that records calls and answers from a script (module docstring)."""

    def __init__(self, clock: Clock | None = None, *, default_outcome: str = "ok-token") -> None:
        self._clock = clock
        self._default = default_outcome
        self._script: deque[Reply] = deque()
        self._gate = asyncio.Event()
        self._gate.set()
        self._changed = asyncio.Event()
        self.calls: list[RunnerCall] = []
        self.running = 0
        """How many runs are in progress now (held ones included)."""
        self.max_running = 0
        """The most runs that were in progress at once."""
        self.cancelled = 0
        """How many runs were cancelled (timeout or shutdown)."""

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next calls, in order."""
        self._script.extend(replies)

    def hold(self) -> None:
        """Make runs wait, from now on, until `release()`."""
        self._gate.clear()

    def release(self) -> None:
        """Let held runs (and all later ones) go on."""
        self._gate.set()

    @property
    def reasons(self) -> list[str]:
        return [call.claim.reason for call in self.calls]

    @property
    def keys(self) -> list[str]:
        return [call.claim.key for call in self.calls]

    async def wait_for_calls(self, count: int) -> None:
        """Wait until at least ``count`` runs have started (bound it with `asyncio.timeout`)."""
        while len(self.calls) < count:
            self._changed.clear()
            await self._changed.wait()

    async def run(self, claim: Claim, plan: BeatPlan, *, started_at: datetime) -> BeatResult:
        self.calls.append(RunnerCall(claim, plan, started_at))
        self._changed.set()
        reply = self._script.popleft() if self._script else self._default
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            await self._gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, BeatResult):
            return reply
        finished = self._clock.now() if self._clock is not None else started_at
        return BeatResult(reply, started_at, finished)
