"""`openai_wire.chat_body`: the OpenAI chat-completions body built from a `ChatRequest`, as a
pure function (what reaches a real server is covered by the wire tests against the fake)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from soulbeat.llm.base import ChatMessage, ChatRequest, ToolCall, ToolSpec
from soulbeat.llm.openai_wire import chat_body, encode, refuses_json_schema, wire_message

TOOL = ToolSpec("heartbeat_respond", "Report.", {"type": "object", "properties": {}})
SCHEMA = {"type": "object", "properties": {"notify": {"type": "boolean"}}}


def request(**settings: Any) -> ChatRequest:
    return ChatRequest((ChatMessage("user", "hi"),), model="m", **settings)


def test_unset_settings_are_left_out() -> None:
    assert chat_body(request(timeout=3.0, origin="t1")) == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        (None, None),
        ("required", "required"),
        ("heartbeat_respond", {"type": "function", "function": {"name": "heartbeat_respond"}}),
    ],
)
def test_tools_and_tool_choice(choice: str | None, sent: Any) -> None:
    body = chat_body(request(tools=(TOOL,), tool_choice=choice))

    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": TOOL.name,
                "description": "Report.",
                "parameters": TOOL.parameters,
            },
        }
    ]
    assert body.get("tool_choice") == sent


def test_tool_choice_without_tools_is_not_sent() -> None:
    assert "tool_choice" not in chat_body(request(tool_choice="required"))


def test_sampling_settings() -> None:
    body = chat_body(request(temperature=0.0, max_tokens=12))

    assert (body["temperature"], body["max_tokens"]) == (0.0, 12)


@pytest.mark.parametrize(
    ("flavour", "sent"),
    [
        (
            "json_schema",
            {
                "type": "json_schema",
                "json_schema": {"name": "heartbeat_decision", "schema": SCHEMA},
            },
        ),
        ("json_object", {"type": "json_object", "schema": SCHEMA}),
    ],
)
def test_schema_flavours(flavour: Any, sent: dict[str, Any]) -> None:
    assert chat_body(request(response_schema=SCHEMA), flavour)["response_format"] == sent


def test_assistant_tool_calls_replay_their_text_or_the_parsed_form() -> None:
    good = ToolCall.from_json("c1", "f", '{"a": 1}')
    broken = ToolCall.from_json("c2", "g", "{oops")
    message = ChatMessage("assistant", "", tool_calls=(good, broken))

    wired = wire_message(message)

    assert wired["content"] is None
    assert [c["function"]["arguments"] for c in wired["tool_calls"]] == ['{"a": 1}', "{}"]
    assert wired["tool_calls"][0] == {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a": 1}'},
    }


def test_tool_answers_carry_their_call_id() -> None:
    assert wire_message(ChatMessage("tool", "ok", tool_call_id="c1", name="f")) == {
        "role": "tool",
        "content": "ok",
        "tool_call_id": "c1",
    }


def test_encode_keeps_text_as_written() -> None:
    body = {"messages": [{"content": "grüß dich ✓"}]}

    assert json.loads(encode(body)) == body
    assert "✓".encode() in encode(body)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("response_format: json_schema is not supported", True),
        ("unknown field response_format", False),
        ("model not found", False),
    ],
)
def test_a_refusal_of_json_schema_is_recognised(words: str, expected: bool) -> None:
    assert refuses_json_schema(words) is expected
