"""The board and the action log under writers that run at once, on both backends: two stores
on one database are two processes (PostgreSQL runs their transactions side by side, SQLite one
after the other). Limits are not over-taken, votes are all counted, and the attempts of one
beat's effect write one row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from soulbeat.store.base import Store
from soulbeat.store.records import EffectRef
from soulbeat.store.records_actions import ActionQuota, LogRow
from soulbeat.store.records_board import Actor, BoardGuard, NewPost, NewVote

OpenStore = Callable[[], Awaitable[Store]]
"""The `open_store` fixture (tests/store/conftest.py): one more store on the test's database."""
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ANN = Actor("person", "ann")
HOUR = timedelta(hours=1)
WRITERS = 6


class Full(Exception):
    """The test's rate rule refusing."""


def limit_one(times: Sequence[datetime]) -> None:
    if times:
        raise Full(f"{len(times)} already in the window")


def guard(window: timedelta = HOUR) -> BoardGuard:
    return BoardGuard(key="person:ann", kind="post", at=T0, window=window, check_rate=limit_one)


def post(title: str, effect: EffectRef | None = None) -> NewPost:
    return NewPost("general", ANN, title, "body", None, title, T0, 0.0, effect=effect)


async def stores(open_store: OpenStore) -> list[Store]:
    """Two stores on one database, with a submolt."""
    pair = [await open_store(), await open_store()]
    await pair[0].create_submolt("general", "General", "", ANN, T0)
    return pair


def spread(pair: list[Store], count: int) -> list[Store]:
    return [pair[n % 2] for n in range(count)]


async def test_racing_writers_take_the_last_slot_of_a_limit_once(open_store: OpenStore) -> None:
    pair = await stores(open_store)
    outcomes = await asyncio.gather(
        *(s.add_post(post(f"p{n}"), guard()) for n, s in enumerate(spread(pair, WRITERS))),
        return_exceptions=True,
    )
    made = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(made) == 1 and all(isinstance(o, Full) for o in outcomes if o not in made)
    assert [p.id for p in await pair[1].list_posts(**_all())] == ["p_1"]


async def test_racing_attempts_of_one_effect_write_one_post(open_store: OpenStore) -> None:
    pair = await stores(open_store)
    ref = EffectRef("t1@2026-01-01T00:00:00+00:00", 0, "post")
    made = await asyncio.gather(
        *(s.add_post(post("once", ref), guard(timedelta(0))) for s in spread(pair, WRITERS))
    )
    assert {p.id for p in made} == {"p_1"}
    assert len(await pair[0].list_posts(**_all())) == 1


async def test_racing_votes_are_all_counted(open_store: OpenStore) -> None:
    pair = await stores(open_store)
    await pair[0].add_post(post("vote on me"), guard(timedelta(0)))
    voters = [Actor("person", f"v{n}") for n in range(WRITERS * 2)]

    def ballot(voter: Actor) -> NewVote:
        return NewVote("post", 1, voter, True, True, T0, lambda score, _: float(score))

    unlimited = BoardGuard("any", "vote", T0, timedelta(0), limit_one)
    outcomes = await asyncio.gather(
        *(
            s.cast_vote(ballot(v), unlimited)
            for s, v in zip(spread(pair, len(voters)), voters, strict=True)
        )
    )
    assert [o.score for o in sorted(outcomes, key=lambda o: o.score)] == list(
        range(1, len(voters) + 1)
    )
    assert (await pair[1].get_post(1)).upvotes == len(voters)


def log_row(effect: EffectRef | None = None) -> LogRow:
    return LogRow("t1", "a1", None, "", "post", "admitted", {"action": "post"}, effect=effect)


def quota_of_one() -> ActionQuota:
    def decide(times: Sequence[datetime], last: datetime | None) -> LogRow:
        return replace(log_row(), status="refused" if times else "admitted")

    return ActionQuota(("admitted", "executed"), HOUR, timedelta(0), decide)


async def test_racing_admissions_take_a_limit_once(open_store: OpenStore) -> None:
    pair = [await open_store(), await open_store()]
    written = await asyncio.gather(
        *(s.admit_action(log_row(), quota_of_one(), T0) for s in spread(pair, WRITERS))
    )
    assert sorted(row.status for _, row in written) == ["admitted"] + ["refused"] * (WRITERS - 1)


async def test_racing_attempts_of_one_effect_admit_one_row(open_store: OpenStore) -> None:
    pair = [await open_store(), await open_store()]
    ref = EffectRef("t1@2026-01-01T00:00:00+00:00", 0, "action")
    written = await asyncio.gather(
        *(s.admit_action(log_row(ref), quota_of_one(), T0) for s in spread(pair, WRITERS))
    )
    assert {entry for entry, _ in written} == {1}
    assert [e.status for e in await pair[0].list_actions()] == ["admitted"]


def _all() -> dict[str, object]:
    return {
        "submolt": None,
        "subscriber": None,
        "sort": "new",
        "start": None,
        "limit": 50,
        "offset": 0,
    }
