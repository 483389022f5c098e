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

import typer

from soulbeat.cli import render
from soulbeat.cli.client import Target, remote_url
from soulbeat.cli.invoke import target_of
from soulbeat.config import ConfigError, load_settings
from soulbeat.config.loading import find_config_file
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
    no_scheduler: Annotated[
        bool,
        typer.Option(
            "--no-scheduler",
            help="API and panel only: beats are left to `soulbeat worker`s on the same database.",
        ),
    ] = False,
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
        chosen = overrides.get("workspace")
        config_file = find_config_file(
            target.config, workspace=Path(str(chosen)) if chosen is not None else None
        )
        asyncio.run(
            _serve(
                settings,
                scheduler=not no_scheduler,
                as_json=render.wants_json(as_json),
                config_file=config_file,
            )
        )
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

        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.listening = asyncio.Event()

        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                self.listening.set()

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


async def _serve(
    settings: Settings,
    *,
    scheduler: bool = True,
    as_json: bool = False,
    config_file: Path | None = None,
) -> None:
    import uvicorn

    from soulbeat.importing import import_httpx

    import_httpx()  # before the probe's module imports it: not httpx's command line (issue 12)
    from soulbeat.api.app import create_app
    from soulbeat.api.auth import ensure_api_token
    from soulbeat.cli.start_screen import StartFacts, show_start
    from soulbeat.llm.probe import probe_model_server
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
            log_level="warning",  # the start screen says what uvicorn's info lines would
            lifespan="off",
            access_log=False,
            # Open SSE streams would otherwise hold the shutdown forever: they end only when the
            # service closes, which happens after uvicorn returns.
            timeout_graceful_shutdown=3,
        )
        server = _server_class()(config)
        probe = asyncio.create_task(
            asyncio.to_thread(
                probe_model_server,
                settings.llm_provider,
                settings.llm_base_url,
                settings.llm_model,
                api_key=settings.llm_api_key,
            )
        )
        if scheduler:
            service.run_in_background()
        serving = asyncio.create_task(server.serve())
        listening = asyncio.create_task(server.listening.wait())
        await asyncio.wait({serving, listening}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if server.started:  # the screen comes once the port is bound
            facts = StartFacts(
                settings=settings,
                new_token=token if created else None,
                config_file=config_file,
                probe=await probe,
                heartbeat=service.doctor().details.get("heartbeat_md") or {},
                threads=await service.store.count_threads(),  # counted in SQL, none loaded
                running=await service.scheduler.is_enabled(),
                scheduler=scheduler,
            )
            show_start(facts, as_json=as_json)
        await serving
    finally:
        await service.close()


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
    import httpx  # only the commands that call out import it (a lean `worker`, issue 12)

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
    import httpx
    from httpx_sse import aconnect_sse

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
