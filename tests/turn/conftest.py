"""Fixtures of the turn tests: a `Bench` over a real SQLite store and a real workspace, and the
fake model server over real HTTP with a provider of each protocol (`server`, `connect`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from turn_support import CHECKLIST, SOUL, Bench, Connect, write_workspace

from soulbeat.llm.base import LLMProvider
from soulbeat.llm.ollama import OllamaProvider
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock
from soulbeat.testing.llm_server import FakeLLMServer


@pytest.fixture
async def bench(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bench]:
    """A workspace with SOUL.md and a one-item HEARTBEAT.md, an empty store, a ScriptedLLM."""
    store = SQLiteStore(tmp_path / "soulbeat.db")
    await store.open()
    workspace = write_workspace(tmp_path / "ws", {"SOUL.md": SOUL, "HEARTBEAT.md": CHECKLIST})
    yield Bench(tmp_path, clock, store, workspace)
    await store.close()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeLLMServer]:
    """One fake model server per test module (starting one per test costs more than the test)."""
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def server(shared_server: FakeLLMServer) -> Iterator[FakeLLMServer]:
    """The module's fake server with no rules and no recorded requests; a test may change how it
    answers structured output or which context window it reports, and gets the defaults back."""
    shared_server.reset()
    shared_server.structured_output = "honour"
    shared_server.context_tokens = None
    yield shared_server
    shared_server.structured_output = "honour"
    shared_server.context_tokens = None


@pytest.fixture(params=["ollama", "openai"])
async def connect(request: pytest.FixtureRequest) -> AsyncIterator[Connect]:
    """`connect(root_url)` → a provider of the protocol under test, closed afterwards."""
    made: list[LLMProvider] = []

    def make(root: str) -> LLMProvider:
        provider: LLMProvider
        if request.param == "ollama":
            provider = OllamaProvider(root)
        else:
            provider = OpenAICompatProvider(f"{root}/v1")
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()
