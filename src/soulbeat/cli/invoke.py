"""Running one CLI command against the API: connect, call, render, and turn failures into a
clear message and an exit status (1: refused by soulbeat, 2: usage or configuration)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from soulbeat.cli import render
from soulbeat.cli.client import ApiClient, ApiError, Target, connect, remote_url
from soulbeat.errors import ConfigError, SoulbeatError

T = TypeVar("T")


def target_of(ctx: typer.Context) -> Target:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Target) else Target()


def call_api(ctx: typer.Context, work: Callable[[ApiClient], Awaitable[T]]) -> T:
    """Run `work` with a connected client; exit with a message on any failure."""
    target = target_of(ctx)

    async def go() -> T:
        async with connect(target) as client:
            return await work(client)

    import httpx  # here, not at the top: `soulbeat worker` shares this module and never calls out

    try:
        return asyncio.run(go())
    except ApiError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc
    except httpx.TransportError as exc:
        url = remote_url(target)
        render.fail(
            f"cannot reach soulbeat at {url}: {exc or type(exc).__name__} "
            "(is `soulbeat serve` running there?)"
        )
        raise typer.Exit(1) from exc
    except ConfigError as exc:
        render.fail(str(exc))
        raise typer.Exit(2) from exc
    except SoulbeatError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc


def show(result: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    """Print `result` as JSON (`--json` after or before the command) or for a person."""
    if render.wants_json(as_json):
        render.emit_json(result)
    else:
        human(result)
