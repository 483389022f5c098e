"""`probe_model_server` against the fake model server over real HTTP on 127.0.0.1: reachable,
model present, tool calls; and the one line it gives when something is wrong."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from soulbeat.llm.probe import probe_model_server
from soulbeat.testing import FakeLLMServer
from soulbeat.testing.llm_server import unused_local_url


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(models=("fake-model", "llama3.2:latest")) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _clean(server: FakeLLMServer) -> None:
    server.reset()


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_a_server_with_the_model_is_fine(server: FakeLLMServer, provider: str) -> None:
    url = server.ollama_url if provider == "ollama" else server.openai_url
    found = probe_model_server(provider, url, "fake-model")
    assert (found.reachable, found.model_present, found.problem) == (True, True, None)
    assert set(found.models) == {"fake-model", "llama3.2:latest"}
    assert found.tool_calls is None  # not asked for
    assert server.requests == []  # listing models is not a chat


def test_an_untagged_ollama_name_means_latest(server: FakeLLMServer) -> None:
    assert probe_model_server("ollama", server.ollama_url, "llama3.2").model_present is True


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_a_missing_model_says_which_there_are_and_what_to_set(
    server: FakeLLMServer, provider: str
) -> None:
    url = server.ollama_url if provider == "ollama" else server.openai_url
    found = probe_model_server(provider, url, "qwen9")
    assert found.reachable and found.model_present is False
    assert found.problem is not None
    assert "no model 'qwen9'" in found.problem and "fake-model" in found.problem
    assert "SOULBEAT_LLM_MODEL" in found.problem
    assert ("ollama pull qwen9" in found.problem) is (provider == "ollama")


def test_a_model_listed_by_its_file_gets_the_alias_hint() -> None:
    with FakeLLMServer(models=("/models/qwen2.5-1.5b-instruct-q4_k_m.gguf",)) as fake:
        found = probe_model_server("openai", fake.openai_url, "qwen2.5-1.5b-instruct")
    assert found.problem is not None and found.model_present is False
    assert found.problem.endswith("start it with --model_alias qwen2.5-1.5b-instruct")
    assert "\n" not in found.problem


def test_a_model_listed_by_name_gets_no_alias_hint(server: FakeLLMServer) -> None:
    found = probe_model_server("openai", server.openai_url, "qwen9")
    assert found.problem is not None and "--model_alias" not in found.problem


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_a_dead_server_is_one_line_with_what_to_set(provider: str) -> None:
    url = unused_local_url()
    found = probe_model_server(provider, url, "fake-model", timeout=2)
    assert not found.reachable and found.problem is not None
    assert found.problem.startswith(f"the model server at {url} does not answer")
    assert "SOULBEAT_LLM_BASE_URL" in found.problem and "\n" not in found.problem


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_tool_calls_are_checked_when_asked(server: FakeLLMServer, provider: str) -> None:
    url = server.ollama_url if provider == "ollama" else server.openai_url
    server.on("ping", tool_calls=[("ping", {})], times=1)
    assert probe_model_server(provider, url, "fake-model", check_tools=True).tool_calls is True
    server.on(None, reply="I cannot call tools.")
    assert probe_model_server(provider, url, "fake-model", check_tools=True).tool_calls is False
    [first, *_] = server.requests
    assert first["tools"][0]["function"]["name"] == "ping"


@pytest.mark.slow
def test_the_fake_model_program_serves_both_protocols_until_sigterm() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    args = ["-m", "soulbeat.testing.fake_model", "--port", str(port), "--on", "disk=Disk full."]
    proc = subprocess.Popen([sys.executable, *args], stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert "fake model serving" in proc.stderr.readline()
        url = f"http://127.0.0.1:{port}"
        assert probe_model_server("ollama", url, "llama3.2:latest").problem is None
        body = {"model": "fake-model", "messages": [{"role": "user", "content": "check the disk"}]}
        reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10).json()
        assert reply["choices"][0]["message"]["content"] == "Disk full."
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
