"""The `BoardStore` contract (the docstring of `soulbeat.store.base.BoardStore`), run against every
backend in `BACKENDS` (`conftest.py`). The board's rules (checks, limits, messages) are the
ledger's and tested under `tests/ledger/`; here only what the store itself promises: numbering,
missing targets, vote arithmetic, listings, the guard run inside the write, and dry runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.store.base import Store
from soulbeat.store.records import Agent, EffectRef, Thread
from soulbeat.store.records_board import (
    Actor,
    BoardGuard,
    LedgerConflictError,
    LedgerInputError,
    LedgerNotFoundError,
    NewComment,
    NewPost,
    NewVote,
    RateLimitedError,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ANN = Actor("person", "ann")
BOB = Actor("person", "bob")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rank(score: int, created: datetime) -> float:
    return score * 1000.0 + created.timestamp() / 1e6


class Recorder:
    """A guard's rate rule that records what the store handed it, and refuses when told."""

    def __init__(self, refuse: bool = False) -> None:
        self.seen: list[list[datetime]] = []
        self.refuse = refuse

    def __call__(self, times: Sequence[datetime]) -> None:
        self.seen.append(list(times))
        if self.refuse:
            raise RateLimitedError("no", retry_at=T0, retry_after=1)


def guard(
    when: datetime = T0,
    *,
    key: str = "person:ann",
    kind: str = "post",
    window: timedelta = timedelta(0),
    rule: Recorder | None = None,
    duplicate_since: datetime | None = None,
) -> BoardGuard:
    def check_duplicate(last: datetime | None) -> None:
        if last is not None:
            raise LedgerConflictError(f"same again, last at {last.isoformat()}")

    return BoardGuard(
        key=key,
        kind=kind,
        at=when,
        window=window,
        check_rate=rule or Recorder(),
        duplicate_since=duplicate_since,
        check_duplicate=check_duplicate,
    )


def new_post(
    title: str = "hello", when: datetime = T0, *, submolt: str = "general", mark: str = "m1"
) -> NewPost:
    return NewPost(
        submolt=submolt,
        author=ANN,
        title=title,
        content="body",
        url=None,
        fingerprint=mark,
        at=when,
        rank=rank(0, when),
    )


def new_comment(
    post: int, parent: int | None = None, *, when: datetime = T0, mark: str = "c1", depth: int = 3
) -> NewComment:
    return NewComment(
        post=post,
        parent=parent,
        author=BOB,
        content="reply",
        fingerprint=mark,
        at=when,
        max_depth=depth,
    )


def vote(number: int, up: bool = True, *, voter: Actor = BOB, toggle: bool = True) -> NewVote:
    return NewVote("post", number, voter, up, toggle, T0, rank)


async def board(store: Store, *names: str) -> None:
    for name in names or ("general",):
        await store.create_submolt(name, name.title(), "", ANN, T0)


# -- submolts and subscriptions -----------------------------------------------------------------


async def test_submolts_are_made_once_and_listed_by_name(board_store: Store) -> None:
    await board(board_store, "zeta", "alpha")
    made = await board_store.get_submolt("alpha")
    assert (made.name, made.display_name, made.created_by, made.created_at) == (
        "alpha",
        "Alpha",
        ANN,
        T0,
    )
    assert [s.name for s in await board_store.list_submolts(limit=10, offset=0)] == [
        "alpha",
        "zeta",
    ]
    assert [s.name for s in await board_store.list_submolts(limit=1, offset=1)] == ["zeta"]
    assert await board_store.count_submolts() == 2
    with pytest.raises(LedgerConflictError):
        await board_store.create_submolt("alpha", "Again", "", BOB, T0)
    with pytest.raises(LedgerNotFoundError):
        await board_store.get_submolt("missing")


async def test_subscriptions_change_once_and_a_thread_shares_its_agents(board_store: Store) -> None:
    await board(board_store, "general", "news")
    await board_store.upsert_agent(Agent(id="a1", workspace="/w"))
    await board_store.add_thread(Thread(id="t1", agent_id="a1", created_at=T0))
    assert await board_store.set_subscription(Actor("agent", "a1"), "general", T0, True)
    assert not await board_store.set_subscription(Actor("agent", "a1"), "general", T0, True)
    assert await board_store.set_subscription(Actor("thread", "t1"), "news", T0, True)
    assert await board_store.subscriptions(Actor("thread", "t1")) == ["general", "news"]
    assert await board_store.subscriptions(Actor("agent", "a1")) == ["general"]
    assert (await board_store.get_submolt("general")).subscribers == 1
    assert await board_store.set_subscription(Actor("agent", "a1"), "general", T0, False)
    assert await board_store.subscriptions(Actor("thread", "t1")) == ["news"]
    with pytest.raises(LedgerNotFoundError):
        await board_store.set_subscription(ANN, "missing", T0, True)


