"""`GovernedExecutor`: rate limits and daily caps with sliding windows, the duplicate guard, the
allow-list, dry-run, and the action log that records every refusal (SPEC §7.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from act_governance_support import Gov, ctx, make_gov

from soulbeat.actions.models import (
    Action,
    CommentAction,
    MessageAction,
    PostAction,
    VoteAction,
)
from soulbeat.actions.policy import (
    check_duplicate,
    check_rate_limits,
    content_hash,
    normalize_content,
)
from soulbeat.channels.base import Receipt
from soulbeat.config.actions import RateLimit
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock

S = timedelta(seconds=1)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture
async def gov(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Gov]:
    store = SQLiteStore(tmp_path / "soulbeat.db")
    bench = await make_gov(store, clock)
    bench.ledger.targets |= {("post", f"p_{n}") for n in range(1, 200)}
    yield bench
    await store.close()


def post(n: int) -> Action:
    return PostAction("general", f"Title {n}", f"Post number {n}")


def comment(n: int) -> Action:
    return CommentAction("p_1", f"Comment number {n}")


def vote(n: int) -> Action:
    return VoteAction("post", f"p_{n + 1}", "up")


@dataclass(frozen=True)
class Case:
    """Act ``burst`` times (``gap`` apart) — all executed; the next is rate-limited with
    ``retry_after`` = first + ``free_after``; then it runs at exactly that instant."""

    name: str
    make: Callable[[int], Action]
    burst: int
    gap: timedelta
    free_after: timedelta


CASES = [
    Case("1 post per 30 min", post, 1, S, 30 * MIN),
    Case("1 comment per 20 s", comment, 1, S, 20 * S),
    Case("50 comments a day", comment, 50, 20 * S, D),
    Case("60 votes an hour", vote, 60, S, H),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_each_default_limit_refuses_with_retry_after_then_allows(
    gov: Gov, clock: FakeClock, case: Case
) -> None:
    first = clock.now()
    for n in range(case.burst):
        if n:
            await clock.advance(case.gap)
        assert (await gov.run(case.make(n))).status == "executed", n
    await clock.advance(case.gap)
    refused = await gov.run(case.make(case.burst))
    assert refused.status == "rate-limited"
    assert refused.retry_after == first + case.free_after
    assert "rate limit reached" in refused.detail
    assert refused.as_record()["retry_after"] == (first + case.free_after).isoformat()
    await clock.set(first + case.free_after - timedelta(microseconds=1))
    assert (await gov.run(case.make(case.burst + 1))).status == "rate-limited"
    await clock.set(first + case.free_after)
    assert (await gov.run(case.make(case.burst + 2))).status == "executed"


async def test_the_window_slides_rather_than_resets(gov: Gov, clock: FakeClock) -> None:
    limits = {"post": (RateLimit.parse("2/1h", key="post"),)}
    start = clock.now()
    assert (await gov.run(post(1), limits=limits)).status == "executed"
    await clock.advance(40 * MIN)
    assert (await gov.run(post(2), limits=limits)).status == "executed"
    await clock.advance(30 * MIN)  # 70 min: the first left the window, the second has not
    assert (await gov.run(post(3), limits=limits)).status == "executed"
    refused = await gov.run(post(4), limits=limits)
    assert refused.retry_after == start + 40 * MIN + H


async def test_limits_are_per_thread_and_per_type(gov: Gov) -> None:
    assert (await gov.run(post(1))).status == "executed"
    assert (await gov.run(post(2), thread_id="t2")).status == "executed"
    assert (await gov.run(comment(1))).status == "executed"
    assert (await gov.run(vote(1))).status == "executed"
    assert (await gov.run(post(3))).status == "rate-limited"


async def test_a_thread_without_limits_is_not_limited(gov: Gov) -> None:
    statuses = [(await gov.run(post(n), limits={})).status for n in range(5)]
    assert statuses == ["executed"] * 5


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (PostAction("general", "A", "Hello  World"), PostAction("general", "B", " hello world ")),
        (CommentAction("p_1", "Nice\tpost!"), CommentAction("p_2", "NICE POST!")),
        (VoteAction("post", "p_1", "up"), VoteAction("post", "p_1", "up")),
    ],
    ids=["post", "comment", "vote"],
)
async def test_the_same_content_within_24h_is_refused_then_allowed(
    gov: Gov, clock: FakeClock, first: Action, again: Action
) -> None:
    no_limits: dict[str, tuple[RateLimit, ...]] = {}
    start = clock.now()
    assert (await gov.run(first, limits=no_limits)).status == "executed"
    await clock.advance(23 * H)
    refused = await gov.run(again, limits=no_limits)
    assert refused.status == "rejected"
    assert refused.retry_after == start + D
    assert "duplicate" in refused.problems[-1].message
    await clock.set(start + D)
    assert (await gov.run(again, limits=no_limits)).status == "executed"


async def test_the_duplicate_guard_is_per_thread_and_type(gov: Gov) -> None:
    assert (await gov.run(PostAction("general", "A", "same words"))).status == "executed"
    assert (await gov.run(CommentAction("p_1", "same words"))).status == "executed"
    other = await gov.run(PostAction("general", "A", "same words"), thread_id="t2")
    assert other.status == "executed"


async def test_a_refused_action_does_not_count_as_a_duplicate(gov: Gov, clock: FakeClock) -> None:
    assert (await gov.run(post(1))).status == "executed"
    assert (await gov.run(post(2))).status == "rate-limited"
    await clock.advance(30 * MIN)
    assert (await gov.run(post(2))).status == "executed"


async def test_messages_are_not_deduplicated_here(gov: Gov) -> None:
    async def deliver(action: MessageAction) -> Receipt:
        return Receipt("thread", True, "stored")

    results = [await gov.run(MessageAction("disk full"), deliver=deliver) for _ in range(3)]
    assert [r.status for r in results] == ["executed"] * 3


async def test_the_allow_list_refusal_names_the_type_and_the_list(gov: Gov) -> None:
    result = await gov.run(post(1), allowed=("vote", "none"))
    assert result.status == "rejected"
    message = str(result.problems[0])
    assert "'post' is not allowed" in message
    assert "allowed: vote, none" in message
    assert gov.ledger.applied == []


async def test_dry_run_counts_nothing_and_never_touches_the_ledger(gov: Gov) -> None:
    results = [await gov.run(post(n), dry_run=True) for n in range(5)]
    assert [r.status for r in results] == ["would-do"] * 5
    assert gov.ledger.applied == []
    assert (await gov.run(post(1))).status == "executed"
    duplicate_of_a_would_do = await gov.run(post(2), limits={})
    assert duplicate_of_a_would_do.status == "executed"


async def test_dry_run_still_refuses_what_is_invalid(gov: Gov) -> None:
    missing = await gov.run(CommentAction("p_999", "hi"), dry_run=True)
    barred = await gov.run(post(1), dry_run=True, allowed=("none",))
    assert (missing.status, barred.status) == ("rejected", "rejected")


async def test_a_target_that_does_not_exist_is_rejected(gov: Gov) -> None:
    result = await gov.run(VoteAction("comment", "c_7", "down"))
    assert result.status == "rejected"
    assert "no comment 'c_7' exists" in str(result.problems[-1])
    nowhere = await gov.run(PostAction("nowhere", "T", "text"))
    assert "no submolt 'nowhere' exists" in nowhere.detail
    assert gov.ledger.applied == []


async def test_an_async_exists_lookup_is_awaited(gov: Gov) -> None:
    asked: list[tuple[str, str]] = []

    async def exists(kind: str, ident: str) -> bool:
        asked.append((kind, ident))
        return ident == "p_1"

    gov.executor.exists = exists
    assert (await gov.run(CommentAction("p_1", "ok"))).status == "executed"
    assert (await gov.run(CommentAction("p_2", "no"))).status == "rejected"
    assert asked == [("post", "p_1"), ("post", "p_2")]


async def test_ledger_actions_reach_the_ledger_as_written_not_escaped(gov: Gov) -> None:
    result = await gov.run(PostAction("general", "<b>Hi</b>", "a & b"))
    applied = gov.ledger.applied[0]
    assert isinstance(applied, PostAction)
    assert (applied.title, applied.content) == ("<b>Hi</b>", "a & b")
    assert result.action["title"] == "<b>Hi</b>"


async def test_every_action_and_refusal_is_in_the_log(gov: Gov) -> None:
    await gov.run(post(1))
    await gov.run(post(2))
    await gov.run(post(3), allowed=("none",))
    await gov.run(post(4), dry_run=True)
    entries = await gov.log.entries(thread_id="t1")
    assert [(e.type, e.status) for e in reversed(entries)] == [
        ("post", "executed"),
        ("post", "rate-limited"),
        ("post", "rejected"),
        ("post", "would-do"),
    ]
    limited = entries[2]
    assert limited.retry_after is not None
    assert limited.action["title"] == "Title 2"
    assert limited.content_hash == content_hash(post(2))
    assert entries[0].dry_run


async def test_a_backend_failure_frees_the_quota_and_propagates(gov: Gov) -> None:
    gov.ledger.fail_with = RuntimeError("disk on fire")
    with pytest.raises(RuntimeError, match="disk on fire"):
        await gov.run(post(1))
    assert (await gov.log.entries())[0].status == "failed"
    gov.ledger.fail_with = None
    assert (await gov.run(post(1))).status == "executed"


async def test_thread_limits_come_from_the_lookup_when_the_context_has_none(
    gov: Gov,
) -> None:
    asked: list[str] = []

    async def lookup(context: object) -> dict[str, tuple[RateLimit, ...]]:
        asked.append(getattr(context, "thread_id", ""))
        return {"post": (RateLimit.parse("3/1h", key="post"),)}

    gov.executor = type(gov.executor)(gov.log, ledger=gov.ledger, limits=lookup)
    statuses = [(await gov.run(post(n))).status for n in range(4)]
    assert statuses == ["executed"] * 3 + ["rate-limited"]
    assert asked == ["t1"] * 4


# -- the rules alone ------------------------------------------------------------------------------
def test_normalising_trims_case_folds_and_collapses_whitespace() -> None:
    assert normalize_content("  Hello \n\t WORLD  ") == "hello world"
    assert normalize_content("Straße") == normalize_content("STRASSE")


@pytest.mark.parametrize(
    ("ages_minutes", "limit", "retry_in_minutes"),
    [
        ([], "1/30m", None),
        ([10], "1/30m", 20),
        ([30], "1/30m", None),
        ([5, 10, 50], "2/1h", 50),
        ([59, 1], "2/1h", 1),
    ],
)
def test_check_rate_limits_table(
    ages_minutes: list[int], limit: str, retry_in_minutes: int | None
) -> None:
    now = datetime.fromisoformat("2026-01-01T12:00:00+00:00")
    times = [now - timedelta(minutes=age) for age in ages_minutes]
    refusal = check_rate_limits("post", (RateLimit.parse(limit, key="x"),), times, now)
    if retry_in_minutes is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert refusal.retry_after == now + timedelta(minutes=retry_in_minutes)


def test_check_duplicate_window_edges() -> None:
    now = datetime.fromisoformat("2026-01-01T12:00:00+00:00")
    assert check_duplicate("post", None, now) is None
    assert check_duplicate("post", now - D, now) is None
    refusal = check_duplicate("post", now - D + S, now)
    assert refusal is not None
    assert refusal.retry_after == now + S


def test_content_hash_ignores_titles_and_spacing_and_skips_messages() -> None:
    assert content_hash(PostAction("a", "One", "x  y")) == content_hash(
        PostAction("b", "Two", "X Y")
    )
    assert content_hash(MessageAction("hi")) is None
    assert content_hash(VoteAction("post", "1", "up")) != content_hash(
        VoteAction("post", "1", "down")
    )


async def test_context_helper_defaults() -> None:
    assert ctx().allowed == ("post", "comment", "vote", "message", "none")
