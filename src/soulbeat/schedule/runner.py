"""`BeatRunner`: the turn, as the scheduler sees it.

The scheduler decides *when* and *whether* (the guards); a `BeatRunner` does *what* happens in a
beat that got past them. The real one is the turn (`soulbeat.turn`); tests use
`soulbeat.testing.RecordingRunner`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.records import BeatResult, Claim

__all__ = ["BeatRunner"]


class BeatRunner(Protocol):
    """Runs one beat that passed the guards and says how it ended.

    Contract: `run` returns the beat's `BeatResult` (its outcome, times, tokens, audit). It may
    raise: the scheduler records the beat as ``failed`` with the error and goes on. It must be
    cancellable: the scheduler cancels it when the plan's timeout passes (recorded ``failed``,
    reason ``timeout``) or at shutdown after the grace period (recorded ``interrupted``). It must
    not finish the beat in the store; the scheduler does that, once, under the claim's lease.
    """

    async def run(self, claim: Claim, plan: BeatPlan, *, started_at: datetime) -> BeatResult: ...
