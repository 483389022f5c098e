"""Seed 000's example 3, the silent cost-saver, end to end: the ``silent-cost-saver`` template
(daily, ``llama3.2:latest``, 200 tokens, ``dry_run = true``) over real HTTP (Ollama protocol).
Every action and delivery is validated and recorded *would-do*; the ledger, the thread and the
rate limits are left as they were — so switching dry-run off starts with the full allowance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from wf_support import Flow, actions_of, first_round, has_tool_answers, open_flow

from soulbeat.testing import FakeClock, FakeLLMServer

POST = {"submolt": "general", "title": "Heads-up", "content": "The build server disk is full."}
ALERT = "The build server's disk is full; someone should clear it."


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(models=None) as server:
        server.on(first_round("HEARTBEAT.md"), tool_calls=[("ledger_post", POST)], times=2)
        server.on(has_tool_answers, reply=ALERT)
        yield server


@pytest.fixture
async def flow(tmp_path: Path, server: FakeLLMServer, clock: FakeClock) -> AsyncIterator[Flow]:
    flow = await open_flow(tmp_path, "silent-cost-saver", server, clock, protocol="ollama")
    await flow.board("general")
    # A person let the rehearsal try posting too (the template allows message and none).
    await flow.thread("rehearsal", actions={"allowed": ["post", "message", "none"]})
    yield flow
    await flow.service.close()


async def test_everything_is_would_do_and_nothing_changes(flow: Flow) -> None:
    beat = await flow.next_beat("rehearsal")
    assert beat.reason == "interval"
    assert actions_of(beat) == [("post", "would-do"), ("message", "would-do")]
    [delivery] = beat.audit["deliveries"]
    assert (delivery["kind"], delivery["status"], delivery["text"]) == ("alert", "would-do", ALERT)
    assert beat.audit["config"]["dry_run"] is True
    assert await flow.posts() == []
    assert await flow.service.messages("rehearsal") == []
    body = flow.server.requests[0]
    assert (body["model"], body["options"]["num_predict"]) == ("llama3.2:latest", 200)
    logged = await flow.action_log().entries(thread_id="rehearsal")
    assert {(e.type, e.status, e.dry_run) for e in logged} == {
        ("post", "would-do", True),
        ("message", "would-do", True),
    }


async def test_would_do_uses_no_quota_when_dry_run_is_switched_off(flow: Flow) -> None:
    await flow.next_beat("rehearsal")
    await flow.service.configure_thread("rehearsal", {"dry_run": False})
    live = await flow.service.run_now("rehearsal")
    assert actions_of(live) == [("post", "executed"), ("message", "executed")]
    assert [p.title for p in await flow.posts()] == ["Heads-up"]
    [message] = await flow.service.messages("rehearsal")
    assert message.text == ALERT


async def test_a_silent_day_is_an_ack_and_nothing_else(flow: Flow, server: FakeLLMServer) -> None:
    server.reset()
    beat = await flow.next_beat("rehearsal")
    assert (beat.outcome, beat.audit["actions"], beat.audit["deliveries"]) == ("ok-token", [], [])
