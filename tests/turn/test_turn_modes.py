"""Decision modes (issue 14 item 1): tools, schema (structured output), text and auto, over the
wire to the fake server speaking both protocols."""

from __future__ import annotations

import json

import pytest
from turn_support import Bench, Connect

from soulbeat.channels.thread import ThreadChannel
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.testing.llm_server import FakeLLMServer
from soulbeat.turn.modes import PROBE_SCHEMA, DecisionModes
from soulbeat.turn.runner import TurnRunner


def wired(bench: Bench, provider: LLMProvider, modes: DecisionModes | None = None) -> TurnRunner:
    runner = bench.runner(
        provider=provider, thread_channel=ThreadChannel(bench.store, bench.clock, bench.events)
    )
    if modes is not None:
        runner._modes = modes
    return runner


def schema_of(body: dict[str, object]) -> object:
    """The schema a request carried, whichever protocol."""
    if "format" in body:
        return body["format"]
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        return response_format["json_schema"]["schema"]
    return None


async def test_schema_mode_sends_the_decision_schema_and_no_tools(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    server.on(reply="The payments API is down")
    await bench.thread(decision_mode="schema")
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))

    [body] = server.requests
    assert "tools" not in body
    schema = schema_of(body)
    assert isinstance(schema, dict) and schema["required"] == [
        "notify",
        "message",
        "summary",
        "actions",
    ]
    assert "Answer with one JSON object" in body["messages"][0]["content"]
    assert (result.outcome, result.alert_text) == ("sent", "The payments API is down")
    assert result.audit["decision_mode"] == "schema"
    assert result.audit["reply"]["decision"]["notify"] is True


async def test_schema_mode_ack_and_actions(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    vote = {"target": "post", "id": "42", "direction": "up"}
    server.on(
        tool_calls=[
            ("ledger_vote", vote),
            ("heartbeat_respond", {"notify": False, "summary": "voted"}),
        ]
    )
    await bench.thread(decision_mode="schema", actions={"allowed": ["message", "none", "vote"]})
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))

    [body] = server.requests
    variants = schema_of(body)["properties"]["actions"]["items"]["anyOf"]  # type: ignore[index]
    assert [v["properties"]["action"]["enum"] for v in variants] == [["vote"]]
    assert [(a["type"], a["action"]["id"]) for a in result.audit["actions"]] == [("vote", "42")]
    assert result.audit["reply"]["kind"] == "action"
    assert bench.thread_channel.deliveries == []


async def test_text_mode_offers_nothing(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    await bench.thread(decision_mode="text")
    result, _ = await bench.run(runner=wired(bench, connect(server.url)))
    [body] = server.requests
    assert "tools" not in body and schema_of(body) is None
    assert result.outcome == "ok-token"


async def test_auto_probes_once_and_remembers_schema(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    await bench.thread(decision_mode="auto")
    modes = DecisionModes()
    provider = connect(server.url)
    first, _ = await bench.run(runner=wired(bench, provider, modes))
    second, _ = await bench.run(runner=wired(bench, provider, modes))

    probe, *beats = server.requests
    assert schema_of(probe) == dict(PROBE_SCHEMA)
    assert len(beats) == 2 and all("tools" not in body for body in beats)
    assert (first.audit["decision_mode"], second.audit["decision_mode"]) == ("schema", "schema")
    assert first.outcome == second.outcome == "ok-token"
    assert list(modes.known().values()) == ["schema"]


@pytest.mark.parametrize("behaviour", ["refuse", "ignore"])
async def test_auto_falls_back_to_tools_when_the_server_does_not_honour_a_schema(
    bench: Bench, server: FakeLLMServer, connect: Connect, behaviour: str
) -> None:
    server.structured_output = behaviour  # type: ignore[assignment]
    server.on(lambda body: "format" in body or "response_format" in body, reply="Sure! ok")
    await bench.thread(decision_mode="auto")
    modes = DecisionModes()
    provider = connect(server.url)
    for _ in range(2):
        result, _ = await bench.run(runner=wired(bench, provider, modes))
        assert result.audit["decision_mode"] == "tools"

    probe, *beats = server.requests
    assert schema_of(probe) is not None
    assert len(beats) == 2 and all("heartbeat_respond" in json.dumps(b["tools"]) for b in beats)


async def test_the_default_is_auto_and_a_beat_with_memory_but_no_mcp_gets_schema(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    await bench.thread()  # no decision_mode: the default
    provider = connect(server.url)
    runner = bench.runner(provider=provider, tool_kit=bench.tool_kit())
    result, _ = await bench.run(runner=runner)
    assert result.audit["decision_mode"] == "schema"
    _probe, beat = server.requests
    assert "tools" not in beat
    schema = schema_of(beat)
    assert isinstance(schema, dict) and "scratch" in schema["properties"]  # memory still works


async def test_auto_keeps_tools_for_a_beat_that_needs_them_without_a_probe(
    server: FakeLLMServer, connect: Connect
) -> None:
    modes = DecisionModes()
    provider = connect(server.url)
    assert await modes.resolve(provider, "fake-model", "auto", needs_tools=True) == "tools"
    assert server.requests == [] and modes.known() == {}
    assert await modes.resolve(provider, "fake-model", "auto") == "schema"
    assert len(server.requests) == 1  # the probe


async def test_auto_with_a_provider_that_has_no_structured_output_uses_tools(
    bench: Bench,
) -> None:
    await bench.thread(decision_mode="auto")
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run()
    assert result.audit["decision_mode"] == "tools"
    assert len(bench.llm.requests) == 1 and bench.llm.requests[0].tools


def test_decision_mode_is_validated() -> None:
    assert HeartbeatConfig().decision_mode == "auto"
    with pytest.raises(ValueError, match="is not a decision mode"):
        HeartbeatConfig(decision_mode="json")  # type: ignore[arg-type]


async def test_the_audit_counts_tool_and_response_schemas(
    bench: Bench, server: FakeLLMServer, connect: Connect
) -> None:
    await bench.thread()  # tools mode
    tools, _ = await bench.run(runner=wired(bench, connect(server.url)))
    await bench.store.set_thread_config("t1", {"decision_mode": "schema"})
    schema, _ = await bench.run(runner=wired(bench, connect(server.url)))

    for result in (tools, schema):
        prompt = result.audit["prompt"]
        assert prompt["schema_tokens"] > 50
        assert prompt["estimated_tokens"] > prompt["schema_tokens"]
        assert prompt["reported_tokens"] == result.audit["rounds"][0]["usage"]["prompt"]


async def test_a_server_that_only_knows_json_object_gets_the_schema_that_way(
    bench: Bench, server: FakeLLMServer
) -> None:
    server.structured_output = "json_object"  # like llama-cpp-python's server
    server.on(reply="The payments API is down")
    await bench.thread(decision_mode="schema")
    provider = OpenAICompatProvider(server.openai_url)
    try:
        first, _ = await bench.run(runner=wired(bench, provider))
        second, _ = await bench.run(runner=wired(bench, provider))
    finally:
        await provider.aclose()
    kinds = [body["response_format"]["type"] for body in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]  # switched once, remembered
    assert first.alert_text == "The payments API is down" and second.outcome == "skipped"
