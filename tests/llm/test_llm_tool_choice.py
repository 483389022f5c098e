"""`ChatRequest.tool_choice` on the wire: OpenAI's ``tool_choice``; Ollama has none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from soulbeat.llm.base import ChatMessage, ChatRequest, LLMProvider
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.turn.tools import tools_for


@pytest.mark.parametrize("choice", [None, "required", "heartbeat_respond"])
async def test_tool_choice_is_sent_as_each_protocol_allows(
    server: FakeLLMServer,
    connect: Callable[[str], LLMProvider],
    kind: str,
    choice: str | None,
) -> None:
    provider = connect(server.url)
    request = ChatRequest(
        (ChatMessage("user", "hi"),), "fake-model", tools_for(()), tool_choice=choice
    )
    await provider.complete(request)
    body = server.requests[-1]
    if kind == "ollama" or choice is None:
        assert "tool_choice" not in body
    elif choice == "required":
        assert body["tool_choice"] == "required"
    else:
        assert body["tool_choice"] == {"type": "function", "function": {"name": choice}}


async def test_no_tool_choice_without_tools(
    server: FakeLLMServer, connect: Callable[[str], LLMProvider]
) -> None:
    provider = connect(server.url)
    request = ChatRequest((ChatMessage("user", "hi"),), "fake-model", tool_choice="required")
    await provider.complete(request)
    assert "tool_choice" not in server.requests[-1]
