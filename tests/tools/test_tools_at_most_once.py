"""An MCP call happens at most once per slot (SPEC §9.4): a call begun by an attempt that died
before its answer was recorded is not made again by the re-run; a recorded answer is reused."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.llm.base import ToolCall, ToolSpec
from soulbeat.store.records import EffectRef
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing.clock import FakeClock
from soulbeat.tools.base import Tool, ToolAnswer
from soulbeat.tools.registry import LOST_ANSWER, BeatTools
from soulbeat.turn.effects import BeatEffects

KEY = "t1@2026-01-01T00:00:00+00:00"


class Outside:
    """An MCP tool that acts on the world: it counts the calls that reached it."""

    def __init__(self) -> None:
        self.calls = 0

    async def run(self, arguments: Mapping[str, Any]) -> ToolAnswer:
        self.calls += 1
        return ToolAnswer(f"ticket {self.calls} opened")

    def tool(self) -> Tool:
        spec = ToolSpec("desk__open_ticket", "Open a ticket.", {"type": "object"})
        return Tool(spec, "desk.open_ticket", "mcp:desk", self.run, True, True)


async def tools_of(store: SQLiteStore, clock: FakeClock, outside: Outside) -> BeatTools:
    effects = await BeatEffects.load(store, clock, KEY)

    async def finish(ref: Any, data: Mapping[str, Any]) -> None:
        await effects.finish(ref, data)

    return BeatTools(
        [outside.tool()],
        HeartbeatConfig(),
        next_ref=effects.next,
        reuse=effects.reuse,
        finish=finish,
        start=effects.start,
        unknown=effects.unknown,
    )


def open_ticket() -> ToolCall:
    return ToolCall("c1", "desk__open_ticket", {}, "{}")


async def test_a_call_begun_before_a_crash_is_not_made_again(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "soulbeat.db")
    await store.open()
    try:
        outside = Outside()
        # the beat's first effect is the call; the attempt died right after marking it begun
        await store.start_effect(EffectRef(KEY, 0, "tool"), clock.now())
        rerun = await tools_of(store, clock, outside)
        answer = await rerun.call(open_ticket())
        assert outside.calls == 0 and answer is not None and LOST_ANSWER in answer
        assert rerun.calls[0]["outcome_unknown"] is True and rerun.calls[0]["ran"] is False
        again = await tools_of(store, clock, outside)  # a third attempt: still not made
        assert LOST_ANSWER in (await again.call(open_ticket()) or "")
        assert outside.calls == 0
    finally:
        await store.close()


async def test_a_recorded_answer_is_reused_and_a_fresh_call_is_made_once(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "soulbeat.db")
    await store.open()
    try:
        outside = Outside()
        first = await tools_of(store, clock, outside)
        assert "ticket 1 opened" in (await first.call(open_ticket()) or "")
        rerun = await tools_of(store, clock, outside)
        assert "ticket 1 opened" in (await rerun.call(open_ticket()) or "")
        assert outside.calls == 1 and rerun.calls[0].get("reused") is True
    finally:
        await store.close()
