"""`discover_context_window`: the context window as Ollama and llama.cpp's server report it."""

from __future__ import annotations

import httpx
import pytest

from soulbeat.llm.context_window import (
    ContextWindow,
    discover_context_window,
    read_models_meta,
    read_ollama_show,
    read_props,
)
from soulbeat.testing.llm_server import FakeLLMServer, unused_local_url


def test_ollama_num_ctx_wins_over_the_trained_length() -> None:
    info = {"model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768}}
    assert read_ollama_show(info) == ContextWindow(32768, "ollama /api/show context_length")
    tuned = {**info, "parameters": "temperature 0.7\nnum_ctx                        4096"}
    assert read_ollama_show(tuned) == ContextWindow(4096, "ollama /api/show num_ctx")
    assert read_ollama_show({"model_info": {"qwen2.context_length": "big"}}) is None
    assert read_ollama_show([1, 2]) is None


def test_llama_cpp_props_and_models_meta() -> None:
    assert read_props({"default_generation_settings": {"n_ctx": 8192}}) == ContextWindow(
        8192, "llama.cpp /props n_ctx"
    )
    assert read_props({"n_ctx": 2048}) == ContextWindow(2048, "llama.cpp /props n_ctx")
    assert read_props({"n_ctx": True}) is None
    listed = {"data": [{"id": "m.gguf", "meta": {"n_ctx_train": 8192, "n_params": 134515008}}]}
    assert read_models_meta(listed, "other") == ContextWindow(8192, "/v1/models meta.n_ctx_train")
    two = {"data": [{"id": "a", "meta": {"n_ctx": 1}}, {"id": "b", "meta": {"n_ctx": 2}}]}
    assert read_models_meta(two, "b") == ContextWindow(2, "/v1/models meta.n_ctx")
    assert read_models_meta(two, "c") is None


@pytest.mark.parametrize("kind", ["ollama", "openai"])
async def test_the_fake_server_reports_its_window_and_says_nothing_without_one(kind: str) -> None:
    with FakeLLMServer(context_tokens=4096) as server:
        base = server.url if kind == "ollama" else f"{server.url}/v1"
        found = await discover_context_window(kind, base, "fake-model")
        assert found is not None and found.tokens == 4096
        server.context_tokens = None
        assert await discover_context_window(kind, base, "fake-model") is None
        if kind == "ollama":
            assert await discover_context_window(kind, base, "no-such-model") is None


async def test_a_server_that_is_down_raises_a_transport_error() -> None:
    with pytest.raises(httpx.TransportError):
        await discover_context_window("ollama", unused_local_url(), "m", seconds=2)
