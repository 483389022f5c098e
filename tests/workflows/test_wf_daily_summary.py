"""Seed 000's example 1, the daily summary bot, end to end: the ``daily-summary`` template
(``every_seconds = 86400``, ``active_hours_start = 9``, ``active_hours_end = 10``, posts allowed),
the scheduler on a fake clock, the ledger's new posts in the prompt, a model over real HTTP
(OpenAI protocol) that follows the template's rule — 3 or more new posts → one summary post in
seed 000's JSON action shape, else ``HEARTBEAT_OK``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from wf_support import (
    AGENT,
    ANN,
    BOB,
    CAI,
    DEE,
    Flow,
    json_action,
    new_posts_shown,
    open_flow,
    prompt_text,
    thread_id_with_phase,
)

from soulbeat.testing import FakeClock, FakeLLMServer

DAY = timedelta(days=1)
SUMMARY = json_action(
    action="post",
    submolt="general",
    title="Daily summary",
    content="New: three posts. Open: is the build green? Trending: release notes.",
)


def three_or_more(body: Any) -> bool:
    return new_posts_shown(body) >= 3


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        server.on(three_or_more, reply=SUMMARY)
        yield server


@pytest.fixture
async def flow(tmp_path: Path, server: FakeLLMServer, clock: FakeClock) -> AsyncIterator[Flow]:
    flow = await open_flow(tmp_path, "daily-summary", server, clock, protocol="openai")
    await flow.board("general")
    yield flow
    await flow.service.close()


async def in_window_thread(flow: Flow) -> str:
    """A thread whose daily slot falls inside 09:00-10:00 UTC."""
    tid = await thread_id_with_phase(
        flow.service, "summary", DAY, timedelta(hours=9, minutes=1), timedelta(hours=9, minutes=59)
    )
    return await flow.thread(tid)


async def test_the_seed_config_is_read_in_its_own_shape(flow: Flow) -> None:
    config = flow.service.settings.heartbeat
    assert (config.every, config.target) == ("1d", "none")
    assert config.actions.allowed == ("post", "none")
    assert config.active_hours is not None
    assert (config.active_hours.start, config.active_hours.end) == ("09:00", "10:00")


async def test_silent_with_fewer_than_three_then_one_summary_with_three(flow: Flow) -> None:
    tid = await in_window_thread(flow)
    await flow.ledger.create_post(ANN, "general", "Hello", content="First day here.")
    await flow.ledger.create_post(BOB, "general", "Question", content="Is the build green?")

    quiet = await flow.next_beat(tid)
    assert quiet.due_at.hour == 9
    assert (quiet.reason, quiet.outcome) == ("interval", "ok-token")
    assert quiet.audit["actions"] == []
    assert new_posts_shown(flow.server.requests[-1]) == 2
    assert [p.author for p in await flow.posts()] == [ANN, BOB]

    for who, title in ((ANN, "Release"), (CAI, "Notes"), (DEE, "Bug")):
        await flow.clock.advance(timedelta(hours=1))
        await flow.ledger.create_post(who, "general", title, content=f"{title} text")
    summary = await flow.next_beat(tid)
    assert summary.due_at == quiet.due_at + DAY
    assert summary.outcome == "sent"
    [action] = summary.audit["actions"]
    assert (action["type"], action["status"]) == ("post", "executed")
    assert action["receipt"]["channel"] == "ledger"
    assert summary.audit["reply"]["tier"] == 2
    posts = await flow.posts()
    assert [p.author for p in posts] == [ANN, BOB, ANN, CAI, DEE, AGENT]
    assert (posts[-1].title, posts[-1].origin_thread) == ("Daily summary", tid)

    text = prompt_text(flow.server.requests[-1])
    assert "<untrusted-data" in text and "Release text" in text
    assert "First day here." not in text  # only what is new since the last beat

    nothing_new = await flow.next_beat(tid)
    assert (nothing_new.outcome, nothing_new.audit["actions"]) == ("ok-token", [])
    assert len(await flow.posts()) == 6


async def test_a_phase_outside_the_window_still_beats_only_inside_it(flow: Flow) -> None:
    """A thread whose stable phase falls at 12:00-20:00 UTC is not silenced for ever: its slot
    moves into 09:00-10:00 each day (the scheduler's off-grid fallback), never outside."""
    tid = await thread_id_with_phase(
        flow.service, "outside", DAY, timedelta(hours=12), timedelta(hours=20)
    )
    await flow.thread(tid, skip_unchanged=False)  # a quiet board would skip days 2-3 (§9.1)
    beats = [await flow.next_beat(tid) for _ in range(3)]
    assert all(9 <= b.due_at.hour < 10 for b in beats), [b.due_at for b in beats]
    assert [b.skip_reason for b in beats] == [None, None, None]
    assert beats[1].due_at - beats[0].due_at == DAY
    assert len(flow.server.requests) == 3  # the model was asked at each of them


async def test_the_same_summary_within_24h_is_refused(flow: Flow) -> None:
    """A person runs the beat again by hand two hours later (manual wakes ignore the window);
    the model writes the same summary; the duplicate guard refuses it."""
    tid = await in_window_thread(flow)
    for who in (ANN, BOB, CAI):
        await flow.ledger.create_post(who, "general", f"By {who.name}", content=f"{who.name} one")
    first = await flow.next_beat(tid)
    for who in (ANN, BOB, CAI):
        await flow.clock.advance(timedelta(minutes=40))
        await flow.ledger.create_post(who, "general", f"More {who.name}", content=f"{who.name} 2")
    second = await flow.service.run_now(tid)
    assert second.reason == "manual"
    assert [a["status"] for a in first.audit["actions"]] == ["executed"]
    [again] = second.audit["actions"]
    assert again["status"] == "rejected"
    assert "duplicate post" in again["detail"]
    assert [p.author for p in await flow.posts()].count(AGENT) == 1
