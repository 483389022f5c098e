"""The model client is made, and its library imported, on the first model call (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from soulbeat.llm.base import ChatMessage, ChatRequest, LLMProvider
from soulbeat.llm.lazy import LazyProvider
from soulbeat.testing.llm import ScriptedLLM

REQUEST = ChatRequest((ChatMessage("user", "anything new?"),), model="m")


async def test_the_provider_is_made_on_the_first_call_only() -> None:
    made: list[ScriptedLLM] = []

    def make() -> LLMProvider:
        made.append(ScriptedLLM("HEARTBEAT_OK", "again", base_url="http://127.0.0.1:9/v1"))
        return made[0]

    lazy = LazyProvider(make, name="openai", base_url="http://127.0.0.1:9/v1")
    assert (lazy.name, lazy.base_url, lazy.made) == ("openai", "http://127.0.0.1:9/v1", False)
    await lazy.aclose()  # nothing made: nothing to close, nothing made by closing
    assert made == []
    assert (await lazy.complete(REQUEST)).text == "HEARTBEAT_OK"
    assert (await lazy.complete(REQUEST)).text == "again"
    assert len(made) == 1 and lazy.made
    assert lazy.structured_output is False  # the scripted double does not say it can


def test_a_built_service_has_not_imported_the_model_client(tmp_path: Path) -> None:
    """`build()` for the OpenAI protocol leaves the provider's module (and the HTTP client it
    makes) unimported until a beat asks the model (a fresh interpreter, so other tests' imports
    do not count)."""
    code = f"""
import sys
from soulbeat.config.settings import Settings
from soulbeat.wiring import build
settings = Settings(data_dir={str(tmp_path / "data")!r}, workspace={str(tmp_path / "ws")!r},
                    llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1")
service = build(settings)
print("soulbeat.llm.openai_compat" in sys.modules, service.provider.name, service.provider.base_url)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "openai", "http://127.0.0.1:9/v1"]