# -- posts and comments -------------------------------------------------------------------------


async def test_posts_are_numbered_from_one_and_need_their_submolt(board_store: Store) -> None:
    await board(board_store)
    first = await board_store.add_post(new_post("one"), guard())
    second = await board_store.add_post(new_post("two", mark="m2"), guard())
    assert (first.id, second.id) == ("p_1", "p_2")
    got = await board_store.get_post(1)
    assert (got.title, got.author, got.content, got.created_at, got.upvotes) == (
        "one",
        ANN,
        "body",
        T0,
        0,
    )
    assert (await board_store.get_submolt("general")).posts == 2
    with pytest.raises(LedgerNotFoundError):
        await board_store.add_post(new_post(submolt="missing"), guard())
    with pytest.raises(LedgerNotFoundError):
        await board_store.get_post(99)


async def test_comments_nest_within_their_post_and_depth(board_store: Store) -> None:
    await board(board_store)
    await board_store.add_post(new_post("one"), guard())
    await board_store.add_post(new_post("two", mark="m2"), guard())
    top = await board_store.add_comment(new_comment(1, when=at(1)), guard())
    reply = await board_store.add_comment(new_comment(1, 1, when=at(2), mark="c2"), guard())
    assert (top.id, reply.id, reply.parent_id, reply.post_id) == ("c_1", "c_2", "c_1", "p_1")
    assert [c.id for c in await board_store.post_comments(1)] == ["c_1", "c_2"]
    assert (await board_store.get_post(1)).comment_count == 2
    assert (await board_store.get_comment(2)).content == "reply"
    with pytest.raises(LedgerInputError):  # the parent is another post's
        await board_store.add_comment(new_comment(2, 1, mark="c3"), guard())
    with pytest.raises(LedgerInputError):  # deeper than max_depth
        await board_store.add_comment(new_comment(1, 2, mark="c4", depth=1), guard())
    with pytest.raises(LedgerNotFoundError):
        await board_store.add_comment(new_comment(9), guard())
    with pytest.raises(LedgerNotFoundError):
        await board_store.add_comment(new_comment(1, 9), guard())
    with pytest.raises(LedgerNotFoundError):
        await board_store.post_comments(9)


# -- votes and karma ----------------------------------------------------------------------------


async def test_votes_add_flip_remove_or_stay_and_keep_the_counts(board_store: Store) -> None:
    await board(board_store)
    await board_store.add_post(new_post(), guard())
    added = await board_store.cast_vote(vote(1), guard(kind="vote"))
    assert (added.change, added.vote, added.score, added.author) == ("added", "up", 1, ANN)
    flipped = await board_store.cast_vote(vote(1, False), guard(kind="vote"))
    assert (flipped.change, flipped.score) == ("flipped", -1)
    kept = await board_store.cast_vote(vote(1, False, toggle=False), guard(kind="vote"))
    assert (kept.change, kept.score) == ("unchanged", -1)
    removed = await board_store.cast_vote(vote(1, False), guard(kind="vote"))
    assert (removed.change, removed.vote, removed.score) == ("removed", None, 0)
    await board_store.cast_vote(vote(1, voter=ANN), guard(kind="vote"))
    post = await board_store.get_post(1)
    assert (post.upvotes, post.downvotes) == (1, 0)
    karma = await board_store.karma(ANN)
    assert (karma.post_karma, karma.comment_karma) == (1, 0)
    with pytest.raises(LedgerNotFoundError):
        await board_store.cast_vote(vote(9), guard(kind="vote"))


async def test_a_vote_rewrites_the_posts_hot_rank(board_store: Store) -> None:
    await board(board_store)
    await board_store.add_post(new_post("old", at(0)), guard())
    await board_store.add_post(new_post("new", at(60), mark="m2"), guard())
    hot = await board_store.list_posts(
        submolt=None, subscriber=None, sort="hot", start=None, limit=10, offset=0
    )
    assert [p.title for p in hot] == ["new", "old"]
    await board_store.cast_vote(vote(1), guard(kind="vote"))
    hot = await board_store.list_posts(
        submolt=None, subscriber=None, sort="hot", start=None, limit=10, offset=0
    )
    assert [p.title for p in hot] == ["old", "new"]


