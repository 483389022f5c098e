"""Malformed replies over the wire (issue 11 step 4): every body of the wrong shape ends as
``provider-bad-response`` (or ``provider-http-<status>`` for an error status) with the detail in
the message, never as an ``AttributeError`` or another exception of the client library."""

from __future__ import annotations

from typing import Any

import pytest

from soulbeat.errors import ProviderError, ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import ChatMessage, ChatRequest, LLMProvider
from soulbeat.testing.llm_server import FakeLLMServer

REQUEST = ChatRequest((ChatMessage("user", "anything new?"),), "fake-model", timeout=5.0)

OPENAI_BAD = [
    ({"choices": "nope"}, 'choices is text "nope", expected a non-empty list'),
    ({"choices": []}, "choices is a list [], expected a non-empty list"),
    ({"choices": [{}]}, "choices[0].message is missing, expected an object"),
    ({"choices": [{"message": "x"}]}, 'choices[0].message is text "x"'),
    ({"choices": [{"message": {"content": 5}}]}, "choices[0].message.content is a number 5"),
    (
        {"choices": [{"message": {"content": "hi", "tool_calls": "x"}}]},
        "choices[0].message.tool_calls is text",
    ),
    (
        {"choices": [{"message": {"tool_calls": [{"function": "x"}]}}]},
        "choices[0].message.tool_calls[0].function is text",
    ),
    (
        {"choices": [{"message": {"tool_calls": [{"function": {"name": 3}}]}}]},
        "choices[0].message.tool_calls[0].function.name is a number 3",
    ),
    ([], "the body is a list [], expected an object"),
    ("just text", "the body is text"),
]
OLLAMA_BAD = [
    ({"choices": "nope"}, "message is missing, expected an object"),
    ({"message": "nope"}, 'message is text "nope", expected an object'),
    ({"message": {"content": 5}}, "message.content is a number 5"),
    ({"message": {"content": "x", "tool_calls": "bad"}}, "message.tool_calls is text"),
    ([], "the body is a list [], expected an object"),
]


async def _failure(provider: LLMProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST)
    return caught.value


@pytest.mark.parametrize(("body", "detail"), OPENAI_BAD)
async def test_openai_bodies_of_the_wrong_shape(
    server: FakeLLMServer, connect: Any, kind: str, body: Any, detail: str
) -> None:
    if kind != "openai":
        pytest.skip("OpenAI shapes")
    server.on(body=body)
    error = await _failure(connect(server.url))
    assert isinstance(error, ProviderRequestError)
    assert error.reason == "provider-bad-response"
    assert detail in str(error)


@pytest.mark.parametrize(("body", "detail"), OLLAMA_BAD)
async def test_ollama_bodies_of_the_wrong_shape(
    server: FakeLLMServer, connect: Any, kind: str, body: Any, detail: str
) -> None:
    if kind != "ollama":
        pytest.skip("Ollama shapes")
    server.on(body=body)
    error = await _failure(connect(server.url))
    assert (type(error), error.reason) == (ProviderRequestError, "provider-bad-response")
    assert detail in str(error)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"error": {"message": "boom"}}, "(boom)"),
        ({"error": {"code": 3}}, '"code"'),
        ({"error": ["a", "b"]}, '"a"'),
        ("plain words", "plain words"),
        ({}, "{}"),
    ],
)
async def test_error_statuses_of_any_shape_keep_the_servers_words(
    provider: LLMProvider, server: FakeLLMServer, body: Any, detail: str
) -> None:
    server.on(body=body, status=500)
    error = await _failure(provider)
    assert isinstance(error, ProviderUnavailableError)
    assert error.reason == "provider-http-500"
    assert detail in str(error)


async def test_unusable_counts_and_names_are_left_to_the_estimate(
    provider: LLMProvider, server: FakeLLMServer, kind: str
) -> None:
    message = {"role": "assistant", "content": "HEARTBEAT_OK"}
    if kind == "openai":
        body: dict[str, Any] = {
            "choices": [{"message": message}],
            "usage": {"prompt_tokens": "many", "completion_tokens": -1},
            "model": 5,
        }
    else:
        body = {"message": message, "prompt_eval_count": True, "model": ""}
    server.on(body=body)
    completion = await provider.complete(REQUEST)
    assert completion.text == "HEARTBEAT_OK"
    assert completion.usage.estimated is True
    assert completion.model == "fake-model"  # the server named none: the one asked


async def test_a_429_carries_its_retry_after(provider: LLMProvider, server: FakeLLMServer) -> None:
    server.on(status=429, error="slow down", headers={"Retry-After": "7"})
    error = await _failure(provider)
    assert isinstance(error, ProviderUnavailableError)
    assert error.reason == "provider-http-429"
    assert error.retry_after == 7.0
