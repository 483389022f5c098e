"""Fixtures for the model-provider tests: a fake model server and providers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from llama_support import llama_server  # noqa: F401  (the session's real llama.cpp server)
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.ollama import OllamaProvider
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.testing.llm_server import FakeLLMServer

ProviderFactory = Callable[[str], LLMProvider]
_FACTORIES: dict[str, ProviderFactory] = {
    "ollama": OllamaProvider,
    "openai": OpenAICompatProvider,
}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeLLMServer]:
    """One fake server per module: stopping uvicorn costs ~0.15 s, starting it ~0.01 s."""
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def server(shared_server: FakeLLMServer) -> FakeLLMServer:
    """The fake model server on 127.0.0.1, with no rules and no recorded requests (it serves
    `fake-model` and `fake-fallback`, and answers HEARTBEAT_OK by default)."""
    shared_server.reset()
    return shared_server


@pytest.fixture(params=sorted(_FACTORIES))
def kind(request: pytest.FixtureRequest) -> str:
    """The provider under test: each wire test runs once per protocol."""
    name: str = request.param
    return name


@pytest.fixture
async def connect(kind: str) -> AsyncIterator[Callable[[str], LLMProvider]]:
    """`connect(server_url)` → a provider of the current `kind`, closed after the test."""
    made: list[LLMProvider] = []

    def make(root_url: str) -> LLMProvider:
        url = root_url if kind == "ollama" else f"{root_url}/v1"
        provider = _FACTORIES[kind](url)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
def provider(server: FakeLLMServer, connect: Callable[[str], LLMProvider]) -> LLMProvider:
    """A provider of the current `kind` talking to `server`."""
    return connect(server.url)
