"""How CLI commands reach soulbeat: always through the HTTP API, so every command has one code
path and `--json` prints exactly what the API returns.

- With `--url` (or `SOULBEAT_URL`) the requests go to that running server, with `--token`
  (or `SOULBEAT_API_TOKEN`, else the token file in the data directory).
- Without, soulbeat is built in this process over the data directory (`wiring.build`) and the
  requests go to its app in memory — no port is opened and the scheduler loop is not started,
  so a one-off command such as `beat` runs exactly the one beat asked for.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soulbeat.config import ConfigError, load_settings
from soulbeat.config.settings import Settings

if TYPE_CHECKING:  # httpx is imported by the commands that call the API, not by `worker`
    import httpx

REMOTE_SECONDS = 300.0  # a beat run from the CLI may wait on a slow model
CONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class Target:
    """Where the CLI's requests go and how settings are loaded for in-process use."""

    url: str | None = None
    token: str | None = None
    config: Path | None = None
    data_dir: Path | None = None
    workspace: Path | None = None

    def settings(self) -> Settings:
        overrides: dict[str, Any] = {}
        if self.data_dir is not None:
            overrides["data_dir"] = self.data_dir
        if self.workspace is not None:
            overrides["workspace"] = self.workspace
        return load_settings(self.config, overrides=overrides or None)


class ApiError(Exception):
    """A request the API refused; the message is what the API said, for a person."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(_describe(status, body))


def _describe(status: int, body: Any) -> str:
    if not isinstance(body, Mapping):
        return f"HTTP {status}: {body}"
    parts = [str(body.get("error") or body.get("detail") or f"HTTP {status}")]
    problems = body.get("problems")
    if isinstance(problems, list):
        parts.extend(f"  - {p if isinstance(p, str) else p.get('message', p)}" for p in problems)
    if body.get("hint"):
        parts.append(f"hint: {body['hint']}")
    return "\n".join(parts)


class ApiClient:
    """Thin JSON requests with errors turned into `ApiError`."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self.http.request(method, path, json=json, params=clean)
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    async def text(self, path: str, *, params: Mapping[str, Any] | None = None) -> str:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self.http.get(path, params=clean)
        if response.status_code >= 400:
            raise ApiError(response.status_code, response.text)
        return response.text


def remote_url(target: Target) -> str | None:
    return target.url or os.environ.get("SOULBEAT_URL") or None


@asynccontextmanager
async def connect(target: Target) -> AsyncIterator[ApiClient]:
    """An API client for `target` (module docstring); the in-process service is closed after."""
    import httpx

    url = remote_url(target)
    if url is not None:
        token = target.token or os.environ.get("SOULBEAT_API_TOKEN") or _token_file(target)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(
            base_url=url.rstrip("/"), headers=headers, timeout=_timeout()
        ) as http:
            yield ApiClient(http)
        return
    async with _in_process(target.settings()) as client:
        yield client


@asynccontextmanager
async def _in_process(settings: Settings) -> AsyncIterator[ApiClient]:
    import httpx

    from soulbeat.api.app import create_app
    from soulbeat.api.auth import ensure_api_token
    from soulbeat.wiring import build

    service = build(settings)
    await service.open()
    try:
        token, _ = ensure_api_token(settings)
        app = create_app(service)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://soulbeat.local",
            headers={"Authorization": f"Bearer {token}"},
            timeout=_timeout(),
        ) as http:
            yield ApiClient(http)
    finally:
        await service.close()


def _timeout() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(REMOTE_SECONDS, connect=CONNECT_SECONDS)


def _token_file(target: Target) -> str | None:
    try:
        data_dir = target.settings().data_dir
    except ConfigError:  # settings that do not load leave the token unset; the server says 401
        return None
    path = data_dir / "api-token"
    return path.read_text().strip() if path.is_file() else None
