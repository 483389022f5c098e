"""`soulbeat eval`: the shipped suite, judged against scripted answers from the fake server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soulbeat.cli.app import app
from soulbeat.eval import SCENARIOS, Scenario, evaluate
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.testing import FakeLLMServer

WRONG = {
    "quiet-thanks": "notified",
    "failed-job": "stayed silent",
    "voter-spam": "unreadable",
    "outage-in-event": "the alert names none of",
}


def key_of(scenario: Scenario) -> str | None:
    """Text only this scenario's prompt holds (None for scenarios with no inputs)."""
    for found in (*scenario.events, *scenario.messages, *scenario.posts):
        return found
    return None


def script(server: FakeLLMServer, *, with_mistakes: bool) -> None:
    """The right answer for every scenario (acks are the server's default), and four wrong
    ones when `with_mistakes`."""
    for scenario in SCENARIOS:
        key = key_of(scenario)
        expected = scenario.expected
        if with_mistakes and scenario.name in WRONG:
            assert key is not None
            if scenario.name == "quiet-thanks":
                server.on(key, reply="All good, nothing to do!")
            elif scenario.name == "voter-spam":
                server.on(key, reply='{"name": "spam_filter", "arguments": {"id": "p4"}}')
            elif scenario.name == "outage-in-event":
                server.on(key, reply="Something happened somewhere.")
            continue  # failed-job: the default HEARTBEAT_OK
        if key is None or not (expected.notify or expected.actions):
            continue
        if scenario.name.startswith("relay-"):  # the right alert quotes its input whole
            server.on(key, reply=key)
        elif expected.notify:
            server.on(key, reply=f"Attention: {expected.mentions[0]} problem, see the events.")
        elif "post" in expected.actions:
            post = {"submolt": "general", "title": "Daily summary", "content": "Two posts."}
            server.on(key, tool_calls=[("ledger_post", post)])
        else:
            vote = {"target": "post", "id": "p3", "direction": "up"}
            server.on(key, tool_calls=[("ledger_vote", vote)])


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(models=None) as server:
        yield server


@pytest.fixture
def server(shared: FakeLLMServer) -> FakeLLMServer:
    shared.reset()
    return shared


def test_the_suite_is_large_and_every_scenario_is_named_once() -> None:
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) >= 30 and len(set(names)) == len(names)
    keys = [key_of(scenario) for scenario in SCENARIOS if key_of(scenario) is not None]
    assert len(set(keys)) == len(keys)
    kinds = {name.split("-")[0] for name in names}
    assert {"quiet", "outage", "summary", "voter", "silent", "hostile", "dry"} <= kinds


@pytest.mark.parametrize("mode", ["schema", "tools"])
async def test_right_answers_score_full_marks(server: FakeLLMServer, mode: str) -> None:
    script(server, with_mistakes=False)
    provider = OpenAICompatProvider(server.openai_url)
    try:
        report = await evaluate(provider, "fake-model", mode)  # type: ignore[arg-type]
    finally:
        await provider.aclose()
    assert [r.name for r in report.results if not r.right] == []
    assert report.score == 1.0
    assert all(r.prompt_tokens > 0 and not r.tokens_estimated for r in report.results)
    dry = next(r for r in report.results if r.name == "dry-run-outage")
    assert dry.outcome == "would-send"


@pytest.mark.parametrize("profile", ["full", "compact"])
async def test_a_model_that_echoes_its_prompt_is_never_delivered(
    server: FakeLLMServer, profile: str
) -> None:
    """The fake scripted to copy the user message back, as SmolLM2 does in tools mode: every
    such beat is unreadable (nothing reaches the person), while the relay scenarios' quoting
    alerts, answered right, still are alerts."""
    echoing = [s for s in SCENARIOS if s.messages and not s.expected.actions]
    for scenario in echoing:  # rules are tried in the order added: these come first
        if not scenario.name.startswith("relay-"):
            server.on(key_of(scenario), echo="user")
    script(server, with_mistakes=False)
    provider = OpenAICompatProvider(server.openai_url)
    try:
        report = await evaluate(provider, "fake-model", "tools", profile=profile)  # type: ignore[arg-type]
    finally:
        await provider.aclose()
    results = {r.name: r for r in report.results}
    for scenario in echoing:
        result = results[scenario.name]
        if scenario.name.startswith("relay-"):
            assert (result.right, result.decided) == (True, "alert"), result
            continue
        assert result.decided == "unreadable", result
        assert "echoes the prompt" in result.why, result
        assert result.outcome == "skipped (unreadable)"
    assert report.right == len(SCENARIOS) - sum(
        1 for s in echoing if not s.name.startswith("relay-")
    )


async def test_wrong_answers_are_found_and_said_why(server: FakeLLMServer) -> None:
    script(server, with_mistakes=True)
    provider = OpenAICompatProvider(server.openai_url)
    try:
        report = await evaluate(provider, "fake-model", "schema")
    finally:
        await provider.aclose()
    wrong = {r.name: r.why for r in report.results if not r.right}
    assert set(wrong) == set(WRONG)
    for name, why in WRONG.items():
        assert wrong[name].startswith(why), (name, wrong[name])
    assert report.right == len(SCENARIOS) - len(WRONG)


def test_the_command_prints_a_table_and_json(
    server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(server, with_mistakes=True)
    for name in ("SOULBEAT_CONFIG", "SOULBEAT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["eval", "--provider", "openai", "--llm-url", server.openai_url, "--model", "fake-model"]

    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "WRONG quiet-thanks: notified" in table.output
    assert f"score: {len(SCENARIOS) - 4}/{len(SCENARIOS)}" in table.output

    data = runner.invoke(app, [*args, "--json", "--only", "quiet-*"])
    record = json.loads(data.output)
    assert record["mode"] == "schema"  # auto probed the fake, which honours schemas
    assert record["total"] == 8 and record["right"] == 7

    failing = runner.invoke(app, [*args, "--min-score", "0.95", "--only", "quiet-*"])
    assert failing.exit_code == 1


def test_the_profile_is_chosen_from_the_window_and_the_compact_prompt_is_smaller(
    server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SOULBEAT_CONFIG", "SOULBEAT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["eval", "--provider", "openai", "--llm-url", server.openai_url, "--model", "fake-model"]
    args += ["--mode", "tools", "--json", "--only", "outage-*"]

    def run(*extra: str) -> dict[str, object]:
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code in (0, 1), result.output
        record: dict[str, object] = json.loads(result.output)
        return record

    full, compact = run("--profile", "full"), run("--profile", "compact")
    assert (full["profile"], compact["profile"]) == ("full", "compact")
    assert float(compact["mean_prompt_tokens"]) < 0.6 * float(full["mean_prompt_tokens"])  # type: ignore[arg-type]
    assert run("--context-tokens", "4096")["profile"] == "compact"  # the fake reports none
    assert run()["profile"] == "full"
    server.context_tokens = 8192
    try:
        assert run()["profile"] == "compact"  # llama.cpp's /props
    finally:
        server.context_tokens = None
    bad = runner.invoke(app, [*args, "--profile", "tiny"])
    assert bad.exit_code == 2 and "not a prompt profile" in bad.output
