"""The `soulbeat` command: one typer app; each command parses, calls one function, renders."""

from __future__ import annotations

import typer

from soulbeat import __version__
from soulbeat.cli.contract_cmds import parse_response_cmd
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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"soulbeat {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A heartbeat and a soul for AI agents."""


def main() -> None:
    """Console-script entry point."""
    app()
