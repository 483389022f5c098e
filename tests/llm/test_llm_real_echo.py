"""The echo rule (SPEC §9.3, `soulbeat.turn.echo`) against the real llama.cpp server, where
SmolLM2-135M, asked with tools, answers by copying the prompt back:

* real beats — a `TurnRunner` over a real SQLite store and a workspace with the default SOUL.md
  and a one-task HEARTBEAT.md, at a fixed (fake) time — whose answers copy a file heading, a
  task line and the time line, or the soul: each ends ``skipped`` / ``unreadable`` and nothing
  reaches the thread;
* beats of the shipped eval suite (`soulbeat.eval.run.run_scenario`) whose compact answer is
  mostly the prompt's own words.

Deterministic: the eval asks at temperature 0, so the server decodes greedily and the 135M model
gives the same answer to the same prompt on every run (measured: the same text in every run of
`soulbeat eval` on this machine, across sessions). Should a different CPU or a llama.cpp release
change what the model says, the assertion message shows the new answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from llama_support import LlamaServer
from soulbeat.agents.registry import AgentRegistry
from soulbeat.config.settings import Settings
from soulbeat.eval.run import run_scenario, scenario_request
from soulbeat.eval.scenarios import SCENARIOS
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.records import Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import BareExecutor, FakeClock
from soulbeat.turn.reply import Payload, read_reply
from soulbeat.turn.runner import TurnRunner

pytestmark = [pytest.mark.slow, pytest.mark.llama]

ECHOED = ("disk-full", "dry-run-outage")
"""Scenarios whose compact tools-mode answer from SmolLM2-135M is at least 80 % the prompt's
own word sequences (81 % and 91 % when measured)."""


@pytest.fixture
async def provider(llama_server: LlamaServer) -> AsyncIterator[OpenAICompatProvider]:
    made = OpenAICompatProvider(llama_server.url)
    yield made
    await made.aclose()


@pytest.mark.parametrize("name", ECHOED)
async def test_an_echoed_prompt_from_the_real_model_is_never_delivered(
    llama_server: LlamaServer, provider: OpenAICompatProvider, name: str
) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    request = scenario_request(scenario, llama_server.model, "tools", "compact")
    assert request.temperature == 0.0  # greedy decoding: the same answer every run
    answer = await provider.complete(request)
    reading = read_reply([Payload(answer.text, answer.reasoning, answer.tool_calls)])
    assert reading.kind == "alert", answer.text  # without the echo rule it would be delivered

    result = await run_scenario(provider, scenario, llama_server.model, "tools", "compact")
    assert (result.decided, result.outcome) == ("unreadable", "skipped (unreadable)"), (
        result.why,
        answer.text,
    )
    assert "echoes the prompt" in result.why and "in its own instructions" in result.why
    assert result.alert == ""


CHECKLIST = (
    "# HEARTBEAT.md\n\n## Checklist\n"
    "- Tell the person about outages, failed jobs and urgent requests.\n"
)
BEATS = [
    # (prompt profile, the person's new message, what the echo rule finds)
    ("compact", "heads up: the payments API returns 502 since 09:10", "name of a prompt file"),
    ("compact", "", "2 of its lines repeat the prompt's"),
    ("compact", "thanks, all good now", "in its own instructions"),
    ("full", "thanks, all good now", "name of a prompt file"),
]


async def real_beat(
    tmp: Path, url: str, model: str, profile: str, message: str
) -> tuple[str, str | None, str, list[str], list[str]]:
    """One beat of a fresh thread in tools mode; its outcome, skip reason, the model's first
    answer, the reply's problems and what reached the thread."""
    workspace = tmp / "ws"
    workspace.mkdir()
    (workspace / "HEARTBEAT.md").write_text(CHECKLIST, encoding="utf-8")
    soul = resources.files("soulbeat.workspace").joinpath("templates", "default", "SOUL.md")
    (workspace / "SOUL.md").write_text(soul.read_text("utf-8"), encoding="utf-8")
    clock = FakeClock(datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    store = SQLiteStore(tmp / "soulbeat.db")
    await store.open()
    provider = OpenAICompatProvider(url)
    try:
        settings = Settings(workspace=workspace, data_dir=tmp / "data", user_timezone="UTC")
        registry = AgentRegistry(settings, store, home=tmp / "home")
        await registry.sync()
        config = {
            "decision_mode": "tools",
            "prompt_profile": profile,
            "temperature": 0.0,  # greedy: the same answer every run
            "max_tokens": 400,
        }
        await store.add_thread(Thread("t1", "default", clock.now(), config=config))
        if message:
            await store.add_message("t1", "user", message, clock.now())
        await clock.advance(60)
        runner = TurnRunner(
            store, registry, provider, clock, default_model=model, executor=BareExecutor()
        )
        lease = timedelta(minutes=15)
        claim = await store.claim_wake("t1", "", "manual", clock.now(), "w1", lease)
        assert claim is not None
        plan = BeatPlan(
            thread_id="t1",
            skill="",
            enabled=True,
            interval=timedelta(minutes=30),
            user_timezone="UTC",
        )
        result = await runner.run(claim, plan, started_at=clock.now())
        sent = [m.text for m in await store.messages("t1") if m.role == "assistant"]
    finally:
        await provider.aclose()
        await store.close()
    answer = str(result.audit["rounds"][0]["text"])
    problems = list(result.audit["reply"]["problems"])
    return result.outcome, result.skip_reason, answer, problems, sent


@pytest.mark.parametrize(("profile", "message", "found"), BEATS)
async def test_a_real_beat_that_echoes_its_prompt_delivers_nothing(
    tmp_path: Path, llama_server: LlamaServer, profile: str, message: str, found: str
) -> None:
    outcome, reason, answer, problems, sent = await real_beat(
        tmp_path, llama_server.url, llama_server.model, profile, message
    )
    assert (outcome, reason) == ("skipped", "unreadable"), (answer, problems)
    assert any(found in problem for problem in problems), (answer, problems)
    assert sent == []
