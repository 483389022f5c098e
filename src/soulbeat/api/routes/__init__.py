"""The API's routers, split by concept; `ROUTERS` in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from soulbeat.api.routes import (
    approvals,
    beats,
    files,
    fleet,
    heartbeat,
    hooks,
    ledger,
    stream,
    system,
    threads,
    time,
)

__all__ = ["OPEN_ROUTERS", "ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    heartbeat.router,
    threads.router,
    files.router,
    fleet.router,
    beats.router,
    stream.router,
    hooks.router,
    system.router,
    ledger.router,
    approvals.router,
    time.router,
)
"""Routers whose routes need a token (the API token; the hook token for `hooks`)."""

OPEN_ROUTERS: tuple[APIRouter, ...] = (system.open_router,)
"""Routers open to anyone: `/healthz` and the page at `/` (replaced by the panel when built)."""