# -- listings -----------------------------------------------------------------------------------


async def test_posts_list_by_submolt_subscriber_sort_and_start(board_store: Store) -> None:
    await board(board_store, "general", "news")
    await board_store.add_post(new_post("g1", at(0)), guard())
    await board_store.add_post(new_post("n1", at(10), submolt="news", mark="m2"), guard())
    await board_store.add_post(new_post("g2", at(20), mark="m3"), guard())
    await board_store.cast_vote(vote(1), guard(kind="vote"))

    async def titles(**kw: object) -> list[str]:
        options: dict[str, object] = {
            "submolt": None,
            "subscriber": None,
            "sort": "new",
            "start": None,
            "limit": 10,
            "offset": 0,
        }
        options.update(kw)
        return [p.title for p in await board_store.list_posts(**options)]  # type: ignore[arg-type]

    assert await titles() == ["g2", "n1", "g1"]
    assert await titles(sort="top") == ["g1", "g2", "n1"]
    assert await titles(submolt="general") == ["g2", "g1"]
    assert await titles(start=at(10)) == ["g2", "n1"]
    assert await titles(limit=1, offset=1) == ["n1"]
    assert await titles(subscriber=BOB) == []
    await board_store.set_subscription(BOB, "news", T0, True)
    assert await titles(subscriber=BOB) == ["n1"]
    with pytest.raises(LedgerNotFoundError):
        await titles(submolt="missing")

    async def count(**kw: object) -> int:  # the paging total (issue 12)
        options: dict[str, object] = {"submolt": None, "subscriber": None, "start": None}
        options.update(kw)
        return await board_store.count_posts(**options)  # type: ignore[arg-type]

    assert (await count(), await count(submolt="general"), await count(start=at(10))) == (3, 2, 2)
    assert (await count(subscriber=BOB), await count(subscriber=ANN)) == (1, 0)
    with pytest.raises(LedgerNotFoundError):
        await count(submolt="missing")


async def test_new_activity_is_the_newest_of_a_subscribers_submolts(board_store: Store) -> None:
    await board(board_store, "general", "news")
    await board_store.set_subscription(BOB, "general", T0, True)
    for n in range(3):
        await board_store.add_post(new_post(f"g{n}", at(n * 10), mark=f"m{n}"), guard())
    await board_store.add_post(new_post("n", at(5), submolt="news", mark="mn"), guard())
    await board_store.add_comment(new_comment(1, when=at(40)), guard())
    found = await board_store.new_activity(BOB, at(10), skip=None, limit=1)
    assert found.submolts == ("general",)
    assert [p.title for p in found.posts] == ["g2"]
    assert (found.total_posts, found.total_comments) == (2, 1)
    assert [c.author for c in found.comments] == [BOB]
    skipped = await board_store.new_activity(BOB, at(0), skip=ANN, limit=5)
    assert (skipped.posts, skipped.total_posts, skipped.total_comments) == ((), 0, 1)


async def test_ids_since_name_what_was_written_after_the_marks(board_store: Store) -> None:
    await board(board_store, "general")
    await board_store.add_post(new_post("one"), guard())
    await board_store.add_comment(new_comment(1), guard())
    everything = await board_store.board_ids_since(0, 0, 0)
    assert (everything.posts, everything.comments) == ((1,), (1,))
    assert [name for _, name in everything.submolts] == ["general"]
    mark = everything.submolts[-1][0]
    await board(board_store, "news")
    await board_store.add_post(new_post("two", mark="m2"), guard())
    later = await board_store.board_ids_since(1, 1, mark)
    assert (later.posts, later.comments) == ((2,), ())
    assert [name for _, name in later.submolts] == ["news"]


# -- the guard and dry runs ---------------------------------------------------------------------


async def test_the_guard_sees_the_keys_counted_writes_within_its_window(board_store: Store) -> None:
    await board(board_store)
    window = timedelta(seconds=30)
    rule = Recorder()
    for n, second in enumerate((0, 20, 40)):
        when = at(second)
        made = guard(when, window=window, rule=rule)
        await board_store.add_post(new_post(f"p{n}", when, mark=f"m{n}"), made)
    assert rule.seen == [[], [at(0)], [at(20)]]
    other = Recorder()
    await board_store.add_post(new_post("x", at(41), mark="mx"), guard(at(41), key="b", rule=other))
    assert other.seen == []  # window zero: nothing read, nothing counted
    await board_store.add_post(
        new_post("y", at(42), mark="my"), guard(at(42), key="b", window=window)
    )
    third = Recorder()
    await board_store.add_post(
        new_post("z", at(43), mark="mz"), guard(at(43), key="b", window=window, rule=third)
    )
    assert third.seen == [[at(42)]]


