"""The pure body readers: think blocks, the model that answered, error words."""

from __future__ import annotations

from typing import Any

import pytest

from soulbeat.llm.replies import error_detail, read_ollama_reply, read_openai_reply, split_think


@pytest.mark.parametrize(
    ("text", "reasoning", "rest"),
    [
        ("HEARTBEAT_OK", None, "HEARTBEAT_OK"),
        ("<think>disk is fine</think>\nHEARTBEAT_OK", "disk is fine", "HEARTBEAT_OK"),
        ("<THINK>a</THINK>x<think>b</think>y", "a\n\nb", "xy"),
        ("<think>still thinking when cut off", "still thinking when cut off", ""),
        ("<think></think>Disk full", None, "Disk full"),
    ],
)
def test_think_blocks_are_split_out(text: str, reasoning: str | None, rest: str) -> None:
    assert split_think(text) == (reasoning, rest)


def test_openai_reply_reads_think_blocks_beside_the_reasoning_field() -> None:
    body = {
        "model": "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        "choices": [
            {
                "message": {
                    "content": "<think>nothing new</think>HEARTBEAT_OK",
                    "reasoning_content": "checked the disk",
                }
            }
        ],
        "usage": {"prompt_tokens": 900, "completion_tokens": 12},
    }
    parts = read_openai_reply(body)
    assert (parts.text, parts.reasoning) == ("HEARTBEAT_OK", "checked the disk\n\nnothing new")
    assert parts.model == "qwen2.5-1.5b-instruct-q4_k_m.gguf"
    assert (parts.prompt_tokens, parts.completion_tokens) == (900, 12)


def test_content_given_as_text_parts_is_joined() -> None:
    body = {
        "choices": [{"message": {"content": [{"type": "text", "text": "Disk "}, {"text": "full"}]}}]
    }
    assert read_openai_reply(body).text == "Disk full"


def test_ollama_arguments_may_be_text_or_an_object() -> None:
    body = {
        "model": "llama3.2",
        "message": {
            "content": "",
            "tool_calls": [
                {"function": {"name": "a", "arguments": {"x": 1}}},
                {"function": {"name": "b", "arguments": '{"y": 2}'}},
                {"function": {"name": "c", "arguments": "[1]"}},
            ],
        },
    }
    calls = read_ollama_reply(body).tool_calls
    assert [(c.id, c.name, dict(c.arguments), c.problem) for c in calls] == [
        ("call_0", "a", {"x": 1}, None),
        ("call_1", "b", {"y": 2}, None),
        ("call_2", "c", {}, "arguments are a JSON list, not an object"),
    ]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"error": {"message": "model not loaded"}}, "model not loaded"),
        ({"error": "out of memory"}, "out of memory"),
        ({"detail": "Not Found"}, "Not Found"),
        ({"error": {"code": 7}}, '{"code": 7}'),
        (None, "the text"),
    ],
)
def test_error_detail_finds_the_servers_words(body: Any, words: str) -> None:
    assert error_detail(body, "the text") == words
