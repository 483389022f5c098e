"""`soulbeat serve` (the main job) and `soulbeat events` (follow the live event stream)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from httpx_sse import aconnect_sse

from soulbeat.cli import render
from soulbeat.cli.client import Target, remote_url
from soulbeat.cli.invoke import target_of
from soulbeat.config import ConfigError, load_settings
from soulbeat.config.settings import Settings
from soulbeat.errors import SoulbeatError
from soulbeat.workspace.templates import init_workspace


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8420).")] = None,
    workspace: Annotated[Path | None, typer.Option(help="The default agent's workspace.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the database and tokens live.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the start-up facts as one JSON line.")
    ] = False,
) -> None:
    """Run the scheduler, the HTTP API and the panel until interrupted (Ctrl-C or SIGTERM)."""
    target = target_of(ctx)
    overrides: dict[str, object] = {}
    for key, value in (
        ("host", host),
        ("port", port),
        ("workspace", workspace or target.workspace),
        ("data_dir", data_dir or target.data_dir),
    ):
        if value is not None:
            overrides[key] = value
    try:
        settings = load_settings(target.config, overrides=overrides or None)
    except ConfigError as exc:
        render.fail(str(exc))
        raise typer.Exit(2) from exc
    _prepare_workspaces(settings)
    try:
        asyncio.run(_serve(settings, render.wants_json(as_json)))
    except SoulbeatError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc


def _prepare_workspaces(settings: Settings) -> None:
    """Make a missing workspace from the default template, so `serve` works on a fresh machine."""
    paths = {a.workspace for a in settings.agents.values()} or {settings.workspace}
    for path in sorted(paths):
        if not path.exists():
            result = init_workspace(path)
            render.errors.print(f"created workspace {result.root} from the default template")


def _server_class() -> type[Any]:
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn's server, minus one habit: after a signal-driven shutdown uvicorn raises the
        signal again, which would end the process before soulbeat finishes or interrupts its
        in-flight beats and closes the store. Here the signal only asks the server to stop."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

    return GracefulServer


async def _serve(settings: Settings, as_json: bool = False) -> None:
    import uvicorn

    from soulbeat.api.app import create_app
    from soulbeat.api.auth import ensure_api_token
    from soulbeat.wiring import build

    token, created = ensure_api_token(settings)
    service = build(settings)
    await service.open()
    try:
        app = create_app(
            service,
            hook_token=settings.hook_token,
            api_read_open=settings.api_read_open,
            cors_origins=settings.cors_origins,
        )
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="info",
            lifespan="off",
            access_log=False,
            # Open SSE streams would otherwise hold the shutdown forever: they end only when the
            # service closes, which happens after uvicorn returns.
            timeout_graceful_shutdown=3,
        )
        server = _server_class()(config)
        service.run_in_background()
        _banner(settings, token if created else None, as_json)
        await server.serve()
    finally:
        await service.close()


def _banner(settings: Settings, new_token: str | None, as_json: bool = False) -> None:
    out = render.errors
    url = f"http://{settings.host}:{settings.port}"
    if as_json:
        facts = {
            "url": url,
            "workspace": str(settings.workspace.resolve()),
            "data_dir": str(settings.data_dir.resolve()),
            "model": {
                "provider": settings.llm_provider,
                "model": settings.llm_model,
                "base_url": settings.llm_base_url,
            },
            "api_token": new_token,
        }
        typer.echo(json.dumps(facts, ensure_ascii=False), nl=True)
        return
    out.print(f"soulbeat serving {url} (panel at {url}/, API at {url}/api, docs at {url}/docs)")
    out.print(f"  workspace {settings.workspace.resolve()}  data {settings.data_dir.resolve()}")
    out.print(f"  model {settings.llm_provider} {settings.llm_model} at {settings.llm_base_url}")
    if new_token is not None:
        out.print(
            f"  API token (shown once; also in {settings.data_dir / 'api-token'}): {new_token}"
        )


def events(
    ctx: typer.Context,
    after: Annotated[
        int | None, typer.Option("--after", help="Replay events after this id.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after this many.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line (always the case).")
    ] = False,
) -> None:
    """Follow the live event stream of a running server (SSE), one JSON object per line.

    Without --after it follows from now on; --after ID replays the kept events after ID first
    (--after 0: all of them). Events go to stdout, the note saying which to stderr."""
    target = target_of(ctx)
    url = remote_url(target) or _local_url(target)
    if after is None:
        render.errors.print(
            f"following events of {url} from now on (Ctrl-C to stop); "
            "to replay earlier ones: soulbeat events --after 0"
        )
    else:
        render.errors.print(f"replaying events of {url} after id {after}, then following")
    try:
        asyncio.run(_follow(url, target, after, limit))
    except httpx.TransportError as exc:
        render.fail(
            f"cannot reach soulbeat at {url}: {exc or type(exc).__name__} "
            "(is `soulbeat serve` running?)"
        )
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        return


def _local_url(target: Target) -> str:
    settings = target.settings()
    return f"http://{settings.host}:{settings.port}"


async def _follow(url: str, target: Target, after: int | None, limit: int | None) -> None:
    from soulbeat.cli.client import _token_file

    token = target.token or _token_file(target)
    headers: dict[str, str] = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if after is not None:
        headers["Last-Event-ID"] = str(after)
    seen = 0
    timeout = httpx.Timeout(None, connect=5.0)
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as http,
        aconnect_sse(http, "GET", "/api/events") as source,
    ):
        if source.response.status_code >= 400:
            body = (await source.response.aread()).decode(errors="replace")
            render.fail(f"HTTP {source.response.status_code}: {body}")
            raise typer.Exit(1)
        async for sse in source.aiter_sse():
            if not sse.data and not sse.id:
                continue  # a retry hint or keep-alive, not an event
            typer.echo(
                json.dumps(
                    {"id": sse.id, "event": sse.event, "data": _json(sse.data)}, ensure_ascii=False
                )
            )
            seen += 1
            if limit is not None and seen >= limit:
                return


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text
