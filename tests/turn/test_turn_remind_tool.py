"""``heartbeat_remind`` (issue 16): bounded, once per beat across a re-run, would-do when dry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from soulbeat.actions.executor import ActionResult
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.errors import ConfigError
from soulbeat.llm.base import ToolCall
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock
from soulbeat.turn.effects import BeatEffects
from soulbeat.turn.remind_tool import REMIND_TOOL, RemindTool, remind_tools

KEY = "t1@2026-06-01T10:00:00+00:00"


class Desk:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, str | None]] = []

    async def __call__(
        self, thread_id: str, text: str, at: str | None, after: str | None
    ) -> Mapping[str, Any]:
        self.calls.append((thread_id, text, at, after))
        if after == "1m":
            raise ConfigError('in: "1m" is sooner than reminder_min_delay = 5m', key="in")
        return {"id": len(self.calls), "due_at": "2026-06-01T12:00:00+00:00", "text": text}


async def _other(call: ToolCall) -> ActionResult | None:
    return None


def _call(args: dict[str, Any]) -> ToolCall:
    return ToolCall.from_mapping("c1", "heartbeat_remind", args)


async def test_a_re_run_reuses_the_recorded_reminder(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 10, tzinfo=UTC))
    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    desk = Desk()
    try:
        first = RemindTool(desk, "t1", False, await BeatEffects.load(store, clock, KEY))
        made = await first.wrap(_other)(_call({"text": "check", "in": "2h"}))
        assert made is not None and made.status == "executed" and "reminder 1" in made.detail
        again = RemindTool(desk, "t1", False, await BeatEffects.load(store, clock, KEY))
        replayed = await again.wrap(_other)(_call({"text": "check", "in": "2h"}))
        assert replayed is not None and replayed.status == "executed"
        assert len(desk.calls) == 1  # stored once, whatever happens to the beat
    finally:
        await store.close()


async def test_refusals_dry_runs_and_other_tools(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 10, tzinfo=UTC))
    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    desk = Desk()
    try:
        effects = await BeatEffects.load(store, clock, KEY)
        act = RemindTool(desk, "t1", False, effects).wrap(_other)
        soon = await act(_call({"text": "x", "in": "1m"}))
        assert soon is not None and soon.status == "rejected"
        assert "reminder_min_delay" in soon.detail
        bad = await act(_call({"text": 3}))
        assert bad is not None and bad.status == "rejected" and desk.calls[-1][3] == "1m"
        dry = RemindTool(desk, "t1", True, effects).wrap(_other)
        would = await dry(_call({"text": "x", "in": "2h"}))
        assert would is not None and would.status == "would-do" and len(desk.calls) == 1
        assert await act(ToolCall.from_mapping("c2", "ledger_vote", {})) is None
    finally:
        await store.close()


def test_the_tool_is_offered_only_with_tools_and_a_cap() -> None:
    assert remind_tools(HeartbeatConfig(), True) == (REMIND_TOOL,)
    assert remind_tools(HeartbeatConfig(), False) == ()
    assert remind_tools(HeartbeatConfig(max_pending_reminders=0), True) == ()
