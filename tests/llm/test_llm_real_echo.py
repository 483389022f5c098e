"""The echo rule (SPEC §9.3, `soulbeat.turn.echo`) against the real llama.cpp server: beats of the
shipped eval suite that SmolLM2-135M answers, asked with tools in the compact profile, by copying
the prompt's own instructions back. Built and read as the turn builds and reads a beat
(`soulbeat.eval.run.run_scenario`); nothing of them may reach a person.

Deterministic: the eval asks at temperature 0, so the server decodes greedily and the 135M model
gives the same answer to the same prompt on every run (measured: the same text in every run of
`soulbeat eval` on this machine, across sessions). Should a different CPU or a llama.cpp release
change what the model says, the assertion message shows the new answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from llama_support import LlamaServer
from soulbeat.eval.run import run_scenario, scenario_request
from soulbeat.eval.scenarios import SCENARIOS
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.turn.reply import Payload, read_reply

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