async def test_a_refusing_guard_writes_nothing(board_store: Store) -> None:
    await board(board_store)
    with pytest.raises(RateLimitedError):
        await board_store.add_post(
            new_post(), guard(window=timedelta(hours=1), rule=Recorder(True))
        )
    await board_store.add_post(new_post("first", mark="same"), guard())
    with pytest.raises(LedgerConflictError, match=re.escape(T0.isoformat())):
        await board_store.add_post(new_post("again", mark="same"), guard(duplicate_since=at(-1)))
    await board_store.add_post(new_post("later", at(10), mark="same"), guard(duplicate_since=at(5)))
    titles = [
        p.title
        for p in await board_store.list_posts(
            submolt=None, subscriber=None, sort="new", start=None, limit=10, offset=0
        )
    ]
    assert titles == ["later", "first"]
    with pytest.raises(RateLimitedError):
        await board_store.cast_vote(
            vote(1), guard(kind="vote", window=timedelta(1), rule=Recorder(True))
        )
    assert (await board_store.get_post(1)).upvotes == 0


async def test_an_unchanged_vote_is_not_counted(board_store: Store) -> None:
    await board(board_store)
    await board_store.add_post(new_post(), guard())
    window, rule = timedelta(hours=1), Recorder()
    for _ in range(2):
        await board_store.cast_vote(
            vote(1, toggle=False), guard(kind="vote", window=window, rule=rule)
        )
    await board_store.cast_vote(vote(1, toggle=False), guard(kind="vote", window=window, rule=rule))
    assert rule.seen == [[], [T0], [T0]]


async def test_a_dry_run_does_everything_and_keeps_nothing(board_store: Store) -> None:
    await board(board_store)
    window, rule = timedelta(hours=1), Recorder()
    would = await board_store.add_post(new_post(), guard(window=window, rule=rule), dry_run=True)
    assert would.id == "p_1" and would.title == "hello"
    with pytest.raises(LedgerNotFoundError):
        await board_store.get_post(1)
    with pytest.raises(LedgerNotFoundError):
        await board_store.add_post(new_post(submolt="missing"), guard(), dry_run=True)
    made = await board_store.add_post(new_post(), guard(window=window, rule=rule))
    assert made.id == "p_1"
    comment = await board_store.add_comment(new_comment(1), guard(), dry_run=True)
    assert comment.id == "c_1"
    assert await board_store.post_comments(1) == []
    outcome = await board_store.cast_vote(vote(1), guard(kind="vote"), dry_run=True)
    assert outcome.score == 1
    assert (await board_store.get_post(1)).upvotes == 0
    assert rule.seen == [[], []]  # the dry run was not counted


async def test_a_post_or_comment_under_a_beats_effect_is_written_once(board_store: Store) -> None:
    await board(board_store)
    ref = EffectRef("t1@2026-01-01T00:00:00+00:00", 0, "post")
    first = await board_store.add_post(replace(new_post("one"), effect=ref), guard())
    refusing = guard(rule=Recorder(refuse=True), duplicate_since=at(-60))
    again = await board_store.add_post(replace(new_post("one"), effect=ref), refusing)
    assert again == first  # no guard asked, nothing written: the beat re-ran after a crash
    assert (await board_store.get_submolt("general")).posts == 1
    dry = await board_store.add_post(
        replace(new_post("two", mark="m2"), effect=EffectRef(ref.key, 1)), guard(), dry_run=True
    )
    assert dry.id == "p_2"
    made = await board_store.add_post(
        replace(new_post("two", mark="m2"), effect=EffectRef(ref.key, 1)), guard()
    )
    assert made.id == "p_2"  # a dry run kept nothing, not even the note

    said = EffectRef(ref.key, 2, "comment")
    comment = await board_store.add_comment(replace(new_comment(1), effect=said), guard())
    repeat = await board_store.add_comment(replace(new_comment(1), effect=said), refusing)
    assert repeat == comment
    assert len(await board_store.post_comments(1)) == 1
