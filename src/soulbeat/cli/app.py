"""The `soulbeat` command: one typer app; each command parses, calls the API, renders.

Connection options (`--url`, `--token`, `--config`, `--data-dir`, `--workspace`) come before the
command: `soulbeat --url http://127.0.0.1:8420 status`. Without `--url` (or `SOULBEAT_URL`)
commands run in this process over the data directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from soulbeat import __version__
from soulbeat.cli import render
from soulbeat.cli.approval_cmds import approvals_app
from soulbeat.cli.client import Target
from soulbeat.cli.contract_cmds import parse_response_cmd
from soulbeat.cli.db_cmds import db_app, migrate, worker
from soulbeat.cli.eval_cmds import eval_cmd
from soulbeat.cli.file_cmds import heartbeat_app, soul_app
from soulbeat.cli.heartbeat_cmds import (
    audit,
    beat,
    config_app,
    history,
    prune,
    send,
    start,
    status,
    stop,
    threads_app,
    wake,
)
from soulbeat.cli.ledger_cmds import ledger_app
from soulbeat.cli.serve_cmds import events, serve
from soulbeat.cli.time_cmds import remind, reminders_app, schedule
from soulbeat.cli.workspace_cmds import doctor, init

app = typer.Typer(
    name="soulbeat",
    help="A heartbeat and a soul for AI agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("init")(init)
app.command("doctor")(doctor)
app.command("parse-response")(parse_response_cmd)
app.command("eval")(eval_cmd)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("migrate")(migrate)
app.command("status")(status)
app.command("start")(start)
app.command("stop")(stop)
app.command("prune")(prune)
app.command("beat")(beat)
app.command("history")(history)
app.command("audit")(audit)
app.command("wake")(wake)
app.command("send")(send)
app.command("events")(events)
app.command("remind")(remind)  # issue 16: reminders, a thread's schedule
app.command("schedule")(schedule)
app.add_typer(reminders_app, name="reminders")
app.add_typer(threads_app, name="threads")
app.add_typer(config_app, name="config")
app.add_typer(soul_app, name="soul")
app.add_typer(heartbeat_app, name="heartbeat-md")
app.add_typer(ledger_app, name="ledger")
app.add_typer(approvals_app, name="approvals")
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"soulbeat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", envvar="SOULBEAT_URL", help="A running server (default: work in-process)."
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="API token for --url (default: $SOULBEAT_API_TOKEN or the token file)."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config file (TOML, JSON or YAML).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory.")] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="Default workspace.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Every command prints the API's answer as JSON.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A heartbeat and a soul for AI agents."""
    render.ROOT_JSON.set(as_json)
    ctx.obj = Target(url=url, token=token, config=config, data_dir=data_dir, workspace=workspace)


def main() -> None:
    """Console-script entry point."""
    app()
