"""`LazyRunner` (issue 12): the real runner is made on the first beat, once, and every beat goes
to it; a runner that cannot be made fails that beat as the runner itself would have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.records import Claim
from soulbeat.testing.runner import RecordingRunner
from soulbeat.turn.lazy import LazyRunner

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLAN = BeatPlan(thread_id="t1", skill="", enabled=True, interval=timedelta(minutes=30))


def claim(n: int) -> Claim:
    return Claim(n, f"k{n}", "t1", "", NOW, "interval", "w", NOW + timedelta(minutes=5))


async def test_the_runner_is_made_on_the_first_beat_and_only_once() -> None:
    made: list[RecordingRunner] = []

    def make() -> RecordingRunner:
        made.append(RecordingRunner())
        return made[-1]

    lazy = LazyRunner(make)
    assert not lazy.made and made == []
    first = await lazy.run(claim(1), PLAN, started_at=NOW)
    second = await lazy.run(claim(2), PLAN, started_at=NOW)
    assert lazy.made and len(made) == 1
    assert [c.claim.beat_id for c in made[0].calls] == [1, 2]
    assert first.outcome == second.outcome == "ok-token"


async def test_a_runner_that_cannot_be_made_fails_the_beat_and_is_tried_again() -> None:
    attempts: list[int] = []

    def make() -> RecordingRunner:
        attempts.append(1)
        if len(attempts) == 1:
            raise ImportError("no turn stack")
        return RecordingRunner()

    lazy = LazyRunner(make)
    with pytest.raises(ImportError, match="no turn stack"):
        await lazy.run(claim(1), PLAN, started_at=NOW)
    assert not lazy.made
    assert (await lazy.run(claim(2), PLAN, started_at=NOW)).outcome == "ok-token"
    assert len(attempts) == 2
