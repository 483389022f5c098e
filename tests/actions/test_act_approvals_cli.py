"""`soulbeat approvals` (list, show, approve, reject, ``--json``) in-process over a data
directory: a beat proposes posts that need approval, the CLI decides them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from soulbeat.api import app as api_app
from soulbeat.api.routes import ROUTERS
from soulbeat.api.routes import approvals as approval_routes
from soulbeat.cli.app import app as soulbeat_app
from soulbeat.cli.approval_cmds import approvals_app
from soulbeat.cli.client import Target
from soulbeat.ledger.service import LedgerService
from soulbeat.store.records_board import Actor
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import FakeClock, FakeLLMServer
from soulbeat.workspace.templates import init_workspace

runner = CliRunner()
CONFIG = """
data_dir = "data"
workspace = "ws"
llm_provider = "openai"
llm_model = "fake-model"
llm_base_url = "{url}"

[heartbeat]
target = "none"
decision_mode = "tools"  # the scripted replies answer beats, not auto's probe

[heartbeat.actions]
allowed = ["post", "none"]
requires_approval = ["post"]

[heartbeat.actions.limits]
post = []
"""

cli = typer.Typer()


@cli.callback()
def _root(
    ctx: typer.Context, config: Annotated[Path, typer.Option("--config")] = Path("soulbeat.toml")
) -> None:
    ctx.obj = Target(config=config)


cli.add_typer(approvals_app, name="approvals")


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeLLMServer) -> Iterator[Path]:
    for name in ("SOULBEAT_CONFIG", "SOULBEAT_URL", "SOULBEAT_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    if approval_routes.router not in ROUTERS:  # until the lead registers the router
        monkeypatch.setattr(api_app, "ROUTERS", (*ROUTERS, approval_routes.router))
    init_workspace(tmp_path / "ws")
    (tmp_path / "ws" / "HEARTBEAT.md").write_text("## Checklist\n- summarise the board\n")
    config = CONFIG.replace("{url}", server.openai_url)
    (tmp_path / "soulbeat.toml").write_text(config, "utf-8")
    asyncio.run(_make_board(tmp_path / "data" / "soulbeat.db"))
    yield tmp_path


async def _make_board(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    try:
        ledger = LedgerService(store, FakeClock())
        await ledger.create_submolt("general", created_by=Actor("person", "ann"))
    finally:
        await store.close()


def main(*args: str) -> tuple[int, str]:
    result = runner.invoke(soulbeat_app, ["--config", "soulbeat.toml", *args])
    return result.exit_code, result.output


def mine(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["--config", "soulbeat.toml", "approvals", *args])
    return result.exit_code, result.output


def mine_json(*args: str) -> Any:
    code, out = mine(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def propose(server: FakeLLMServer, title: str) -> None:
    reply = json.dumps({"action": "post", "submolt": "general", "title": title, "content": title})
    server.on(None, reply=reply, times=1)


def test_list_show_approve_and_reject(home: Path, server: FakeLLMServer) -> None:
    assert main("threads", "add", "--id", "t1")[0] == 0
    propose(server, "First")
    assert main("beat", "t1")[0] == 0
    [pending] = mine_json("list", "--status", "pending")["items"]
    assert (pending["type"], pending["action"]["title"]) == ("post", "First")

    code, out = mine("list")
    assert code == 0 and "First" in out and "pending" in out
    shown = mine_json("show", str(pending["id"]))
    assert shown["action_status"] == "pending-approval"

    approved = mine_json("approve", str(pending["id"]))
    assert (approved["status"], approved["action_status"]) == ("approved", "executed")
    code, out = mine("approve", str(pending["id"]))
    assert code == 1 and "already approved" in out

    propose(server, "Second")
    assert main("beat", "t1")[0] == 0
    [second] = mine_json("list", "--status", "pending")["items"]
    code, out = mine("reject", str(second["id"]), "--reason", "not today")
    assert code == 0 and "not today" in out
    rejected = mine_json("list", "--status", "rejected")["items"]
    assert [(r["id"], r["reason"]) for r in rejected] == [(second["id"], "not today")]


def test_an_unknown_id_is_an_error(home: Path) -> None:
    code, out = mine("show", "42")
    assert code == 1 and "approval 42 does not exist" in out
