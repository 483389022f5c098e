"""The guards of SPEC §4.2: order, bypasses, deferrals (F11, F12 at the guard level)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from soulbeat.contract.active_hours import ActiveHours
from soulbeat.schedule.gates import GUARDS, GateDecision, GateInputs, evaluate_gates
from soulbeat.schedule.plan import BeatPlan

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ALL = tuple(name for name, _ in GUARDS)


def inputs(reason: str = "interval", **changes: Any) -> GateInputs:
    plan_changes = {k: v for k, v in changes.items() if k in BeatPlan.__dataclass_fields__}
    own = {k: v for k, v in changes.items() if k not in plan_changes}
    plan = replace(BeatPlan("t1", "", True, timedelta(minutes=30)), **plan_changes)
    return GateInputs(plan=plan, now=NOW, reason=reason, **own)


def skip_of(reason: str = "interval", **changes: Any) -> str | None:
    return evaluate_gates(inputs(reason, **changes)).skip


def test_the_order_is_the_specs() -> None:
    assert ALL == (
        "disabled",
        "quiet-hours",
        "quiet-after-message",
        "busy",
        "cooldown",
        "flood",
        "idle",
        "budget",
        "empty-heartbeat-file",
        "no-tasks-due",
        "unchanged",
        "no-route",
        "alerts-disabled",
    )


def test_a_clear_beat_passes_every_guard() -> None:
    assert evaluate_gates(inputs()) == GateDecision(passed=ALL)


def test_the_first_failing_guard_decides_and_lists_the_passed_ones() -> None:
    decision = evaluate_gates(inputs(has_route=False, alerts_visible=False, busy=False))
    assert decision.skip == "no-route" and decision.defer_until is None
    assert decision.passed == ALL[: ALL.index("no-route")]
    assert skip_of(global_enabled=False, busy=True) == "disabled"


@pytest.mark.parametrize(
    "changes",
    [{"global_enabled": False}, {"enabled": False}, {"interval": None}],
    ids=["global-flag", "thread", "interval"],
)
@pytest.mark.parametrize("reason", ["interval", "manual", "event"])
def test_disabled(changes: dict[str, Any], reason: str) -> None:
    if reason == "manual" and changes == {"global_enabled": False}:
        pytest.skip("a manual beat runs while the scheduler is stopped (below)")
    assert skip_of(reason, **changes) == "disabled"


def test_a_manual_beat_passes_a_stopped_scheduler() -> None:
    """SPEC §9.1: a stopped scheduler claims nothing, but a manual wake still runs."""
    assert "disabled" in evaluate_gates(inputs(reason="manual", global_enabled=False)).passed


def test_quiet_hours_and_the_manual_bypass() -> None:
    night = ActiveHours("22:00", "06:00", "UTC")
    assert skip_of(active_hours=night) == "quiet-hours"
    assert skip_of("event", active_hours=night) == "quiet-hours"
    assert skip_of("manual", active_hours=night) is None
    berlin = ActiveHours("13:00", "14:00", "user")  # 12:00 UTC is 13:00 in Berlin in January
    assert skip_of(active_hours=berlin, user_timezone="Europe/Berlin") is None


@pytest.mark.parametrize("reason", ["interval", "manual", "event", "retry"])
def test_busy_defers_one_second_for_every_reason(reason: str) -> None:
    decision = evaluate_gates(inputs(reason, busy=True))
    assert (decision.skip, decision.defer_until) == ("busy", NOW + timedelta(seconds=1))


def test_F11_cooldown_for_event_and_hook_wakes() -> None:
    last = NOW - timedelta(seconds=20)
    for reason in ("event", "hook:github"):
        decision = evaluate_gates(inputs(reason, last_beat_start=last, recent_starts=(last,)))
        assert (decision.skip, decision.defer_until) == ("cooldown", last + timedelta(seconds=30))
    assert skip_of("manual", last_beat_start=last, recent_starts=(last,)) is None
    assert skip_of("interval", last_beat_start=last, recent_starts=(last,)) is None
    exactly = NOW - timedelta(seconds=30)
    assert skip_of("event", last_beat_start=exactly, recent_starts=(exactly,)) is None


def test_F12_flood_defers_until_the_oldest_start_is_a_minute_old() -> None:
    starts = tuple(NOW - timedelta(seconds=s) for s in (55, 50, 45, 40, 35))
    decision = evaluate_gates(inputs("event", last_beat_start=starts[-1], recent_starts=starts))
    assert (decision.skip, decision.defer_until) == ("flood", starts[0] + timedelta(seconds=60))
    assert skip_of("interval", recent_starts=starts) == "flood"
    assert skip_of("manual", recent_starts=starts) is None
    assert skip_of("interval", recent_starts=starts[1:]) is None  # four in the minute
    older = (NOW - timedelta(seconds=60), *starts[1:])
    assert skip_of("interval", recent_starts=older) is None  # 60 s old no longer counts


def test_idle() -> None:
    pause = timedelta(days=14)
    assert skip_of(idle_pause=pause, last_activity_at=NOW - timedelta(days=15)) == "idle"
    assert skip_of(idle_pause=pause, last_activity_at=NOW - timedelta(days=13)) is None
    assert skip_of(idle_pause=None, last_activity_at=NOW - timedelta(days=99)) is None


def test_budget() -> None:
    assert skip_of(daily_token_budget=1000, tokens_used_today=1000) == "budget"
    assert skip_of(daily_token_budget=1000, tokens_used_today=999) is None
    assert skip_of(daily_token_budget=None, tokens_used_today=10**9) is None


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("interval", "empty-heartbeat-file"),
        ("skill:digest", "empty-heartbeat-file"),
        ("retry", "empty-heartbeat-file"),
        ("event", None),
        ("hook:ci", None),
        ("manual", None),
    ],
)
def test_empty_heartbeat_file_and_its_bypasses(reason: str, expected: str | None) -> None:
    assert skip_of(reason, heartbeat_file_empty=True) == expected


@pytest.mark.parametrize(("reason", "expected"), [("interval", "no-tasks-due"), ("event", None)])
def test_no_tasks_due(reason: str, expected: str | None) -> None:
    assert skip_of(reason, has_cadence_tasks=True, due_tasks=()) == expected
    assert skip_of(reason, has_cadence_tasks=True, due_tasks=("inbox",)) is None
    assert skip_of(reason, has_cadence_tasks=False, due_tasks=()) is None


def test_no_route_and_alerts_disabled() -> None:
    assert skip_of("manual", has_route=False) == "no-route"
    assert skip_of("manual", alerts_visible=False) == "alerts-disabled"


# -- issue 16: quiet after a message, reminders, cron ----------------------------------------------
QUIET = timedelta(minutes=10)


def test_quiet_after_message_defers_to_the_end_of_the_quiet_period() -> None:
    wrote = NOW - timedelta(minutes=3)
    decision = evaluate_gates(inputs(quiet_after_message=QUIET, last_activity_at=wrote))
    assert decision.skip == "quiet-after-message"
    assert decision.defer_until == wrote + QUIET  # re-timed, not dropped
    assert decision.passed == ("disabled", "quiet-hours")
    for reason in ("event", "hook:ci", "reminder:7", "interval"):
        assert skip_of(reason, quiet_after_message=QUIET, last_activity_at=wrote) == (
            "quiet-after-message"
        )
    assert skip_of("manual", quiet_after_message=QUIET, last_activity_at=wrote) is None
    long_ago = NOW - QUIET
    assert skip_of(quiet_after_message=QUIET, last_activity_at=long_ago) is None
    assert skip_of(quiet_after_message=None, last_activity_at=wrote) is None


def test_a_reminder_passes_quiet_hours_idle_and_the_file_gates() -> None:
    closed = ActiveHours("00:00", "00:00", "UTC")  # never open
    idle_since = NOW - timedelta(days=30)
    changes: dict[str, Any] = {
        "active_hours": closed,
        "last_activity_at": idle_since,
        "idle_pause": timedelta(days=14),
        "heartbeat_file_empty": True,
        "has_cadence_tasks": True,
    }
    assert skip_of("reminder:3", **changes) is None
    assert skip_of("interval", **changes) == "quiet-hours"
    assert skip_of("reminder:3", busy=True) == "busy"  # a busy thread still defers it


def test_a_cron_plan_without_an_interval_is_not_disabled() -> None:
    assert skip_of(interval=None, cron="0 9 * * *") is None
    assert skip_of(interval=None, cron=None) == "disabled"


def test_unchanged_skips_scheduled_beats_only() -> None:
    assert skip_of(unchanged=True, skip_unchanged=True) == "unchanged"
    assert skip_of("skill:digest", unchanged=True, skip_unchanged=True) == "unchanged"
    for reason in ("manual", "event", "hook:ci", "reminder:7", "retry"):
        assert skip_of(reason, unchanged=True, skip_unchanged=True) is None, reason
    assert skip_of(unchanged=True, skip_unchanged=False) is None
    assert skip_of(unchanged=False, skip_unchanged=True) is None
    cron = {"interval": None, "cron": "0 9 * * MON-FRI", "cron_timezone": "Europe/Berlin"}
    assert skip_of(unchanged=True, skip_unchanged=True, **cron) == "unchanged"  # SPEC 9.1
