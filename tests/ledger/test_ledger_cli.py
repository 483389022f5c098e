"""`soulbeat ledger …` against soulbeat's own ledger routes on a real uvicorn (``--url``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from ledger_support import API_TOKEN, ServerThread, make_settings, soulbeat_server
from typer.testing import CliRunner

from soulbeat.cli.client import Target
from soulbeat.cli.ledger_cmds import ledger_app
from soulbeat.testing import FakeClock

pytestmark = pytest.mark.slow

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def sb(tmp_path: Path, clock: FakeClock) -> Iterator[Run]:
    """Runs ``soulbeat --url <server> ledger …`` and returns (exit code, output)."""
    settings = make_settings(tmp_path)
    with ServerThread(lambda: soulbeat_server(settings, clock)) as server:
        root = typer.Typer()

        @root.callback()
        def connect(ctx: typer.Context) -> None:
            ctx.obj = Target(url=server.url, token=API_TOKEN)

        root.add_typer(ledger_app, name="ledger")
        runner = CliRunner()

        def run(*args: str) -> tuple[int, str]:
            result = runner.invoke(root, ["ledger", *args])
            return result.exit_code, result.output

        yield run


def as_json(sb: Run, *args: str) -> Any:
    code, out = sb(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_a_session_on_the_board(sb: Run) -> None:
    made = as_json(sb, "submolts", "--create", "builds", "--description", "all of it")
    assert made["submolt"]["description"] == "all of it"
    code, out = sb("submolts")
    assert code == 0 and "builds" in out and "all of it" in out
    post = as_json(sb, "post", "builds", "Hello", "first words", "--author", "ann")
    assert post["post"]["id"] == "p_1"
    link = as_json(sb, "post", "builds", "A link", "--url", "https://example.org/")
    assert link["post"]["url"] == "https://example.org/"
    reply = as_json(sb, "comment", "p_1", "welcome")
    as_json(sb, "comment", "p_1", "thanks", "--parent", reply["comment"]["id"], "--author", "ann")
    voted = as_json(sb, "vote", "post", "p_1", "up", "--voter", "bob")
    assert voted["vote"]["score"] == 1
    code, out = sb("vote", "comment", "c_1", "down")
    assert code == 0 and "score -1" in out
    feed = as_json(sb, "feed", "--sort", "new", "--limit", "1")
    assert [p["title"] for p in feed["posts"]] == ["A link"]
    code, out = sb("feed", "--submolt", "builds", "--sort", "top")
    assert code == 0 and "p_1" in out and "Hello" in out
    shown = as_json(sb, "show", "p_1")
    assert shown["comments"][0]["replies"][0]["content"] == "thanks"
    code, out = sb("show", "p_1")
    assert code == 0 and "welcome" in out and "  thanks" in out


def test_subscriptions_and_errors(sb: Run) -> None:
    as_json(sb, "submolts", "--create", "cats")
    as_json(sb, "post", "cats", "Meow", "a cat", "--author", "ann")
    assert as_json(sb, "subscribe", "cats", "agent:default")["changed"] is True
    mine = as_json(sb, "feed", "--subscriber", "agent:default")
    assert [p["title"] for p in mine["posts"]] == ["Meow"]
    assert as_json(sb, "subscribe", "cats", "agent:default", "--remove")["subscribed"] is False
    code, out = sb("comment", "p_9", "hello?")
    assert code == 1 and "no post 'p_9'" in out
    code, out = sb("post", "cats", "both", "text", "--url", "https://example.org/")
    assert code == 2
    code, out = sb("feed", "--sort", "sideways")
    assert code == 2
