"""Schema mode's ``calls`` field (`soulbeat.turn.schema_calls`) against the real llama.cpp server:
the decision schema that offers every tool a beat can call — ``heartbeat_remind``, the built-in
read tools, the MEMORY.md tools — must compile into the server's grammar in both profiles, and the
answer must stay inside it. (A bounded repetition or a 2,000-character cap in it made
llama-cpp-python fail to parse the grammar and drop the connection.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from llama_support import LlamaServer
from soulbeat.llm.base import ChatMessage, ChatRequest
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.tools.builtin import SPECS as BUILTIN_SPECS
from soulbeat.tools.memory_tools import SPECS as MEMORY_SPECS
from soulbeat.turn.decision import parse_decision
from soulbeat.turn.offer import offered_schema
from soulbeat.turn.remind_tool import REMIND_TOOL
from soulbeat.turn.schema_calls import SchemaCalls, calls_section

pytestmark = [pytest.mark.slow, pytest.mark.llama]


@pytest.fixture
async def provider(llama_server: LlamaServer) -> AsyncIterator[OpenAICompatProvider]:
    made = OpenAICompatProvider(llama_server.url)
    yield made
    await made.aclose()


@pytest.mark.parametrize("profile", ["full", "compact"])
async def test_the_decision_schema_with_calls_compiles_and_is_honoured(
    llama_server: LlamaServer, provider: OpenAICompatProvider, profile: str
) -> None:
    tools = (REMIND_TOOL, *BUILTIN_SPECS.values(), *MEMORY_SPECS.values())
    schema = offered_schema(("message", "none"), profile, calls=tools)  # type: ignore[arg-type]
    rules = calls_section(tools, profile).text  # type: ignore[arg-type]
    request = ChatRequest(
        (
            ChatMessage("system", f"Answer with one JSON object.\n{rules}"),
            ChatMessage("user", "Read notes/todo.md with read_file before you decide."),
        ),
        model=llama_server.model,
        temperature=0.0,
        max_tokens=600,
        timeout=180,
        response_schema=schema,
    )
    completion = await provider.complete(request)
    assert completion.raw["choices"][0]["finish_reason"] == "stop", completion.text
    value = json.loads(completion.text)
    decision, problems = parse_decision(value)
    assert decision is not None, problems
    names = {spec.name for spec in tools}
    assert {call.name for call in SchemaCalls(names).calls(completion, 1)} <= names
