"""Both providers on an in-memory transport: the `transport` hook, and failures a real server
cannot easily stage (a connection reset mid-request, a reply of the wrong shape)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from soulbeat.errors import ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import ChatMessage, ChatRequest
from soulbeat.llm.ollama import OllamaProvider
from soulbeat.llm.openai_compat import NO_API_KEY, OpenAICompatProvider, env_proxy

REQUEST = ChatRequest((ChatMessage("user", "hi"),), model="m", timeout=5)


def ollama_on(reply: Any) -> OllamaProvider:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(200, json=reply)

    return OllamaProvider("http://ollama.test", transport=httpx.MockTransport(handle))


def openai_on(reply: Any, seen: list[httpx.Request] | None = None) -> OpenAICompatProvider:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if isinstance(reply, Exception):
            raise reply
        return httpx.Response(200, json=reply)

    return OpenAICompatProvider("http://openai.test/v1", transport=httpx.MockTransport(handle))


async def test_ollama_transport_is_used() -> None:
    provider = ollama_on({"model": "m", "message": {"role": "assistant", "content": "hello"}})

    completion = await provider.complete(REQUEST)

    assert completion.text == "hello"
    assert completion.usage.estimated  # no eval counts in the reply
    await provider.aclose()


async def test_openai_transport_is_used_and_sends_the_placeholder_key() -> None:
    seen: list[httpx.Request] = []
    body = {"id": "x", "model": "m", "choices": [{"index": 0, "message": {"content": "hello"}}]}
    provider = openai_on(body, seen)

    completion = await provider.complete(REQUEST)

    assert completion.text == "hello"
    assert seen[0].headers["authorization"] == f"Bearer {NO_API_KEY}"
    await provider.aclose()


@pytest.mark.parametrize("make", [ollama_on, openai_on])
async def test_a_reset_connection_is_unreachable(make: Any) -> None:
    provider = make(httpx.ReadError("reset"))

    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.complete(REQUEST)

    assert str(caught.value) == f"provider-unreachable: {provider.base_url}"
    await provider.aclose()


@pytest.mark.parametrize("make", [ollama_on, openai_on])
async def test_json_of_another_shape_is_a_bad_response(make: Any) -> None:
    provider = make({"hello": "world"})

    with pytest.raises(ProviderRequestError) as caught:
        await provider.complete(REQUEST)

    assert caught.value.reason == "provider-bad-response"
    await provider.aclose()


async def test_the_api_key_is_never_shown() -> None:
    provider = OpenAICompatProvider("http://openai.test/v1", api_key="sk-secret")

    assert "sk-secret" not in repr(provider)
    await provider.aclose()


@pytest.mark.parametrize(
    ("environment", "url", "expected"),
    [
        ({}, "https://api.example/v1", None),
        (
            {"HTTPS_PROXY": "http://proxy.test:3128"},
            "https://api.example/v1",
            "http://proxy.test:3128",
        ),
        ({"HTTPS_PROXY": "http://proxy.test:3128"}, "http://127.0.0.1:8000/v1", None),
        ({"ALL_PROXY": "http://proxy.test:1"}, "http://models.test/v1", "http://proxy.test:1"),
        (
            {"HTTPS_PROXY": "http://proxy.test:3128", "NO_PROXY": "api.example"},
            "https://api.example/v1",
            None,
        ),
    ],
)
def test_the_environment_names_the_proxy_as_for_any_client(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], url: str, expected: str | None
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        for spelling in (name, name.lower()):
            monkeypatch.delenv(spelling, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert env_proxy(httpx.URL(url)) == expected
