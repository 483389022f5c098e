"""Model slots (issue 12): a limit on model calls in flight per model server, not on beats."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from soulbeat.config.loading import load_settings
from soulbeat.config.problems import InvalidConfigError
from soulbeat.llm.base import ChatMessage, ChatRequest, Completion
from soulbeat.llm.slots import HOSTED_LIMIT, LOCAL_LIMIT, ModelSlots, SlottedProvider, default_limit
from soulbeat.testing.llm import ScriptedLLM
from soulbeat.wiring import beats_in_flight, model_slots

REQUEST = ChatRequest((ChatMessage("user", "anything new?"),), model="m")


class HeldLLM(ScriptedLLM):
    """Answers ``HEARTBEAT_OK`` once released; counts the calls inside it at once."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url=base_url)
        self.gate = asyncio.Event()
        self.inside = 0
        self.most = 0

    async def complete(self, request: ChatRequest) -> Completion:
        self.inside += 1
        self.most = max(self.most, self.inside)
        try:
            await self.gate.wait()
            self.script("HEARTBEAT_OK")
            return await super().complete(request)
        finally:
            self.inside -= 1


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("http://127.0.0.1:11434", LOCAL_LIMIT),
        ("http://localhost:8080/v1/", LOCAL_LIMIT),
        ("http://[::1]:8080", LOCAL_LIMIT),
        ("https://api.example.com/v1", HOSTED_LIMIT),
        ("http://10.0.0.7:11434", HOSTED_LIMIT),
    ],
)
def test_the_default_limit_depends_on_where_the_server_is(url: str, limit: int) -> None:
    assert default_limit(url) == limit
    assert ModelSlots().limit(url) == limit


async def test_calls_beyond_the_limit_wait_for_a_slot_of_their_server() -> None:
    slots = ModelSlots({"http://127.0.0.1:9/": 2})
    local = HeldLLM("http://127.0.0.1:9")
    hosted = HeldLLM("https://api.example.com")
    calls = [asyncio.create_task(SlottedProvider(local, slots).complete(REQUEST)) for _ in range(5)]
    other = asyncio.create_task(SlottedProvider(hosted, slots).complete(REQUEST))
    await settle()
    assert (local.inside, slots.in_flight(local.base_url), slots.waiting(local.base_url)) == (
        2,
        2,
        3,
    )
    assert hosted.inside == 1  # another server: its own slots
    local.gate.set()
    hosted.gate.set()
    answers = await asyncio.gather(*calls, other)
    assert [a.text for a in answers] == ["HEARTBEAT_OK"] * 6
    assert local.most == 2
    assert (slots.in_flight(local.base_url), slots.waiting(local.base_url)) == (0, 0)


async def test_a_failing_call_gives_its_slot_back() -> None:
    slots = ModelSlots({"scripted://llm": 1})
    provider = SlottedProvider(ScriptedLLM(), slots)  # an empty script raises
    with pytest.raises(AssertionError):
        await provider.complete(REQUEST)
    assert slots.in_flight("scripted://llm") == 0
    assert (await SlottedProvider(ScriptedLLM("fine"), slots).complete(REQUEST)).text == "fine"


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ModelSlots({"http://127.0.0.1:9": 0})


def test_settings_set_the_limit_and_the_beats_in_flight_follow_it(tmp_path: Path) -> None:
    env = {"SOULBEAT_LLM_BASE_URL": "http://127.0.0.1:11434", "SOULBEAT_DATA_DIR": str(tmp_path)}
    default = load_settings(env=env)
    assert (default.llm_max_in_flight, default.max_concurrent_beats) == (None, None)
    assert beats_in_flight(default, model_slots(default)) == 2 * LOCAL_LIMIT

    hosted = load_settings(env={**env, "SOULBEAT_LLM_MAX_IN_FLIGHT": "200"})
    slots = model_slots(hosted)
    assert slots.limit("http://127.0.0.1:11434/") == 200
    assert beats_in_flight(hosted, slots) == 400

    pinned = load_settings(env={**env, "SOULBEAT_MAX_CONCURRENT_BEATS": "3"})
    assert beats_in_flight(pinned, model_slots(pinned)) == 3


def test_a_bad_limit_names_the_key(tmp_path: Path) -> None:
    env = {"SOULBEAT_LLM_MAX_IN_FLIGHT": "0", "SOULBEAT_DATA_DIR": str(tmp_path)}
    with pytest.raises(InvalidConfigError, match="SOULBEAT_LLM_MAX_IN_FLIGHT: 0 is too small"):
        load_settings(env=env)
