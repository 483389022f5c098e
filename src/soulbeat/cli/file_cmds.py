"""SOUL.md and HEARTBEAT.md commands: show, set, history, diff and rollback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from soulbeat.cli import render
from soulbeat.cli.invoke import call_api, show

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
AgentOpt = Annotated[str, typer.Option("--agent", help="Whose file.")]

soul_app = typer.Typer(help="SOUL.md: show, set, history, diff, rollback.", no_args_is_help=True)
heartbeat_app = typer.Typer(
    help="HEARTBEAT.md: show, set, history, diff, rollback.", no_args_is_help=True
)

_BASES = {"soul": "/api/soul", "heartbeat": "/api/heartbeat/heartbeat.md"}


def _content(data: Any) -> None:
    typer.echo(data.get("content", "") if isinstance(data, dict) else data, nl=False)


def _versions(data: Any) -> None:
    rows = data.get("items", []) if isinstance(data, dict) else data
    render.table(
        "versions",
        ("version", "source", "created", "sha256"),
        (
            (v.get("version"), v.get("source"), v.get("created_at"), str(v.get("sha256", ""))[:12])
            for v in rows
        ),
    )


def _read_input(source: str) -> str:
    return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")


def _register(app: typer.Typer, kind: str, label: str) -> None:
    base = _BASES[kind]
    write_method = "PUT" if kind == "soul" else "POST"

    @app.command("show")
    def show_cmd(ctx: typer.Context, agent: AgentOpt = "default", as_json: JsonOpt = False) -> None:
        show(
            call_api(ctx, lambda c: c.call("GET", base, params={"agent": agent})), as_json, _content
        )

    show_cmd.__doc__ = f"Print {label} as soulbeat reads it."

    @app.command("set")
    def set_cmd(
        ctx: typer.Context,
        source: Annotated[str, typer.Argument(help="A file, or - for stdin.")],
        agent: AgentOpt = "default",
        as_json: JsonOpt = False,
    ) -> None:
        body = {"content": _read_input(source)}
        show(
            call_api(ctx, lambda c: c.call(write_method, base, json=body, params={"agent": agent})),
            as_json,
            lambda d: render.console.print(f"saved version {d.get('version')}"),
        )

    set_cmd.__doc__ = f"Replace {label} (recorded as a new version)."

    @app.command("history")
    def history_cmd(
        ctx: typer.Context, agent: AgentOpt = "default", as_json: JsonOpt = False
    ) -> None:
        show(
            call_api(ctx, lambda c: c.call("GET", f"{base}/versions", params={"agent": agent})),
            as_json,
            _versions,
        )

    history_cmd.__doc__ = f"The versions of {label}, newest first."

    @app.command("diff")
    def diff_cmd(
        ctx: typer.Context,
        old: Annotated[int, typer.Argument(help="From this version.")],
        new: Annotated[int | None, typer.Argument(help="To this one (default: now).")] = None,
        agent: AgentOpt = "default",
        as_json: JsonOpt = False,
    ) -> None:
        params = {"agent": agent, "from": old, "to": new}
        show(
            call_api(ctx, lambda c: c.call("GET", f"{base}/diff", params=params)),
            as_json,
            lambda d: typer.echo(d.get("diff", "") if isinstance(d, dict) else d, nl=False),
        )

    diff_cmd.__doc__ = f"A unified diff between two versions of {label}."

    @app.command("rollback")
    def rollback_cmd(
        ctx: typer.Context,
        version: Annotated[int, typer.Argument(help="The version to restore.")],
        agent: AgentOpt = "default",
        as_json: JsonOpt = False,
    ) -> None:
        show(
            call_api(
                ctx,
                lambda c: c.call(
                    "POST", f"{base}/rollback", json={"version": version}, params={"agent": agent}
                ),
            ),
            as_json,
            lambda d: render.console.print(f"restored as version {d.get('version')}"),
        )

    rollback_cmd.__doc__ = f"Write an old version of {label} back (as a new version)."


_register(soul_app, "soul", "SOUL.md")
_register(heartbeat_app, "heartbeat", "HEARTBEAT.md")
