"""The turn behind the real scheduler and planner: G4, G5, G8 (the guards in front of the model)
and a model server that is down for one thread while the scheduler carries on with the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from turn_support import MODEL, Bench, write_workspace

from soulbeat.agents.planner import WorkspacePlanner
from soulbeat.channels.thread import ThreadChannel
from soulbeat.llm.base import ChatRequest, Completion, LLMProvider
from soulbeat.llm.ollama import OllamaProvider
from soulbeat.schedule.scheduler import Scheduler
from soulbeat.store.records import BeatRecord
from soulbeat.testing.llm_server import FakeLLMServer, unused_local_url
from soulbeat.turn.runner import TurnRunner

EMPTY = "# HEARTBEAT.md\n\n## Tasks\n"
ALL_OFF = {"show_ok": False, "show_alerts": False, "use_indicator": False}


def scheduler_for(bench: Bench, runner: TurnRunner | None = None) -> Scheduler:
    registry = bench.registry()
    return Scheduler(
        bench.store,
        WorkspacePlanner(bench.store, registry),
        runner or bench.runner(),
        bench.clock,
        worker_id="w1",
        events=bench.events,
    )


async def beats(bench: Bench, thread_id: str) -> list[BeatRecord]:
    found = await bench.store.list_beats(thread_id=thread_id, limit=100)
    return sorted(found, key=lambda beat: beat.id)


async def to_next_slot(bench: Bench, scheduler: Scheduler) -> None:
    """Let the scheduler plan (no beat at start-up), then move the clock past every slot."""
    await scheduler.run_due()
    await bench.clock.advance(timedelta(minutes=31))


async def test_G4_empty_file_and_interval_wake_skip_without_a_model_call(bench: Bench) -> None:
    write_workspace(bench.workspace, {"HEARTBEAT.md": EMPTY})
    await bench.thread()
    scheduler = scheduler_for(bench)
    await to_next_slot(bench, scheduler)
    await scheduler.run_due()
    [beat] = await beats(bench, "t1")
    assert (beat.reason, beat.outcome, beat.skip_reason) == (
        "interval",
        "skipped",
        "empty-heartbeat-file",
    )
    assert bench.llm.requests == []


async def test_G5_the_same_file_on_a_manual_wake_runs_one_model_call(bench: Bench) -> None:
    write_workspace(bench.workspace, {"HEARTBEAT.md": EMPTY})
    await bench.thread()
    bench.llm.script("HEARTBEAT_OK")
    record = await scheduler_for(bench).run_now("t1")
    assert (record.reason, record.outcome) == ("manual", "ok-token")
    assert len(bench.llm.requests) == 1
    assert record.audit["guards_passed"][-1] == "alerts-disabled"


async def test_G8_all_visibility_flags_off_is_skipped_before_the_model(bench: Bench) -> None:
    await bench.thread(visibility=ALL_OFF)
    record = await scheduler_for(bench).run_now("t1")
    assert (record.outcome, record.skip_reason) == ("skipped", "alerts-disabled")
    assert bench.llm.requests == []


async def test_an_interval_beat_delivers_into_the_transcript(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script("Disk almost full")
    runner = bench.runner(thread_channel=_thread_channel(bench))
    scheduler = scheduler_for(bench, runner)
    await to_next_slot(bench, scheduler)
    await scheduler.run_due()
    [beat] = await beats(bench, "t1")
    assert (beat.outcome, beat.alert_text) == ("sent", "Disk almost full")
    messages = await bench.store.messages("t1")
    assert [(m.role, m.text, m.beat_id) for m in messages] == [
        ("assistant", "Disk almost full", beat.id)
    ]


def _thread_channel(bench: Bench) -> ThreadChannel:
    return ThreadChannel(bench.store, bench.clock, bench.events)


# -- a model server that is down --------------------------------------------------------------


class ByModel:
    """An `LLMProvider` that sends each request to the provider named for its model (so two
    threads of one scheduler can talk to two servers, one of them down)."""

    name = "by-model"
    base_url = "by-model://"

    def __init__(self, providers: dict[str, LLMProvider]) -> None:
        self.providers = providers

    async def complete(self, request: ChatRequest) -> Completion:
        return await self.providers[request.model].complete(request)

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()


@pytest.fixture
async def server() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(models=None) as fake:
        yield fake


async def test_a_dead_server_fails_its_thread_and_the_scheduler_goes_on(
    bench: Bench, server: FakeLLMServer
) -> None:
    down = unused_local_url()
    server.on(reply="Disk almost full")
    provider = ByModel({"down": OllamaProvider(down), MODEL: OllamaProvider(server.url)})
    await bench.thread("dead", model="down")
    await bench.thread("alive")
    runner = bench.runner(provider=provider, thread_channel=_thread_channel(bench))
    scheduler = scheduler_for(bench, runner)
    try:
        await to_next_slot(bench, scheduler)
        assert await scheduler.run_due() == 2
        [dead] = await beats(bench, "dead")
        [alive] = await beats(bench, "alive")
        assert dead.outcome == "failed"
        assert dead.error is not None and dead.error.startswith(f"provider-unreachable: {down}")
        assert dead.audit["failure"] == "provider-unreachable"
        assert (alive.outcome, alive.alert_text) == ("sent", "Disk almost full")
        # The next slot comes round for both: the dead thread is tried again, the scheduler lives.
        await bench.clock.advance(timedelta(minutes=30))
        assert await scheduler.run_due() == 2
        assert [b.outcome for b in await beats(bench, "dead")] == ["failed", "failed"]
        assert [b.outcome for b in await beats(bench, "alive")] == ["sent", "skipped"]
    finally:
        await provider.aclose()


async def test_queued_events_stay_queued_when_the_beat_failed(
    bench: Bench, server: FakeLLMServer
) -> None:
    provider = OllamaProvider(unused_local_url())
    await bench.thread()
    await bench.store.queue_event("t1", "deploy finished", bench.clock.now())
    try:
        record = await scheduler_for(bench, bench.runner(provider=provider)).run_now("t1")
    finally:
        await provider.aclose()
    assert record.outcome == "failed"
    assert record.audit["events_consumed"] == []
    assert [e.text for e in await bench.store.pending_events("t1")] == ["deploy finished"]
