"""What every route may depend on: the service, the app's options and the token checks.

`create_app` puts one `ApiState` on ``app.state.soulbeat``; routes reach it through `get_state`
and `get_service`. Routers of the API add `require_api` to every route (the method decides
whether it is a read or a write); the webhook router uses `require_hook` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from soulbeat.api.auth import Tokens, bearer_scheme, hook_header_scheme
from soulbeat.api.metrics import BeatMetrics
from soulbeat.errors import ConfigError
from soulbeat.service.core import Service

__all__ = [
    "ApiState",
    "ServiceDep",
    "StateDep",
    "aware_utc",
    "get_service",
    "get_state",
    "require_api",
    "require_hook",
]


@dataclass(frozen=True)
class ApiState:
    """The app's service and options (see `create_app`)."""

    service: Service
    tokens: Tokens
    metrics: BeatMetrics
    sse_keepalive: float
    max_body_bytes: int


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.soulbeat
    return state


def get_service(request: Request) -> Service:
    return get_state(request).service


async def _state(request: Request) -> ApiState:
    return get_state(request)


async def _service(request: Request) -> Service:
    return get_service(request)


# The dependencies are coroutines: FastAPI runs a plain function dependency on a worker thread,
# a hop there and back on every request (measured on the status route, issue 12).
StateDep = Annotated[ApiState, Depends(_state)]
ServiceDep = Annotated[Service, Depends(_service)]


async def require_api(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> None:
    """The API token, unless the route is a read and reads are open."""
    get_state(request).tokens.check_api(request, credentials)


async def require_hook(
    request: Request,
    header: Annotated[str | None, Security(hook_header_scheme)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> None:
    """The hook token, in its own header or as a bearer token."""
    get_state(request).tokens.check_hook(header, credentials)


def aware_utc(value: datetime | None, name: str) -> datetime | None:
    """A query time as aware UTC; a time without a zone is taken as UTC. ConfigError (422)
    when it cannot be placed in UTC (year 1 minus an offset, say)."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ConfigError(
            f"{name}: {value.isoformat()!r} is out of range (expected a time such as "
            "2026-01-01T00:00:00Z)",
            key=name,
            value=value.isoformat(),
        ) from None
