"""`BareExecutor` (soulbeat.testing): validate, then deliver, record or hand
over to the ledger seam."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from soulbeat.actions.executor import (
    ACTION_STATUSES,
    ActionContext,
    ActionResult,
    ActionStatus,
    LedgerAction,
)
from soulbeat.actions.models import (
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    Problem,
    VoteAction,
    to_dict,
)
from soulbeat.channels.base import Receipt
from soulbeat.testing import BareExecutor

POST = PostAction("general", "Hello", "First post")
ALL = ("post", "comment", "vote", "message", "none")


class Sent:
    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.messages: list[MessageAction] = []

    async def __call__(self, action: MessageAction) -> Receipt:
        self.messages.append(action)
        return Receipt("thread", self.ok, "thread: stored" if self.ok else "thread: refused")


def ctx(**changes: object) -> ActionContext:
    base = ActionContext("t1", "default", 7, allowed=ALL)
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_a_message_is_delivered_through_the_context() -> None:
    sent = Sent()
    result = await BareExecutor().execute(MessageAction("hi"), ctx(deliver=sent))
    assert (result.status, result.receipt) == (
        "executed",
        Receipt("thread", True, "thread: stored"),
    )
    assert sent.messages == [MessageAction("hi")]


async def test_a_refused_delivery_is_failed() -> None:
    result = await BareExecutor().execute(MessageAction("hi"), ctx(deliver=Sent(False)))
    assert result.status == "failed"
    assert result.detail == "thread: refused"


async def test_a_message_without_a_target_is_rejected() -> None:
    result = await BareExecutor().execute(MessageAction("hi"), ctx())
    assert result.status == "rejected"
    assert "nowhere to go" in str(result.problems[0])


@pytest.mark.parametrize(
    "action", [POST, CommentAction("42", "Nice"), VoteAction("post", "1", "up")]
)
async def test_ledger_actions_are_unsupported_until_the_ledger(action: Action) -> None:
    result = await BareExecutor().execute(action, ctx())
    assert result.status == "unsupported-until-ledger"
    assert result.action == to_dict(action)


async def test_dry_run_validates_then_would_do_and_sends_nothing() -> None:
    sent = Sent()
    executor = BareExecutor()
    message = await executor.execute(MessageAction("hi"), ctx(dry_run=True, deliver=sent))
    post = await executor.execute(POST, ctx(dry_run=True))
    bad = await executor.execute(replace(POST, submolt="Not A Name"), ctx(dry_run=True))
    assert (message.status, post.status, bad.status) == ("would-do", "would-do", "rejected")
    assert sent.messages == []


async def test_not_allowed_is_rejected_with_the_problem() -> None:
    result = await BareExecutor().execute(POST, ctx(allowed=("message", "none")))
    assert result.status == "rejected"
    assert [p.field for p in result.problems] == ["action"]


async def test_none_is_recorded_whatever_is_allowed() -> None:
    result = await BareExecutor().execute(NoneAction("quiet"), ctx(allowed=()))
    assert (result.status, result.action) == ("executed", {"action": "none", "reason": "quiet"})


async def test_requires_approval_waits() -> None:
    result = await BareExecutor().execute(POST, ctx(requires_approval=("post",)))
    assert result.status == "pending-approval"


async def test_problems_found_earlier_are_kept() -> None:
    earlier = [Problem("colour", "is not a field of this action; ignored", "info")]
    result = await BareExecutor().execute(NoneAction(), ctx(), earlier)
    assert result.problems == tuple(earlier)


class Ledger:
    def __init__(self) -> None:
        self.calls: list[tuple[LedgerAction, bool]] = []

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        self.calls.append((action, ctx.dry_run))
        status: ActionStatus = "would-do" if ctx.dry_run else "executed"
        return ActionResult(action.TYPE, status, to_dict(action), tuple(problems))


async def test_a_ledger_backend_gets_valid_allowed_ledger_actions_only() -> None:
    ledger = Ledger()
    executor = BareExecutor(ledger)
    assert (await executor.execute(POST, ctx())).status == "executed"
    assert (await executor.execute(POST, ctx(allowed=("none",)))).status == "rejected"
    assert (await executor.execute(MessageAction("hi"), ctx(deliver=Sent()))).status == "executed"
    assert ledger.calls == [(POST, False)]


def test_statuses_are_checked() -> None:
    assert "unsupported-until-ledger" in ACTION_STATUSES
    with pytest.raises(ValueError, match="action status"):
        ActionResult("post", "done", {})  # type: ignore[arg-type]


def test_as_record_is_json_ready() -> None:
    result = ActionResult(
        "message",
        "executed",
        {"action": "message", "text": "hi"}, (Problem("text", "x"),),
        Receipt("ops", True, "webhook ops: HTTP 200", status_code=200), "ok",
    )  # fmt: skip
    assert result.as_record() == {
        "type": "message",
        "status": "executed",
        "action": {"action": "message", "text": "hi"},
        "problems": [{"field": "text", "message": "x", "level": "error"}],
        "receipt": {
            "channel": "ops",
            "ok": True,
            "detail": "webhook ops: HTTP 200",
            "message_id": None,
            "status_code": 200,
        },
        "detail": "ok",
    }
