"""`soulbeat worker` (the scheduler alone), `soulbeat migrate` and `soulbeat db copy`.

Roles: `serve` runs the API and the scheduler; `serve --no-scheduler` the API alone; `worker` the
scheduler alone, with no port. Any number of each may share one PostgreSQL database
(`database_url`); they claim due beats with row locks, and LISTEN/NOTIFY carries starts, stops
and config changes between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path
from typing import Annotated

import typer

from soulbeat.cli import render
from soulbeat.cli.invoke import target_of
from soulbeat.config import ConfigError, load_settings
from soulbeat.config.settings import Settings
from soulbeat.errors import SoulbeatError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
db_app = typer.Typer(help="Move an installation between databases.", no_args_is_help=True)


def _settings(ctx: typer.Context, **overrides: object) -> Settings:
    target = target_of(ctx)
    given = {
        "workspace": overrides.pop("workspace", None) or target.workspace,
        "data_dir": overrides.pop("data_dir", None) or target.data_dir,
        **overrides,
    }
    try:
        return load_settings(
            target.config, overrides={k: v for k, v in given.items() if v is not None} or None
        )
    except ConfigError as exc:
        render.fail(str(exc))
        raise typer.Exit(2) from exc


def _database_url(settings: Settings) -> str:
    from soulbeat.wiring import database_path

    return settings.database_url or f"sqlite:///{database_path(settings)}"


def worker(
    ctx: typer.Context,
    workspace: Annotated[Path | None, typer.Option(help="The default agent's workspace.")] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="The shared database (else from the settings)."),
    ] = None,
    worker_id: Annotated[
        str | None, typer.Option("--worker-id", help="This worker's name (default host:pid).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the scheduler only (no HTTP port) until interrupted (Ctrl-C or SIGTERM)."""
    settings = _settings(ctx, workspace=workspace, database_url=database_url)
    from soulbeat.cli.serve_cmds import _prepare_workspaces

    _prepare_workspaces(settings)
    try:
        asyncio.run(_work(settings, worker_id, render.wants_json(as_json)))
    except SoulbeatError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc


async def _work(settings: Settings, worker_id: str | None, as_json: bool = False) -> None:
    from soulbeat.wiring import build

    service = build(settings, worker_id=worker_id)
    await service.open()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        loop_task = service.run_in_background()
        if as_json:
            typer.echo(json.dumps({"worker": "running", "database": _where(settings)}))
        else:
            # Plain text, not rich: a worker prints nothing else for a person (rich is 2 MiB).
            typer.echo(f"soulbeat worker running on {_where(settings)} (no HTTP port)", err=True)
        waiter = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({waiter, loop_task}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
        await service.close()


def _where(settings: Settings) -> str:
    url = _database_url(settings)
    if url.startswith("sqlite:///"):
        return url
    # Here, not at the top: importing psycopg (and libpq) costs a SQLite worker 9 MiB (issue 12).
    from soulbeat.store.postgres.connection import describe

    return describe(url)


def migrate(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="The database (else from the settings)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply the database's pending migrations (every process also does this when it starts)."""
    from soulbeat.store.copy import migrate_database

    settings = _settings(ctx, database_url=database_url)
    url = _database_url(settings)
    try:
        done = asyncio.run(migrate_database(url))
    except SoulbeatError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc
    if render.wants_json(as_json):
        render.emit_json({"applied": list(done)})
    elif done:
        typer.echo(f"applied {len(done)} migration(s): {', '.join(done)}")
    else:
        typer.echo("the database is up to date")


@db_app.command("copy")
def copy(
    source: Annotated[str, typer.Option("--from", help="sqlite:///path/to/soulbeat.db")],
    destination: Annotated[str, typer.Option("--to", help="postgresql://user@host/dbname")],
    as_json: JsonOpt = False,
) -> None:
    """Copy every table (threads, beats, messages, the board, the action log ...) with its ids
    into an empty PostgreSQL database, in one transaction."""
    from soulbeat.store.copy import copy_database

    try:
        report = asyncio.run(copy_database(source, destination))
    except SoulbeatError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc
    total = sum(report.rows.values())
    if render.wants_json(as_json):
        render.emit_json({"copied": total, "tables": dict(report.rows)})
        return
    typer.echo(f"copied {total} rows in {len(report.rows)} tables")
    for table, count in report.rows.items():
        typer.echo(f"  {table}: {count}")
