"""Providers by name: the built-ins, plug-ins registered by hand or through entry points."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from soulbeat.errors import ConfigError
from soulbeat.llm import registry
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.ollama import OllamaProvider
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.llm.registry import (
    create_provider,
    provider_names,
    register_provider,
    unregister_provider,
)
from soulbeat.testing.llm import ScriptedLLM


def plugin_factory(
    *, base_url: str = "plugin://default", api_key: str | None = None
) -> ScriptedLLM:
    """What a third-party package's entry point would name."""
    return ScriptedLLM(base_url=base_url)


@pytest.fixture(autouse=True)
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees the built-ins only, and leaves the registry as it found it."""
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_discovered", True)
    yield


async def test_builtins_are_registered() -> None:
    assert {"ollama", "openai"} <= set(provider_names())


async def test_builtins_are_created_by_name() -> None:
    ollama = create_provider("ollama", base_url="http://127.0.0.1:1")
    openai = create_provider("openai", base_url="http://127.0.0.1:2/v1", api_key="sk-test")
    try:
        assert isinstance(ollama, OllamaProvider)
        assert ollama.base_url == "http://127.0.0.1:1"
        assert isinstance(openai, OpenAICompatProvider)
        assert openai.base_url == "http://127.0.0.1:2/v1"
        assert "sk-test" not in repr(openai)
    finally:
        await ollama.aclose()
        await openai.aclose()


async def test_without_a_url_the_provider_default_applies() -> None:
    provider = create_provider("ollama")
    try:
        assert provider.base_url == "http://127.0.0.1:11434"
    finally:
        await provider.aclose()


def test_unknown_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        create_provider("gpt-local", base_url="http://127.0.0.1:1")

    assert caught.value.key == "provider"
    assert caught.value.value == "gpt-local"
    assert str(caught.value) == (
        "provider: 'gpt-local' is not a registered model provider (expected one of: ollama, openai)"
    )


def test_a_registered_factory_is_used() -> None:
    seen: dict[str, Any] = {}

    def factory(**options: Any) -> LLMProvider:
        seen.update(options)
        return ScriptedLLM(base_url=options["base_url"])

    register_provider("echo", factory)

    provider = create_provider("echo", base_url="echo://here", api_key="k", colour="blue")

    assert isinstance(provider, ScriptedLLM)
    assert provider.base_url == "echo://here"
    assert seen == {"base_url": "echo://here", "api_key": "k", "colour": "blue"}
    assert "echo" in provider_names()
    unregister_provider("echo")
    assert "echo" not in provider_names()


def test_a_taken_name_is_refused_unless_replaced() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_provider("ollama", plugin_factory)

    register_provider("ollama", plugin_factory, replace=True)

    assert isinstance(create_provider("ollama"), ScriptedLLM)


def test_a_factory_must_return_a_provider() -> None:
    register_provider("broken", lambda **options: object())  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="not a provider"):
        create_provider("broken")


def test_entry_points_are_discovered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    group = registry.ENTRY_POINT_GROUP
    points = [
        EntryPoint("myllm", f"{__name__}:plugin_factory", group),
        EntryPoint("ollama", f"{__name__}:plugin_factory", group),  # may not take a built-in
        EntryPoint("missing", "no_such_module_here:factory", group),
    ]
    calls: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        calls.append(group)
        return points

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry, "_discovered", False)

    names = provider_names()
    provider = create_provider("myllm", base_url="plugin://x")

    assert calls == [registry.ENTRY_POINT_GROUP]
    assert {"myllm", "missing", "ollama", "openai"} <= set(names)
    assert isinstance(provider, ScriptedLLM) and provider.base_url == "plugin://x"
    assert not isinstance(create_provider("ollama"), ScriptedLLM)
    with pytest.raises(ConfigError, match="'missing' from 'no_such_module_here:factory'"):
        create_provider("missing")
