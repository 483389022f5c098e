"""Outcome rules of SPEC §7.3: dedupe, visibility, the outcome table, indicators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from turn_support import Bench

from soulbeat.actions.executor import ActionResult
from soulbeat.channels.base import Receipt
from soulbeat.config.heartbeat import VisibilityConfig
from soulbeat.turn.outcome import (
    Outcome,
    alert_skip,
    decide_outcome,
    dedupe_form,
    indicator_for,
    is_duplicate,
)


@pytest.mark.parametrize(
    ("text", "last", "mode", "duplicate"),
    [
        ("Final alert", "Final alert", "exact", True),
        ("  Final alert\n", "Final alert", "exact", True),
        ("final alert", "Final alert", "exact", False),
        ("final ALERT", "Final alert", "fuzzy", True),
        ("Disk at 91%", "Disk at 95%", "exact", False),
        ("Disk at 91%", "Disk at 95%", "fuzzy", True),
        ("Disk at 91.5%", "Disk at 95%", "fuzzy", True),
        ("Failed at 2026-01-02 03:04", "Failed at 2026-01-01 23:59:59", "fuzzy", True),
        ("Backup failed at 2026-01-02T03:04:05Z", "backup failed at 9:30 pm", "fuzzy", True),
        ("Backup failed at 3:04", "Backup failed   at 12:00", "fuzzy", True),
        ("Disk at 91%", "Memory at 91%", "fuzzy", False),
        ("Final alert", "Final alert", "off", False),
        ("Final alert", None, "exact", False),
        ("Final alert", None, "fuzzy", False),
    ],
)  # fmt: skip
def test_dedupe(text: str, last: str | None, mode: Any, duplicate: bool) -> None:
    assert is_duplicate(text, last, mode) is duplicate


def test_the_fuzzy_form_masks_times_before_numbers() -> None:
    assert dedupe_form("At 2026-01-02 03:04 UTC: 5 jobs", "fuzzy") == "at <time> utc: <n> jobs"


VISIBLE = VisibilityConfig()
HIDDEN = VisibilityConfig(show_alerts=False)


@pytest.mark.parametrize(
    ("last", "visibility", "has_target", "skip"),
    [
        (None, VISIBLE, True, None),
        ("Alert", VISIBLE, True, "duplicate"),
        (None, HIDDEN, True, "alerts-hidden"),
        ("Alert", HIDDEN, True, "duplicate"),
        (None, VISIBLE, False, "no-target"),
    ],
)
def test_alert_skip(
    last: str | None, visibility: VisibilityConfig, has_target: bool, skip: str | None
) -> None:
    found = alert_skip(
        "Alert", last_alert=last, dedupe="exact", visibility=visibility, has_target=has_target
    )
    assert found == skip


def result(kind: str, status: Any, ok: bool = True) -> ActionResult:
    receipt = (
        Receipt("hook", ok, "webhook hook: HTTP 500 from http://x") if kind == "message" else None
    )
    return ActionResult(kind, status, {"action": kind}, receipt=receipt)


@pytest.mark.parametrize(
    ("kind", "skipped", "results", "expected"),
    [
        ("empty", None, [], Outcome("ok-empty")),
        ("ack", None, [], Outcome("ok-token")),
        ("ack", None, [result("none", "executed")], Outcome("ok-token")),
        ("alert", None, [result("message", "executed")], Outcome("sent")),
        ("alert", None, [result("message", "would-do")], Outcome("would-send")),
        ("action", None, [result("post", "would-do")], Outcome("would-send")),
        ("alert", None, [result("message", "executed"), result("vote", "would-do")],
         Outcome("sent")),
        ("alert", "duplicate", [], Outcome("skipped", "duplicate")),
        ("alert", "alerts-hidden", [], Outcome("skipped", "alerts-hidden")),
        ("ack", None, [result("vote", "executed")], Outcome("sent")),
        ("alert", "duplicate", [result("vote", "executed")], Outcome("sent")),
        ("action", None, [result("post", "unsupported-until-ledger")],
         Outcome("skipped", "unsupported-until-ledger")),
        ("action", None, [result("post", "rejected")], Outcome("skipped", "rejected")),
        ("action", None, [result("post", "pending-approval")],
         Outcome("skipped", "pending-approval")),
        ("alert", None, [result("message", "rejected")], Outcome("skipped", "rejected")),
        ("alert", None, [result("message", "failed", ok=False)],
         Outcome("failed", failure="delivery-failed",
                 error="delivery-failed: webhook hook: HTTP 500 from http://x")),
    ],
)  # fmt: skip
def test_decide_outcome(
    kind: Any, skipped: str | None, results: list[ActionResult], expected: Outcome
) -> None:
    assert decide_outcome(kind, skipped, results) == expected


def test_indicator_only_with_use_indicator() -> None:
    assert indicator_for("alert", VISIBLE) == "alert"
    assert indicator_for("ok", VisibilityConfig(use_indicator=False)) is None


# -- through the runner -----------------------------------------------------------------------


async def test_show_alerts_off_records_the_alert_and_its_indicator(bench: Bench) -> None:
    await bench.thread(visibility={"show_alerts": False})
    bench.llm.script("Disk almost full")
    result, record = await bench.run()
    assert bench.thread_channel.deliveries == []
    assert (result.outcome, result.skip_reason) == ("skipped", "alerts-hidden")
    assert result.audit["indicator"] == "alert"
    assert result.audit["reply"]["text"] == "Disk almost full"
    assert record.alert_text is None


async def test_use_indicator_off_sends_no_indicator(bench: Bench) -> None:
    await bench.thread(visibility={"use_indicator": False})
    bench.llm.script("Disk almost full")
    result, _ = await bench.run()
    assert [d.indicator for d in bench.thread_channel.deliveries] == [None]
    assert result.audit["indicator"] is None


async def test_fuzzy_dedupe_through_the_runner(bench: Bench) -> None:
    await bench.thread(dedupe="fuzzy")
    bench.llm.script("Disk at 91% at 10:00")
    await bench.run()
    await bench.clock.advance(timedelta(hours=2))
    bench.llm.script("disk at 93% at 12:00")
    result, _ = await bench.run()
    assert (result.outcome, result.skip_reason) == ("skipped", "duplicate")


async def test_dedupe_window_is_24_hours(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("Final alert")
    await bench.run()
    await bench.clock.advance(timedelta(hours=24, minutes=1))
    bench.llm.script("Final alert")
    result, _ = await bench.run()
    assert result.outcome == "sent"
    assert bench.thread_channel.texts == ["Final alert", "Final alert"]


async def test_dedupe_off_repeats(bench: Bench) -> None:
    await bench.thread(dedupe="off")
    bench.llm.script("Final alert", "Final alert")
    await bench.run()
    result, _ = await bench.run()
    assert result.outcome == "sent"


async def test_a_dropped_alert_is_kept_on_the_audit_record(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("The backup failed HEARTBEAT_OK")
    result, _ = await bench.run()
    assert result.outcome == "ok-token"
    assert result.audit["dropped_text"] == "The backup failed"
    assert bench.thread_channel.deliveries == []


async def test_an_empty_reply_is_ok_empty(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("")
    result, _ = await bench.run()
    assert (result.outcome, result.audit["indicator"]) == ("ok-empty", "ok")
