"""Rows G1–G10 of spec/vectors.md through `TurnRunner` (G4, G5, G8 also through the scheduler in
test_turn_scheduled.py, since they are about the guards in front of the turn)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from turn_support import Bench, plan_for, write_workspace

from soulbeat.actions.executor import (
    ActionContext,
    ActionResult,
    LedgerAction,
)
from soulbeat.actions.models import Problem, to_dict
from soulbeat.config.heartbeat import DEFAULT_HEARTBEAT_PROMPT
from soulbeat.testing import BareExecutor
from soulbeat.testing.llm import reply, tool_reply

ALL_OFF = {"show_ok": False, "show_alerts": False, "use_indicator": False}


class FakeLedger:
    """A `LedgerBackend` that keeps posts in a list, and writes nothing in dry-run."""

    def __init__(self) -> None:
        self.posts: list[LedgerAction] = []
        self.asked: list[tuple[LedgerAction, bool]] = []

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        self.asked.append((action, ctx.dry_run))
        if ctx.dry_run:
            return ActionResult(action.TYPE, "would-do", to_dict(action), tuple(problems))
        self.posts.append(action)
        return ActionResult(action.TYPE, "executed", to_dict(action), tuple(problems))


async def test_G1_the_last_payload_with_content_is_delivered(bench: Bench) -> None:
    await bench.thread(actions={"allowed": ["message", "none", "vote"]})
    vote = {"target": "post", "id": "42", "direction": "up"}
    bench.llm.script(tool_reply("ledger_vote", vote, text="Let me check..."), "Final alert")
    result, _ = await bench.run()
    assert bench.thread_channel.texts == ["Final alert"]
    assert result.outcome == "sent"
    assert result.alert_text == "Final alert"
    bench.llm.assert_script_consumed()


async def test_G2_an_alert_equal_to_the_last_one_is_a_duplicate(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("Final alert")
    await bench.run()
    await bench.clock.advance(timedelta(minutes=1))
    bench.llm.script("Final alert")
    result, record = await bench.run()
    assert (result.outcome, result.skip_reason) == ("skipped", "duplicate")
    assert record.alert_text is None
    assert bench.thread_channel.texts == ["Final alert"]


@pytest.mark.parametrize(
    "answer",
    [reply("Reasoning:\nbecause\n\nFinal alert"), reply("Final alert", reasoning="because")],
    ids=["prefix", "provider-field"],
)
async def test_G3_reasoning_is_delivered_first_with_include_reasoning(
    bench: Bench, answer: object
) -> None:
    await bench.thread(include_reasoning=True)
    bench.llm.script(answer)  # type: ignore[arg-type]
    result, _ = await bench.run()
    kinds = [(d.kind, d.text) for d in bench.thread_channel.deliveries]
    assert kinds == [("reasoning", "Reasoning:\nbecause"), ("alert", "Final alert")]
    assert result.outcome == "sent"


async def test_G3_without_include_reasoning_only_the_alert_goes(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("Reasoning:\nbecause\n\nFinal alert")
    result, _ = await bench.run()
    assert bench.thread_channel.texts == ["Final alert"]
    assert result.audit["reply"]["reasoning"] == "because"


async def test_G4_empty_file_still_runs_when_the_turn_is_asked_directly(bench: Bench) -> None:
    # The skip is the scheduler's guard (see test_turn_scheduled.py); the turn itself just runs.
    write_workspace(bench.workspace, {"HEARTBEAT.md": "# HEARTBEAT.md\n\n## Tasks\n"})
    await bench.thread()
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run(plan=plan_for("t1", heartbeat_file_empty=True))
    assert result.outcome == "ok-token"


async def test_G6_a_missing_heartbeat_file_runs_on_the_default_prompt(bench: Bench) -> None:
    (bench.workspace / "HEARTBEAT.md").unlink()
    await bench.thread()
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run()
    user = bench.user_text()
    assert user.startswith(DEFAULT_HEARTBEAT_PROMPT)
    assert "Instructions" not in user and "HEARTBEAT.md\n" not in user
    assert result.outcome == "ok-token"
    assert result.audit["instructions"]["origin"] == "none"


async def test_G7_show_ok_delivers_the_token(bench: Bench) -> None:
    await bench.thread(visibility={"show_ok": True})
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run()
    assert [(d.kind, d.text) for d in bench.thread_channel.deliveries] == [("ok", "HEARTBEAT_OK")]
    assert bench.thread_channel.deliveries[0].indicator == "ok"
    assert result.outcome == "ok-token"
    assert result.alert_text is None


async def test_G8_all_flags_off_through_the_turn_alone_delivers_nothing(bench: Bench) -> None:
    # The scheduler's guard skips these beats before the model (test_turn_scheduled.py); should
    # one reach the turn anyway, nothing is delivered.
    await bench.thread(visibility=ALL_OFF)
    bench.llm.script("Disk almost full")
    result, _ = await bench.run()
    assert bench.thread_channel.deliveries == []
    assert (result.outcome, result.skip_reason) == ("skipped", "alerts-hidden")


@pytest.mark.parametrize("with_ledger", [False, True], ids=["no-ledger", "ledger"])
async def test_G9_dry_run_post_is_validated_and_would_do(bench: Bench, with_ledger: bool) -> None:
    ledger = FakeLedger() if with_ledger else None
    await bench.thread(dry_run=True, actions={"allowed": ["post", "none"]})
    post = {"submolt": "general", "title": "Hello", "content": "First post"}
    bench.llm.script(tool_reply("ledger_post", post), "HEARTBEAT_OK")
    runner = bench.runner(executor=BareExecutor(ledger))
    result, _ = await bench.run(runner=runner)
    [action] = result.audit["actions"]
    assert (action["type"], action["status"], action["problems"]) == ("post", "would-do", [])
    assert result.outcome == "would-send"
    assert bench.events.names().count("action.would_do") == 1
    assert bench.thread_channel.deliveries == []
    if ledger is not None:
        assert ledger.posts == []
        assert ledger.asked == [(ledger.asked[0][0], True)]


async def test_G9_dry_run_still_rejects_an_invalid_post(bench: Bench) -> None:
    await bench.thread(dry_run=True, actions={"allowed": ["post", "none"]})
    post = {"submolt": "general", "title": "x" * 301, "content": "First post"}
    bench.llm.script(tool_reply("ledger_post", post), "HEARTBEAT_OK")
    result, _ = await bench.run()
    [action] = result.audit["actions"]
    assert action["status"] == "rejected"
    assert [p["field"] for p in action["problems"]] == ["title"]
    assert (result.outcome, result.skip_reason) == ("skipped", "rejected")


async def test_G10_the_model_name_is_trimmed(bench: Bench) -> None:
    await bench.thread(model=" llama3.2:1b ")
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run()
    assert bench.llm.last_request.model == "llama3.2:1b"
    assert result.audit["model"] == "llama3.2:1b"


async def test_G10_the_default_model_when_the_thread_names_none(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("HEARTBEAT_OK")
    await bench.run(plan=replace(plan_for("t1"), timeout=timedelta(minutes=2)))
    request = bench.llm.last_request
    assert request.model == "fake-model"
    assert request.timeout is not None and 1 <= request.timeout <= 120
