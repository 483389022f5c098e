"""`OpenAICompatProvider` against a real OpenAI-compatible server, when one is named.

Set ``SOULBEAT_TEST_OPENAI_URL`` (e.g. ``http://127.0.0.1:8000/v1`` for ``python -m
llama_cpp.server``) to run it; ``SOULBEAT_TEST_OPENAI_MODEL`` picks the model, otherwise the first
one ``/models`` lists. Small models cannot follow the heartbeat contract, so only the wire is
checked: a reply comes back, with usage, a tool call parses, and structured output keeps the
answer inside the decision schema.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest

from soulbeat.llm.base import ChatMessage, ChatRequest, ToolSpec
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.turn.decision import decision_schema
from soulbeat.turn.modes import probe_mode

URL = os.environ.get("SOULBEAT_TEST_OPENAI_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not URL, reason="set SOULBEAT_TEST_OPENAI_URL to test a real server"),
]


@pytest.fixture
async def model() -> str:
    named = os.environ.get("SOULBEAT_TEST_OPENAI_MODEL")
    if named:
        return named
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{URL.rstrip('/')}/models", timeout=10)
    listed: str = response.json()["data"][0]["id"]
    return listed


async def test_a_real_server_answers(model: str) -> None:
    provider = OpenAICompatProvider(URL)
    request = ChatRequest(
        (ChatMessage("user", "Say hello in one word."),),
        model=model,
        temperature=0.0,
        max_tokens=16,
        timeout=120,
    )
    try:
        completion = await provider.complete(request)
    finally:
        await provider.aclose()

    assert completion.text.strip() or completion.tool_calls
    assert completion.usage.total_tokens > 0
    assert completion.provider == "openai"


async def test_a_real_server_calls_a_tool(model: str) -> None:
    tool = ToolSpec(
        "heartbeat_respond",
        "Report whether the user must be notified.",
        {
            "type": "object",
            "properties": {"notify": {"type": "boolean"}, "summary": {"type": "string"}},
            "required": ["notify", "summary"],
        },
    )
    provider = OpenAICompatProvider(URL)
    request = ChatRequest(
        (ChatMessage("user", "Nothing happened. Call heartbeat_respond with notify false."),),
        model=model,
        tools=(tool,),
        temperature=0.0,
        max_tokens=128,
        timeout=120,
    )
    try:
        completion = await provider.complete(request)
    finally:
        await provider.aclose()

    for call in completion.tool_calls:  # a small model may answer in text instead: that is data
        assert call.name
        assert call.problem is None or call.arguments == {}


async def test_a_real_server_answers_inside_the_decision_schema(model: str) -> None:
    """Structured output over the real wire: whatever the model, the grammar keeps it inside
    the decision schema (llama-cpp-python takes it as ``json_object`` + ``schema``)."""
    provider = OpenAICompatProvider(URL)
    request = ChatRequest(
        (
            ChatMessage(
                "system", "Answer with one JSON object: notify, message, summary, actions."
            ),
            ChatMessage("user", "Event: the database is down since 09:10. Decide."),
        ),
        model=model,
        temperature=0.0,
        max_tokens=300,
        timeout=180,
        response_schema=decision_schema(("message", "none")),
    )
    try:
        assert await probe_mode(provider, model) == "schema"
        completion = await provider.complete(request)
    finally:
        await provider.aclose()

    decision = json.loads(completion.text)
    assert isinstance(decision["notify"], bool)
    assert isinstance(decision["summary"], str) and decision["actions"] == []
