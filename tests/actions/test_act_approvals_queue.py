"""`ApprovalQueue` with `GovernedExecutor`: waiting, approving (carried out now), rejecting,
deciding twice, a target that vanished, the action log and the events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from act_governance_support import Gov, make_gov

from soulbeat.actions.approvals import ApprovalDecidedError, ApprovalQueue
from soulbeat.actions.models import CommentAction, MessageAction, PostAction, VoteAction
from soulbeat.channels.base import Receipt
from soulbeat.errors import NotFoundError
from soulbeat.events.models import EVENT_NAMES
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock

POST = PostAction("general", "Weekly digest", "Three <new> posts & one question")


@pytest.fixture
async def gov(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Gov]:
    store = SQLiteStore(tmp_path / "soulbeat.db")
    bench = await make_gov(store, clock)
    yield bench
    await store.close()


async def test_a_waiting_action_is_stored_sanitised_and_not_carried_out(gov: Gov) -> None:
    result = await gov.run(POST, requires_approval=("post",))
    assert result.status == "pending-approval"
    assert result.approval_id is not None
    assert result.as_record()["approval_id"] == result.approval_id
    assert gov.ledger.applied == []
    approval = await gov.approvals.get(result.approval_id)
    assert approval.status == "pending"
    assert approval.action_status == "pending-approval"
    assert approval.action["content"] == "Three <new> posts & one question"
    assert (approval.thread_id, approval.agent_id, approval.beat_id) == ("t1", "default", 1)
    entry = (await gov.log.entries())[0]
    assert (entry.status, entry.id) == ("pending-approval", approval.log_id)


async def test_approving_carries_the_stored_action_out_now(gov: Gov, clock: FakeClock) -> None:
    waiting = await gov.run(POST, requires_approval=("post",))
    assert waiting.approval_id is not None
    await clock.advance(timedelta(hours=3))
    decided = await gov.approvals.approve(waiting.approval_id)
    assert decided.status == "approved"
    assert decided.decided_at == clock.now()
    assert decided.action_status == "executed"
    assert decided.result is not None
    assert decided.result["receipt"]["detail"] == "ledger: post 1"
    assert decided.result["approval_id"] == decided.id
    applied = gov.ledger.applied[0]
    assert isinstance(applied, PostAction)
    assert applied.content == "Three <new> posts & one question"  # kept as written
    entry = (await gov.log.entries())[0]
    assert entry.status == "executed"
    assert gov.events.names() == ["action.approved", "action.executed"]


async def test_rejecting_records_the_reason_and_carries_nothing_out(gov: Gov) -> None:
    waiting = await gov.run(POST, requires_approval=("post",))
    assert waiting.approval_id is not None
    decided = await gov.approvals.reject(waiting.approval_id, "  off topic ")
    assert (decided.status, decided.reason, decided.action_status) == (
        "rejected",
        "off topic",
        "rejected",
    )
    assert decided.result is not None
    assert "rejected by a person: off topic" in decided.result["problems"][-1]["message"]
    assert gov.ledger.applied == []
    assert (await gov.log.entries())[0].status == "rejected"
    name, data = gov.events.events[-1]
    assert (name, data["approval_id"], data["reason"]) == (
        "action.rejected",
        decided.id,
        "off topic",
    )


async def test_a_rejection_gives_the_quota_back(gov: Gov) -> None:
    first = await gov.run(POST, requires_approval=("post",))
    assert (await gov.run(PostAction("general", "x", "y"))).status == "rate-limited"
    assert first.approval_id is not None
    await gov.approvals.reject(first.approval_id)
    assert (await gov.run(PostAction("general", "x", "y"))).status == "executed"


@pytest.mark.parametrize("decide", ["approve", "reject"])
async def test_deciding_twice_is_refused(gov: Gov, decide: str) -> None:
    waiting = await gov.run(POST, requires_approval=("post",))
    assert waiting.approval_id is not None
    await gov.approvals.approve(waiting.approval_id)
    with pytest.raises(ApprovalDecidedError, match="already approved") as caught:
        if decide == "approve":
            await gov.approvals.approve(waiting.approval_id)
        else:
            await gov.approvals.reject(waiting.approval_id, "late")
    assert caught.value.approval.status == "approved"
    assert len(gov.ledger.applied) == 1


async def test_an_unknown_approval_is_not_found(gov: Gov) -> None:
    with pytest.raises(NotFoundError, match="approval 9 does not exist"):
        await gov.approvals.get(9)
    with pytest.raises(NotFoundError):
        await gov.approvals.approve(9)


async def test_approving_after_the_target_vanished_ends_failed(gov: Gov) -> None:
    gov.ledger.targets.add(("post", "p_5"))
    waiting = await gov.run(CommentAction("p_5", "Agreed."), requires_approval=("comment",))
    assert waiting.status == "pending-approval"
    assert waiting.approval_id is not None
    gov.ledger.targets.discard(("post", "p_5"))
    decided = await gov.approvals.approve(waiting.approval_id)
    assert (decided.status, decided.action_status) == ("approved", "failed")
    assert decided.result is not None
    assert "no post 'p_5' exists" in decided.result["detail"]
    assert gov.ledger.applied == []
    assert (await gov.log.entries())[0].status == "failed"
    assert gov.events.names()[-1] == "action.failed"
    assert "action.failed" in EVENT_NAMES


async def test_listing_filters_by_status_and_thread(gov: Gov) -> None:
    gov.ledger.targets |= {("post", "p_1"), ("post", "p_2")}
    need = {"requires_approval": ("vote",)}
    one = await gov.run(VoteAction("post", "p_1", "up"), **need)
    two = await gov.run(VoteAction("post", "p_2", "up"), **need)
    three = await gov.run(VoteAction("post", "p_1", "up"), thread_id="t2", **need)
    assert one.approval_id and two.approval_id and three.approval_id
    await gov.approvals.reject(two.approval_id)
    pending = await gov.approvals.list_approvals(status="pending")
    assert [a.id for a in pending] == [three.approval_id, one.approval_id]
    mine = await gov.approvals.list_approvals(thread_id="t1")
    assert [a.id for a in mine] == [two.approval_id, one.approval_id]
    rejected = await gov.approvals.list_approvals(status="rejected", thread_id="t1")
    assert [a.id for a in rejected] == [two.approval_id]


async def test_an_approved_message_goes_to_the_deliverer(gov: Gov, clock: FakeClock) -> None:
    sent: list[str] = []

    async def deliver(approval: object, action: MessageAction) -> Receipt:
        sent.append(action.text)
        return Receipt("thread", True, "thread: stored")

    queue = ApprovalQueue(gov.store, clock, log=gov.log, deliver=deliver)

    async def target(action: MessageAction) -> Receipt:
        raise AssertionError("a waiting message must not be delivered by the beat")

    gov.executor.approvals = queue
    waiting = await gov.run(
        MessageAction("disk full"), requires_approval=("message",), deliver=target
    )
    assert waiting.approval_id is not None
    decided = await queue.approve(waiting.approval_id)
    assert (decided.action_status, sent) == ("executed", ["disk full"])


async def test_an_approved_message_without_a_deliverer_fails(gov: Gov) -> None:
    async def target(action: MessageAction) -> Receipt:
        return Receipt("thread", True, "stored")

    waiting = await gov.run(MessageAction("hi"), requires_approval=("message",), deliver=target)
    assert waiting.approval_id is not None
    decided = await gov.approvals.approve(waiting.approval_id)
    assert decided.action_status == "failed"


async def test_without_a_queue_a_waiting_action_stays_on_the_audit_record(gov: Gov) -> None:
    gov.executor.approvals = None
    result = await gov.run(POST, requires_approval=("post",))
    assert (result.status, result.approval_id) == ("pending-approval", None)
    assert gov.ledger.applied == []


async def test_a_backend_error_on_approval_is_recorded_then_raised(gov: Gov) -> None:
    waiting = await gov.run(POST, requires_approval=("post",))
    assert waiting.approval_id is not None
    gov.ledger.fail_with = RuntimeError("ledger table locked")
    with pytest.raises(RuntimeError, match="ledger table locked"):
        await gov.approvals.approve(waiting.approval_id)
    stuck = await gov.approvals.get(waiting.approval_id)
    assert (stuck.status, stuck.action_status) == ("approved", "failed")
    assert stuck.result is not None
    assert "RuntimeError: ledger table locked" in stuck.result["detail"]
    assert (await gov.log.entries())[0].status == "failed"
