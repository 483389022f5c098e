"""Prompt profiles (issue 14 item 3): full and compact prompts, and ``auto`` choosing between them
from the model's context window, which the fake server reports as Ollama and llama.cpp do."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError
from turn_support import Bench

from soulbeat.channels.thread import ThreadChannel
from soulbeat.config import ConfigError, effective_config, load_settings
from soulbeat.config.heartbeat import DEFAULT_HEARTBEAT_PROMPT, HeartbeatConfig
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.context_window import ContextWindow
from soulbeat.llm.ollama import OllamaProvider
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.turn.context import ContextBlock, TurnContext
from soulbeat.turn.profile import (
    COMPACT_PROMPT,
    PromptProfile,
    PromptProfiles,
    choose_profile,
    compact_instructions,
    minimal_tools,
    soul_digest,
)
from soulbeat.turn.prompt import Prompt, PromptSection, build_prompt
from soulbeat.turn.runner import TurnRunner
from soulbeat.turn.tools import tools_for
from soulbeat.workspace.soul import Soul

LONG_SOUL = (
    "---\nname: soul\n---\n\n# SOUL.md — who you are\n\n"
    "_You are not a help desk. You are someone with a point of view._\n\n"
    "## Core truths\n\n**Help for real, not for show.**\nDrop the warm-up lines and do the "
    "useful thing.\n\n**Hold opinions.** You may disagree and prefer one option over another. "
    "You find things dull or delightful, and you say so when it helps.\n\n## Voice\n\n"
    "Be brief when brief is enough. " + "Say more only when it counts. " * 20
)
HEARTBEAT_MD = (
    "# HEARTBEAT.md\n\n<!-- what the agent looks at -->\n\n\n## Checklist\n"
    "- Tell the person about outages.\n\n\n\n- Nothing else.\n"
)


def soul(text: str) -> Soul:
    return Soul("soul", "/w/SOUL.md", text, "workspace")


def prompt_of(
    profile: PromptProfile, *, mode: str = "tools", sections: tuple[PromptSection, ...] = ()
) -> Prompt:
    context = TurnContext(
        mode="light",
        blocks=(ContextBlock("messages", "New messages", "user: the API is down"),),
        system_files=(),
        event_ids=(),
        message_count=1,
    )
    return build_prompt(
        prompt=DEFAULT_HEARTBEAT_PROMPT,
        instructions=ContextBlock("instructions", "Instructions (HEARTBEAT.md)", HEARTBEAT_MD),
        context=context,
        soul=soul(LONG_SOUL),
        time_line="Current time: now",
        tools_offered=mode == "tools",
        mode=mode,
        profile=profile,
        sections=sections,
    )


def test_auto_is_compact_only_for_a_known_small_window() -> None:
    assert choose_profile("auto", 8192) == "compact"
    assert choose_profile("auto", 32_768) == "full"
    assert choose_profile("auto", None) == "full"
    assert choose_profile("compact", 1_000_000) == "compact"
    assert choose_profile("full", 512) == "full"


def test_the_soul_digest_prefers_a_heartbeat_text_then_a_heartbeat_section_then_prose() -> None:
    given = soul("---\nheartbeat: Alert only for outages.\n---\n# Me\nLong prose.\n")
    assert soul_digest(given) == "Alert only for outages."
    section = soul(
        "# Me\nI am chatty.\n\n## On heartbeats\nStay quiet unless money is lost.\n\n"
        "### Detail\nEven at night.\n\n## Voice\nWarm.\n"
    )
    assert soul_digest(section) == "Stay quiet unless money is lost.\n\n### Detail\nEven at night."
    digest = soul_digest(soul(LONG_SOUL), limit=200)
    assert digest.startswith("You are not a help desk. You are someone with a point of view.")
    assert len(digest) <= 200 and digest.endswith(".")
    assert "#" not in digest and "**" not in digest and "_You" not in digest


def test_compact_instructions_drop_comments_the_title_and_blank_runs() -> None:
    text = compact_instructions(HEARTBEAT_MD)
    assert text == "## Checklist\n- Tell the person about outages.\n\n- Nothing else."


def test_minimal_tools_keep_what_constrains_a_call_and_nothing_else() -> None:
    full = tools_for(("message", "none", "vote", "post"))
    small = minimal_tools(full)
    assert [t.name for t in small] == [t.name for t in full]
    respond, vote, post = small[0], small[2], small[1]
    assert respond.parameters["required"] == ["notify", "summary"]
    assert respond.parameters["properties"]["notify"] == {"type": "boolean"}
    assert vote.parameters["properties"]["direction"] == {"type": "string", "enum": ["up", "down"]}
    assert "maxLength" not in json.dumps(post.parameters)
    assert '"description"' not in json.dumps([t.parameters for t in small])
    assert respond.description.endswith(".") and respond.description.count(".") == 1
    weight = sum(len(t.description) + len(json.dumps(t.parameters)) for t in small)
    assert weight < 0.7 * sum(len(t.description) + len(json.dumps(t.parameters)) for t in full)


@pytest.mark.parametrize("mode", ["tools", "schema", "text"])
def test_the_compact_prompt_is_much_smaller_and_keeps_what_decides(mode: str) -> None:
    full, compact = prompt_of("full", mode=mode), prompt_of("compact", mode=mode)
    assert compact.profile == "compact" and full.profile == "full"
    assert compact.estimated_tokens < 0.6 * full.estimated_tokens
    assert compact.parts["rules"] < full.parts["rules"]
    assert compact.parts["soul"] < full.parts["soul"]
    assert compact.parts["context"] == full.parts["context"]  # the data is never cut
    assert "the API is down" in compact.user and "Tell the person about outages" in compact.user
    assert COMPACT_PROMPT in compact.user and DEFAULT_HEARTBEAT_PROMPT not in compact.user
    assert "<!--" not in compact.user and "<untrusted-data>" in compact.system
    if mode == "schema":
        assert "notify" in compact.system and "HEARTBEAT_OK" not in compact.system
    else:
        assert "HEARTBEAT_OK" in compact.system
    assert ("heartbeat_respond" in compact.system) == (mode == "tools")


def test_parts_count_every_part_and_added_sections_go_where_they_say() -> None:
    scratch = PromptSection("scratch", "# Scratch\nremember the invoice", "system")
    notes = PromptSection("notes", "# Notes\nthe backup ran", "user")
    built = prompt_of("full", sections=(scratch, notes))
    assert set(built.parts) == {
        "rules",
        "soul",
        "files",
        "prompt",
        "tasks",
        "context",
        "time",
        "scratch",
        "notes",
    }
    assert built.system.index("<soul>") < built.system.index("# Scratch")
    assert built.user.index("the API is down") < built.user.index("# Notes")
    assert built.user.endswith("Current time: now")
    assert built.parts["files"] == 0 and built.parts["scratch"] > 0


# -- auto over the wire ---------------------------------------------------------------------------


@pytest.fixture(params=["ollama", "openai"])
async def provider(
    request: pytest.FixtureRequest, server: FakeLLMServer
) -> AsyncIterator[LLMProvider]:
    made: LLMProvider = (
        OllamaProvider(server.url)
        if request.param == "ollama"
        else OpenAICompatProvider(f"{server.url}/v1")
    )
    yield made
    await made.aclose()


def wired(bench: Bench, provider: LLMProvider, profiles: PromptProfiles) -> TurnRunner:
    runner = bench.runner(
        provider=provider, thread_channel=ThreadChannel(bench.store, bench.clock, bench.events)
    )
    runner._profiles = profiles
    return runner


@pytest.mark.parametrize(("window", "expected"), [(4096, "compact"), (131_072, "full")])
async def test_auto_picks_the_profile_from_the_window_the_server_reports(
    bench: Bench, server: FakeLLMServer, provider: LLMProvider, window: int, expected: str
) -> None:
    server.context_tokens = window
    await bench.thread(decision_mode="tools")
    asked: list[str] = []
    profiles = PromptProfiles(lambda *args: _counting(asked, args))
    for _ in range(2):
        result, _ = await bench.run(runner=wired(bench, provider, profiles))
        assert result.audit["prompt"]["profile"] == expected
        assert result.audit["prompt"]["context_window"]["tokens"] == window
    assert len(asked) == 1  # asked once, remembered
    body = server.requests[-1]
    tools = json.dumps(body["tools"])
    assert ('"description": "Whether' in tools) == (expected == "full")
    assert result.audit["prompt"]["parts"]["tool_schemas"] > 0
    assert result.audit["prompt"]["reported_tokens"] == result.audit["tokens"]["prompt"]


async def _counting(asked: list[str], args: tuple[str, str, str]) -> ContextWindow | None:
    from soulbeat.llm.context_window import discover_context_window

    asked.append(args[1])
    return await discover_context_window(*args)


async def test_auto_without_a_reported_window_uses_context_tokens_then_full(
    bench: Bench, server: FakeLLMServer, provider: LLMProvider
) -> None:
    await bench.thread("t1", context_tokens=2048)
    await bench.thread("t2")
    profiles = PromptProfiles()
    small, _ = await bench.run("t1", runner=wired(bench, provider, profiles))
    big, _ = await bench.run("t2", runner=wired(bench, provider, profiles))
    assert small.audit["prompt"]["profile"] == "compact"
    assert small.audit["prompt"]["context_window"] == {
        "tokens": 2048,
        "source": "config context_tokens",
    }
    assert big.audit["prompt"]["profile"] == "full"
    assert big.audit["prompt"]["context_window"] is None
    assert list(profiles.known().values()) == [None]  # "does not say" is remembered too


async def test_a_configured_profile_is_used_without_asking(
    bench: Bench, server: FakeLLMServer, provider: LLMProvider
) -> None:
    server.context_tokens = 4096
    await bench.thread(prompt_profile="full")
    profiles = PromptProfiles()
    result, _ = await bench.run(runner=wired(bench, provider, profiles))
    assert result.audit["prompt"]["profile"] == "full"
    assert profiles.known() == {}


async def test_a_server_that_cannot_be_reached_is_asked_again() -> None:
    calls: list[int] = []

    async def down(*_args: str) -> ContextWindow | None:
        calls.append(1)
        raise httpx.ConnectError("refused")

    profiles = PromptProfiles(down)
    provider = OllamaProvider("http://127.0.0.1:9")
    try:
        for _ in range(2):
            assert await profiles.resolve(provider, "m", "auto", None) == ("full", None)
    finally:
        await provider.aclose()
    assert len(calls) == 2 and profiles.known() == {}


def test_the_keys_come_from_the_environment_and_bad_values_are_named() -> None:
    env = {
        "SOULBEAT_HEARTBEAT_PROMPT_PROFILE": "compact",
        "SOULBEAT_HEARTBEAT_CONTEXT_TOKENS": "8192",
    }
    config = effective_config(load_settings(None, env=env)).config
    assert (config.prompt_profile, config.context_tokens) == ("compact", 8192)
    with pytest.raises(ValidationError, match="is not a prompt profile"):
        HeartbeatConfig(prompt_profile="tiny")
    with pytest.raises(ValidationError, match="context_tokens"):
        HeartbeatConfig(context_tokens=12)
    with pytest.raises(ConfigError, match="SOULBEAT_HEARTBEAT_CONTEXT_TOKENS"):
        load_settings(None, env={"SOULBEAT_HEARTBEAT_CONTEXT_TOKENS": "lots"})
