"""The board's semantics on a real SQLite store: votes, scores, karma, comment trees, subscriptions,
feeds and `new_since`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ledger_support import AGENT, ANN, BOB, CAROL

from soulbeat.errors import NotFoundError
from soulbeat.ledger.service import LedgerService
from soulbeat.store.records import Agent, Thread
from soulbeat.store.records_board import (
    Actor,
    LedgerConflictError,
    LedgerInputError,
    LedgerNotFoundError,
)
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock


async def test_submolt_is_created_listed_and_unique(ledger: LedgerService, general: str) -> None:
    made = await ledger.create_submolt("news", created_by=BOB, display_name="News")
    assert (made.name, made.display_name, made.created_by) == ("news", "News", BOB)
    assert [s.name for s in await ledger.list_submolts()] == ["general", "news"]
    with pytest.raises(LedgerConflictError):
        await ledger.create_submolt("news", created_by=ANN)
    with pytest.raises(LedgerInputError):
        await ledger.create_submolt("Not A Name", created_by=ANN)
    with pytest.raises(NotFoundError):
        await ledger.get_submolt("nowhere")


async def test_post_needs_content_or_url_and_an_existing_submolt(
    ledger: LedgerService, general: str
) -> None:
    link = await ledger.create_post(ANN, general, "a link", url="https://example.org/")
    assert (link.id, link.content, link.url) == ("p_1", None, "https://example.org/")
    for content, url in ((None, None), ("text", "https://example.org/")):
        with pytest.raises(LedgerInputError):
            await ledger.create_post(ANN, general, "t", content=content, url=url)
    with pytest.raises(LedgerInputError):
        await ledger.create_post(ANN, general, "t", url="javascript:alert(1)")
    with pytest.raises(LedgerNotFoundError) as missing:
        await ledger.create_post(ANN, "elsewhere", "t", content="x")
    assert missing.value.what == "submolt"


async def test_content_is_stored_as_given(ledger: LedgerService, general: str) -> None:
    text = "<b>bold</b> & 'quoted'\n  indented"
    post = await ledger.create_post(ANN, general, "<i>t</i>", content=text)
    again = await ledger.get_post(post.id)
    assert (again.title, again.content) == ("<i>t</i>", text)


async def test_post_votes_toggle_and_flip(ledger: LedgerService, general: str) -> None:
    post = await ledger.create_post(ANN, general, "t", content="x")
    first = await ledger.vote(BOB, "post", post.id, up=True)
    assert (first.change, first.vote, first.score) == ("added", "up", 1)
    again = await ledger.vote(BOB, "post", post.id, up=True)
    assert (again.change, again.vote, again.score) == ("removed", None, 0)
    await ledger.vote(BOB, "post", post.id, up=True)
    flipped = await ledger.vote(BOB, "post", post.id, up=False)
    assert (flipped.change, flipped.vote, flipped.score) == ("flipped", "down", -1)
    await ledger.vote(CAROL, "post", post.id, up=False)
    stored = await ledger.get_post(post.id)
    assert (stored.upvotes, stored.downvotes, stored.score) == (0, 2, -2)


async def test_vote_without_toggle_keeps_the_vote(ledger: LedgerService, general: str) -> None:
    post = await ledger.create_post(ANN, general, "t", content="x")
    await ledger.vote(AGENT, "post", post.id, up=True, toggle=False)
    kept = await ledger.vote(AGENT, "post", "1", up=True, toggle=False)  # bare number accepted
    assert (kept.change, kept.vote, kept.score) == ("unchanged", "up", 1)


async def test_comment_votes_and_karma(ledger: LedgerService, general: str) -> None:
    post = await ledger.create_post(ANN, general, "t", content="x")
    note = await ledger.comment(BOB, post.id, "first")
    await ledger.vote(ANN, "comment", note.id, up=True)
    await ledger.vote(CAROL, "comment", note.id, up=True)
    await ledger.vote(CAROL, "comment", note.id, up=True)  # removed again
    await ledger.vote(BOB, "post", post.id, up=True)
    await ledger.vote(CAROL, "post", post.id, up=True)
    await ledger.vote(ANN, "comment", note.id, up=False)  # flipped
    assert (await ledger.get_comment(note.id)).score == -1
    ann, bob = await ledger.karma(ANN), await ledger.karma(BOB)
    assert (ann.post_karma, ann.comment_karma, ann.total) == (2, 0, 2)
    assert (bob.post_karma, bob.comment_karma, bob.total) == (0, -1, -1)
    assert (await ledger.karma(CAROL)).total == 0


async def test_vote_on_missing_or_misnamed_target_is_not_found(
    ledger: LedgerService, general: str
) -> None:
    post = await ledger.create_post(ANN, general, "t", content="x")
    for target, ident in (("post", "p_99"), ("comment", "c_1"), ("comment", post.id)):
        with pytest.raises(LedgerNotFoundError):
            await ledger.vote(BOB, target, ident, up=True)  # type: ignore[arg-type]


async def test_comments_form_a_tree_within_one_post(
    ledger: LedgerService, clock: FakeClock, general: str
) -> None:
    post = await ledger.create_post(ANN, general, "t", content="x")
    other = await ledger.create_post(ANN, general, "other", content="y")
    top = await ledger.comment(BOB, post.id, "top")
    await clock.advance(60)
    second = await ledger.comment(CAROL, post.id, "second")
    reply = await ledger.comment(ANN, post.id, "reply", parent=top.id)
    deeper = await ledger.comment(BOB, post.id, "deeper", parent=reply.id)
    await ledger.vote(ANN, "comment", second.id, up=True)
    tree = await ledger.comments(post.id)  # top: by score
    assert [n.comment.id for n in tree] == [second.id, top.id]
    assert [n.comment.id for n in tree[1].replies] == [reply.id]
    assert [n.comment.id for n in tree[1].replies[0].replies] == [deeper.id]
    newest_first = await ledger.comments(post.id, sort="new")
    assert [n.comment.id for n in newest_first] == [second.id, top.id]
    with pytest.raises(LedgerInputError, match="belongs to p_1"):
        await ledger.comment(BOB, other.id, "cross-post reply", parent=top.id)
    with pytest.raises(LedgerNotFoundError):
        await ledger.comment(BOB, post.id, "reply to nothing", parent="c_99")
    assert (await ledger.get_post(post.id)).comment_count == 4
    assert (await ledger.get_post(other.id)).comment_count == 0


async def test_same_text_twice_within_a_day_is_refused(
    ledger: LedgerService, clock: FakeClock, general: str
) -> None:
    await ledger.create_post(ANN, general, "Hello", content="same   words")
    with pytest.raises(LedgerConflictError):
        await ledger.create_post(ANN, general, "hello", content="Same words")
    await ledger.create_post(BOB, general, "Hello", content="same words")  # another author
    await clock.advance(timedelta(hours=24))
    await ledger.create_post(ANN, general, "Hello", content="same words")


async def test_hot_new_and_top_order(ledger: LedgerService, clock: FakeClock, general: str) -> None:
    old = await ledger.create_post(ANN, general, "old and liked", content="a")
    for voter in ("b", "c", "d", "e", "f"):
        await ledger.vote(Actor("person", voter), "post", old.id, up=True)
    await clock.advance(timedelta(hours=1))
    fresh = await ledger.create_post(BOB, general, "fresh", content="b")
    hot = [p.id for p in await ledger.feed(sort="hot")]
    new = [p.id for p in await ledger.feed(sort="new")]
    assert hot == [old.id, fresh.id]  # 5 votes outweigh one hour
    assert new == [fresh.id, old.id]
    await clock.advance(timedelta(days=2))
    newest = await ledger.create_post(CAROL, general, "newest", content="c")
    hot = [p.id for p in await ledger.feed(sort="hot")]
    assert hot == [newest.id, old.id, fresh.id]  # two days decay more than 5 votes
    assert [p.id for p in await ledger.feed(sort="top")] == [old.id, newest.id, fresh.id]
    assert [p.id for p in await ledger.feed(sort="top", window="day")] == [newest.id]
    assert [p.id for p in await ledger.feed(sort="new", limit=1, offset=1)] == [fresh.id]


async def test_hot_value_falls_with_age(ledger: LedgerService, clock: FakeClock) -> None:
    from soulbeat.ledger.ranking import hot, hot_rank, hot_value

    start = clock.now()
    later = start + timedelta(hours=5)
    assert hot(3, start, later) < hot(3, start, start)
    assert hot_value(hot_rank(3, start), later) == pytest.approx(hot(3, start, later))
    assert hot(-3, start, start) < hot(0, start, start) < hot(3, start, start)


async def test_feed_of_one_submolt_and_of_a_subscriber(
    ledger: LedgerService, store: SQLiteStore, clock: FakeClock, general: str
) -> None:
    await ledger.create_submolt("news", created_by=ANN)
    await ledger.create_submolt("cats", created_by=ANN)
    g = await ledger.create_post(ANN, general, "g", content="g")
    n = await ledger.create_post(ANN, "news", "n", content="n")
    c = await ledger.create_post(ANN, "cats", "c", content="c")
    await store.upsert_agent(Agent("default", "/tmp/ws"))
    await store.add_thread(Thread("t1", "default", clock.now()))
    thread = Actor("thread", "t1")
    assert await ledger.feed(subscriber=thread) == []
    assert await ledger.subscribe(thread, "news") is True
    assert await ledger.subscribe(thread, "news") is False
    assert await ledger.subscribe(AGENT, "cats") is True
    assert await ledger.subscriptions(thread) == ["cats", "news"]
    assert {p.id for p in await ledger.feed(subscriber=thread)} == {n.id, c.id}
    assert [p.id for p in await ledger.feed(subscriber=AGENT)] == [c.id]
    assert [p.id for p in await ledger.feed(submolt=general)] == [g.id]
    assert await ledger.unsubscribe(thread, "news") is True
    assert [p.id for p in await ledger.feed(subscriber=thread)] == [c.id]
    with pytest.raises(NotFoundError):
        await ledger.subscribe(thread, "nowhere")


async def test_new_since_counts_caps_and_skips_own_posts(
    ledger: LedgerService, clock: FakeClock, general: str
) -> None:
    await ledger.create_submolt("quiet", created_by=ANN)
    await ledger.subscribe(ANN, general)
    before = await ledger.create_post(BOB, general, "before", content="x")
    since = clock.now() + timedelta(seconds=1)
    await clock.advance(5)
    for n in range(4):
        await ledger.create_post(BOB, general, f"post {n}", content=f"body {n}")
    await ledger.create_post(AGENT, general, "mine", content="mine")
    await ledger.create_post(BOB, "quiet", "not followed", content="x")
    await ledger.comment(CAROL, before.id, "late comment on an old post")
    news = await ledger.new_since(ANN, since, skip=AGENT, limit=3)
    assert news.submolts == ("general",)
    assert (news.total_posts, news.total_comments) == (4, 1)
    assert [p.title for p in news.posts] == ["post 1", "post 2", "post 3"]  # newest 3, oldest first
    assert [c.content for c in news.comments] == ["late comment on an old post"]


async def test_exists_sees_own_writes_and_refreshes_for_others(
    ledger: LedgerService, store: SQLiteStore, clock: FakeClock, general: str
) -> None:
    post = await ledger.create_post(ANN, general, "t", content="x")
    assert ledger.exists("post", post.id) and ledger.exists("submolt", general)
    assert not ledger.exists("comment", "c_1") and not ledger.exists("thing", "x")
    other = LedgerService(store, clock, limits={}, action_limits={})
    note = await other.comment(BOB, post.id, "from another process")
    assert not ledger.exists("comment", note.id)
    await ledger.refresh()
    assert ledger.exists("comment", note.id) and ledger.exists("comment", "1")
    assert not ledger.exists("post", note.id)


async def test_events_are_published_once_the_names_exist(
    ledger: LedgerService, general: str
) -> None:
    from soulbeat.events.models import EVENT_NAMES

    seen: list[str] = []
    assert ledger.events is not None
    ledger.events.add_listener(lambda event: seen.append(event.name))  # type: ignore[attr-defined]
    post = await ledger.create_post(ANN, general, "t", content="x")
    await ledger.vote(BOB, "post", post.id, up=True)
    expected = [n for n in ("ledger.post_created", "ledger.vote_cast") if n in EVENT_NAMES]
    assert seen == expected
