"""The `soulbeat` command: one typer app; each command parses, calls the API, renders.

Connection options (`--url`, `--token`, `--config`, `--data-dir`, `--workspace`) come before the
command: `soulbeat --url http://127.0.0.1:8420 status`. Without `--url` (or `SOULBEAT_URL`)
commands run in this process over the data directory.

`soulbeat worker` (the scheduler alone, a long-lived process) runs from an app that holds the same
root options and only that command, so it neither imports nor builds the other commands
(about 1 MiB resident, issue 12); every other command line, `--help` included, runs the full
`app`, which is built on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from soulbeat import __version__
from soulbeat.cli import render
from soulbeat.cli.client import Target

if TYPE_CHECKING:
    app: typer.Typer


def _typer() -> typer.Typer:
    made = typer.Typer(
        name="soulbeat",
        help="A heartbeat and a soul for AI agents.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    made.callback()(_root)
    return made


def _full_app() -> typer.Typer:
    """Every command, in the order `--help` lists them."""
    from soulbeat.cli.approval_cmds import approvals_app
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

    app = _typer()
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
    return app


def _version(value: bool) -> None:
    if value:
        typer.echo(f"soulbeat {__version__}")
        raise typer.Exit()


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


def worker_app() -> typer.Typer:
    """The root options and `worker` alone (module docstring)."""
    from soulbeat.cli.db_cmds import worker

    made = _typer()
    made.command("worker")(worker)
    return made


def __getattr__(name: str) -> typer.Typer:
    """`app`, the full command line, built on first use (PEP 562)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _the_app()


def _the_app() -> typer.Typer:
    made: typer.Typer | None = globals().get("app")
    if made is None:
        made = _full_app()
        globals()["app"] = made  # later look-ups find the attribute
    return made


_ROOT_VALUES = frozenset({"--url", "--token", "--config", "-c", "--data-dir", "--workspace"})
_ROOT_FLAGS = frozenset({"--json"})


def command_of(args: Sequence[str]) -> str | None:
    """The command `args` name after the root options, or None when they hold anything else
    before it (`--help`, `--version`, an unknown or misspelt option): then the full app reads
    them, and says what is wrong."""
    index = 0
    while index < len(args):
        token = args[index]
        if token in _ROOT_FLAGS:
            index += 1
        elif token in _ROOT_VALUES:
            index += 2
        elif token.startswith("--") and token.split("=", 1)[0] in _ROOT_VALUES:
            index += 1  # --url=http://...
        elif token.startswith("-"):
            return None
        else:
            return token
    return None


def main() -> None:
    """Console-script entry point."""
    chosen = worker_app() if command_of(sys.argv[1:]) == "worker" else _the_app()
    chosen()
