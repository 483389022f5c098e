"""Issue 15 item 5, SPEC §9.1's `unchanged` guard: a thread with nothing new costs no model call
— over a whole simulated day (FakeClock) — until something arrives; an agent with MCP tools is
never skipped as unchanged; manual wakes bypass; ``skip_unchanged = false`` turns it off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from mcp_support import Wired, beat_calls, stdio_server, wire

from soulbeat.store.records import BeatRecord
from soulbeat.testing import FakeClock, FakeLLMServer

DAY_OF_SLOTS = 48  # every 30 minutes


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:  # answers HEARTBEAT_OK to everything
        yield server


async def next_beat(wired: Wired, thread_id: str = "t1") -> BeatRecord:
    """Move the clock to the thread's next slot, run one scheduler pass, return that beat."""
    detail = await wired.service.thread_detail(thread_id)
    assert detail.main is not None and detail.main.next_due_at is not None
    await wired.clock.set(max(detail.main.next_due_at, wired.clock.now()))
    await wired.service.scheduler.run_due()
    return (await wired.service.history(thread_id, limit=1))[0]


async def test_a_quiet_day_costs_no_model_call(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(tmp_path, server, clock, {})
    try:
        first = await next_beat(wired)
        assert (first.reason, first.outcome) == ("interval", "ok-token")
        assert len(beat_calls(server)) == 1
        start = wired.clock.now()
        for _ in range(DAY_OF_SLOTS):
            beat = await next_beat(wired)
        assert wired.clock.now() - start >= timedelta(hours=23, minutes=30)
        assert len(beat_calls(server)) == 1  # not one model call all day
        assert (beat.outcome, beat.skip_reason) == ("skipped", "unchanged")
        assert beat.repeats == DAY_OF_SLOTS  # folded into one record (SPEC §9.1)
        assert beat.audit["guards_passed"][-1] == "no-tasks-due"

        store = wired.service.store
        await store.add_message("t1", "user", "are the backups done?", wired.clock.now())
        after = await next_beat(wired)
        assert after.outcome != "skipped" and len(beat_calls(server)) == 2
    finally:
        await wired.service.close()


async def test_an_edited_workspace_file_or_scratch_counts_as_new(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(tmp_path, server, clock, {})
    try:
        await next_beat(wired)
        assert (await next_beat(wired)).skip_reason == "unchanged"
        (wired.workspace / "USER.md").write_text("The person is on call this week.\n")
        assert (await next_beat(wired)).outcome == "ok-token"
        assert (await next_beat(wired)).skip_reason == "unchanged"
        await wired.service.store.write_scratch("t1", "a person's note", wired.clock.now())
        assert (await next_beat(wired)).outcome == "ok-token"
        assert len(beat_calls(server)) == 3
    finally:
        await wired.service.close()


async def test_with_mcp_tools_or_the_switch_off_the_beat_runs(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(tmp_path, server, clock, {"ci": stdio_server()})
    try:
        for _ in range(3):
            assert (await next_beat(wired)).outcome == "ok-token"
        assert len(beat_calls(server)) == 3  # the server's answers may have changed: ask
    finally:
        await wired.service.close()
    off = await wire(tmp_path / "off", server, clock, {}, heartbeat={"skip_unchanged": False})
    try:
        for _ in range(2):
            assert (await next_beat(off)).outcome == "ok-token"
        assert len(beat_calls(server)) == 5
        assert (await off.service.run_now("t1")).outcome == "ok-token"  # manual: always runs
    finally:
        await off.service.close()


async def test_mcp_servers_outside_the_allow_list_do_not_count(
    tmp_path: Path, server: FakeLLMServer, clock: FakeClock
) -> None:
    wired = await wire(
        tmp_path, server, clock, {"ci": stdio_server()}, heartbeat={"tools": ["current_time"]}
    )
    try:
        first = await next_beat(wired)
        assert first.audit["tools"]["servers"] == []  # not even started: no MCP tool allowed
        assert (await next_beat(wired)).skip_reason == "unchanged"
        assert len(beat_calls(server)) == 1
    finally:
        await wired.service.close()


async def test_a_schedule_that_never_finished_a_beat_runs_without_asking_the_store() -> None:
    from datetime import UTC, datetime
    from typing import Any, cast

    from soulbeat.schedule.plan import BeatPlan
    from soulbeat.schedule.unchanged import nothing_new
    from soulbeat.store.base import BeatStore
    from soulbeat.store.records import Schedule

    class Untouched:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the store was asked for {name}")

    plan = BeatPlan(
        thread_id="t1",
        skill="",
        enabled=True,
        interval=timedelta(minutes=30),
        skip_unchanged=True,
        workspace_digest="d",
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fresh = Schedule(thread_id="t1", skill="", next_due_at=now)
    assert not await nothing_new(cast(BeatStore, Untouched()), plan, "interval", now, fresh)
    ran = Schedule(thread_id="t1", skill="", next_due_at=now, last_finished_at=now)
    with pytest.raises(AssertionError, match="list_beats"):  # one that ran asks the store
        await nothing_new(cast(BeatStore, Untouched()), plan, "interval", now, ran)
