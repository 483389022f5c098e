"""The `ActionStore` contract (the docstring of `soulbeat.store.base.ActionStore`), run against
every backend in `BACKENDS` (`conftest.py`). The rules (limits, duplicates, what an approval
does) are `soulbeat.actions`' and tested under `tests/actions/`; here only what the store
promises: rows kept as written, the quota's reads inside the admitting transaction, listings
and filters, and an approval decided once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.errors import NotFoundError
from soulbeat.store.base import Store
from soulbeat.store.records import EffectRef
from soulbeat.store.records_actions import (
    ActionQuota,
    ApprovalDecidedError,
    LogRow,
    NewApproval,
    Problem,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COUNTED = ("executed", "admitted")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def row(
    status: str = "executed", *, thread: str = "t1", kind: str = "post", **kw: object
) -> LogRow:
    fields: dict[str, object] = {
        "thread_id": thread,
        "agent_id": "a1",
        "beat_id": None,
        "skill": "",
        "type": kind,
        "status": status,
        "action": {"action": kind, "content": "héllo"},
    }
    fields.update(kw)
    return LogRow(**fields)  # type: ignore[arg-type]


class Quota:
    """An `ActionQuota` whose rule records what the store read and admits (or refuses)."""

    def __init__(self, window: timedelta | None = timedelta(hours=1), refuse: bool = False) -> None:
        self.seen: list[tuple[list[datetime], datetime | None]] = []
        self.window, self.refuse = window, refuse

    def quota(self) -> ActionQuota:
        def decide(times: Sequence[datetime], last: datetime | None) -> LogRow:
            self.seen.append((sorted(times), last))
            return self.written

        return ActionQuota(COUNTED, self.window, timedelta(hours=24), decide)

    written = row("admitted")


async def test_rows_are_kept_as_written_and_numbered_from_one(action_store: Store) -> None:
    problems = (Problem("content", "too long"), Problem("x", "ignored", "info"))
    first = await action_store.record_action(
        row("rejected", problems=problems, detail="no", content_hash="h", dry_run=True), T0
    )
    second = await action_store.record_action(row("rate-limited", retry_after=at(30)), at(1))
    assert (first, second) == (1, 2)
    got = await action_store.get_action(1)
    assert (got.thread_id, got.agent_id, got.type, got.status, got.detail) == (
        "t1",
        "a1",
        "post",
        "rejected",
        "no",
    )
    assert (got.problems, got.content_hash, got.dry_run, got.at, got.updated_at) == (
        problems,
        "h",
        True,
        T0,
        T0,
    )
    assert dict(got.action) == {"action": "post", "content": "héllo"}
    assert (await action_store.get_action(2)).retry_after == at(30)
    with pytest.raises(NotFoundError):
        await action_store.get_action(3)


async def test_settling_changes_status_and_only_what_is_given(action_store: Store) -> None:
    entry = await action_store.record_action(row("admitted", detail="before"), T0)
    await action_store.settle_action(entry, "executed", at(5))
    got = await action_store.get_action(entry)
    assert (got.status, got.detail, got.problems, got.at, got.updated_at) == (
        "executed",
        "before",
        (),
        T0,
        at(5),
    )
    await action_store.settle_action(
        entry, "failed", at(6), detail="after", problems=[Problem("", "x")]
    )
    got = await action_store.get_action(entry)
    assert (got.status, got.detail, got.problems) == ("failed", "after", (Problem("", "x"),))
    with pytest.raises(NotFoundError):
        await action_store.settle_action(99, "executed", T0)


async def test_listing_is_newest_first_with_filters(action_store: Store) -> None:
    await action_store.record_action(row("executed"), T0)
    await action_store.record_action(row("rejected", thread="t2"), T0)
    await action_store.record_action(row("executed", kind="vote"), T0)
    assert [e.id for e in await action_store.list_actions()] == [3, 2, 1]
    assert [e.id for e in await action_store.list_actions(thread_id="t1")] == [3, 1]
    assert [e.id for e in await action_store.list_actions(type="post", status="executed")] == [1]
    assert [e.id for e in await action_store.list_actions(limit=1)] == [3]


async def test_admitting_reads_the_counted_rows_of_the_thread_and_type(action_store: Store) -> None:
    await action_store.record_action(row("executed", content_hash="h"), at(0))
    await action_store.record_action(row("admitted", content_hash="h"), at(10))
    await action_store.record_action(row("rejected", content_hash="h"), at(20))  # not counted
    await action_store.record_action(row("executed", thread="t2", content_hash="h"), at(30))
    await action_store.record_action(row("executed", kind="vote", content_hash="h"), at(40))
    rule = Quota(window=timedelta(seconds=55))
    entry, written = await action_store.admit_action(
        row("x", content_hash="h"), rule.quota(), at(60)
    )
    assert rule.seen == [([at(10)], at(10))]  # at(0) is outside the window
    assert written == Quota.written
    assert (await action_store.get_action(entry)).status == "admitted"
    other = Quota(window=None)
    await action_store.admit_action(row("x"), other.quota(), at(61))  # no hash, no window: no reads
    assert other.seen == [([], None)]


async def test_the_quota_writes_the_row_it_decides(action_store: Store) -> None:
    refused = row("rate-limited", detail="slow down", retry_after=at(99))

    def decide(times: Sequence[datetime], last: datetime | None) -> LogRow:
        return refused

    entry, written = await action_store.admit_action(
        row("x"), ActionQuota(COUNTED, None, timedelta(hours=24), decide), T0
    )
    got = await action_store.get_action(entry)
    assert written == refused
    assert (got.status, got.detail, got.retry_after) == ("rate-limited", "slow down", at(99))


async def test_concurrent_admissions_each_see_the_one_before(action_store: Store) -> None:
    rule = Quota()
    quotas = [rule.quota() for _ in range(3)]
    await asyncio.gather(*(action_store.admit_action(row("x"), q, T0) for q in quotas))
    assert sorted(len(times) for times, _ in rule.seen) == [0, 1, 2]


# -- approvals ----------------------------------------------------------------------------------


def approval(thread: str = "t1", **kw: object) -> NewApproval:
    fields: dict[str, object] = {
        "thread_id": thread,
        "agent_id": "a1",
        "beat_id": None,
        "skill": "",
        "type": "post",
        "action": {"action": "post", "submolt": "general", "title": "t", "content": "c"},
    }
    fields.update(kw)
    return NewApproval(**fields)  # type: ignore[arg-type]


async def test_approvals_are_kept_pending_and_listed(action_store: Store) -> None:
    log_id = await action_store.record_action(row("pending-approval"), T0)
    made = await action_store.add_approval(
        approval(problems=(Problem("x", "noted", "info"),), log_id=log_id, skill="s"), T0
    )
    await action_store.add_approval(approval("t2"), at(1))
    assert (made.id, made.status, made.created_at, made.log_id, made.skill) == (
        1,
        "pending",
        T0,
        log_id,
        "s",
    )
    assert made.problems == (Problem("x", "noted", "info"),)
    assert (made.decided_at, made.reason, made.result) == (None, None, None)
    assert await action_store.get_approval(1) == made
    assert [a.id for a in await action_store.list_approvals()] == [2, 1]
    assert [a.id for a in await action_store.list_approvals(thread_id="t2")] == [2]
    assert [a.id for a in await action_store.list_approvals(limit=1, offset=1)] == [1]
    assert await action_store.count_approvals() == 2  # the paging total (issue 12)
    assert await action_store.count_approvals(thread_id="t2") == 1
    assert await action_store.count_approvals(status="approved") == 0
    with pytest.raises(NotFoundError):
        await action_store.get_approval(3)


async def test_an_approval_is_decided_once(action_store: Store) -> None:
    await action_store.add_approval(approval(), T0)
    decided = await action_store.claim_approval(1, "rejected", "spam", at(5))
    assert (decided.status, decided.reason, decided.decided_at) == ("rejected", "spam", at(5))
    with pytest.raises(ApprovalDecidedError) as caught:
        await action_store.claim_approval(1, "approved", None, at(6))
    assert caught.value.approval == decided
    assert await action_store.get_approval(1) == decided
    assert [a.id for a in await action_store.list_approvals(status="pending")] == []
    with pytest.raises(NotFoundError):
        await action_store.claim_approval(9, "approved", None, T0)


async def test_two_deciders_at_once_one_wins(action_store: Store) -> None:
    await action_store.add_approval(approval(), T0)
    outcomes = await asyncio.gather(
        *(action_store.claim_approval(1, "approved", None, T0) for _ in range(3)),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert sum(isinstance(o, ApprovalDecidedError) for o in outcomes) == 2


async def test_a_decided_approval_keeps_its_result(action_store: Store) -> None:
    await action_store.add_approval(approval(), T0)
    await action_store.claim_approval(1, "approved", None, T0)
    result = {"type": "post", "status": "executed", "when": at(1)}
    kept = await action_store.set_approval_result(1, result)
    assert kept.result == {"type": "post", "status": "executed", "when": str(at(1))}
    assert (await action_store.get_approval(1)).result == kept.result
    with pytest.raises(NotFoundError):
        await action_store.set_approval_result(9, result)


def test_rows_compare_by_value() -> None:
    assert replace(row(), status="x") == row("x")


async def test_a_row_under_a_beats_effect_is_written_and_admitted_once(
    action_store: Store,
) -> None:
    ref = EffectRef("t1@2026-01-01T00:00:00+00:00", 0, "post")
    quota = Quota()
    entry, _ = await action_store.admit_action(row("admitted", effect=ref), quota.quota(), T0)
    again, kept = await action_store.admit_action(row("admitted", effect=ref), quota.quota(), at(5))
    assert (again, kept.status) == (entry, "admitted")
    assert len(quota.seen) == 1  # the quota is taken once
    await action_store.settle_action(entry, "executed", at(6))
    third, settled = await action_store.admit_action(
        row("admitted", effect=ref), quota.quota(), at(7)
    )
    assert (third, settled.status) == (entry, "executed")

    final = EffectRef(ref.key, 1, "vote")
    first = await action_store.record_action(row("rejected", effect=final), T0)
    assert await action_store.record_action(row("rejected", effect=final), at(1)) == first
    assert len(await action_store.list_actions()) == 2
