"""Tokens of the HTTP edge: the API token (everything) and the hook token (webhook wakes only).

Where they come from:

* API token — `settings.api_token` (``SOULBEAT_API_TOKEN``) when set; otherwise the file
  ``<data_dir>/api-token``, made at first start with `secrets.token_urlsafe` (mode 0600) and read
  on every later start. `ensure_api_token` says whether it was just made, so ``serve`` can print
  it once.
* Hook token — given to the app (a ``hook_token`` setting or option) when set; otherwise the file
  ``<data_dir>/hook-token``, made the same way. It is a separate secret on purpose: a webhook
  sender (CI, a monitoring system) gets a token that can wake threads and nothing else. It is
  sent as ``X-Soulbeat-Hook-Token: <token>`` or ``Authorization: Bearer <token>``; the API token
  is not accepted there.

Requests carry the API token as ``Authorization: Bearer <token>``. Every mutating request needs
it; reads need it too unless the app was made with ``api_read_open=True``. Missing → 401, wrong
→ 403, both with ``{"error", "hint"}``. Tokens are compared with `secrets.compare_digest`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from soulbeat.config.settings import Settings

__all__ = [
    "API_TOKEN_FILE",
    "HOOK_TOKEN_FILE",
    "HOOK_TOKEN_HEADER",
    "AuthError",
    "Tokens",
    "ensure_api_token",
    "ensure_hook_token",
    "ensure_token_file",
]

API_TOKEN_FILE = "api-token"
HOOK_TOKEN_FILE = "hook-token"
HOOK_TOKEN_HEADER = "X-Soulbeat-Hook-Token"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="The API token (see `api-token`).")
hook_header_scheme = APIKeyHeader(
    name=HOOK_TOKEN_HEADER, auto_error=False, description="The hook token (see `hook-token`)."
)


class AuthError(Exception):
    """A request without the right token: rendered 401 (missing) or 403 (wrong)."""

    def __init__(self, status: int, error: str, hint: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.hint = hint


def ensure_token_file(path: Path) -> tuple[str, bool]:
    """The token stored in `path`, made (mode 0600, parents created) when missing or blank.
    Returns (token, created). Two processes starting together agree on one token."""
    path = path.expanduser()
    token = _read_token(path)
    if token:
        return token, False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a blank file: make a new one
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_token(path) or token, False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, True


def _read_token(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    if text and path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a token others can read is not a secret
    return text


def ensure_api_token(settings: Settings) -> tuple[str, bool]:
    """The API token and whether it was just made (module docstring)."""
    if settings.api_token:
        return settings.api_token, False
    return ensure_token_file(settings.data_dir / API_TOKEN_FILE)


def ensure_hook_token(settings: Settings, configured: str | None = None) -> tuple[str, bool]:
    """The hook token (`configured` when given) and whether it was just made."""
    if configured:
        return configured, False
    return ensure_token_file(settings.data_dir / HOOK_TOKEN_FILE)


@dataclass(frozen=True)
class Tokens:
    """What the app checks requests against."""

    api: str
    hook: str
    read_open: bool = False

    def check_api(self, request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
        """Raise AuthError unless the request may go on (module docstring)."""
        if self.read_open and request.method in READ_METHODS:
            return
        if credentials is None or not credentials.credentials:
            raise AuthError(
                401,
                "missing API token",
                "send 'Authorization: Bearer <token>'; the token is in <data_dir>/api-token "
                "(printed by 'soulbeat serve' at first start) or SOULBEAT_API_TOKEN",
            )
        if not _same(credentials.credentials, self.api):
            raise AuthError(
                403,
                "wrong API token",
                "use the token in <data_dir>/api-token, or SOULBEAT_API_TOKEN when it is set",
            )

    def check_hook(self, header: str | None, bearer: HTTPAuthorizationCredentials | None) -> None:
        """Raise AuthError unless the request carries the hook token."""
        given = header or (bearer.credentials if bearer is not None else None)
        if not given:
            raise AuthError(
                401,
                "missing hook token",
                f"send '{HOOK_TOKEN_HEADER}: <token>' (or a bearer token); the hook token is in "
                "<data_dir>/hook-token",
            )
        if not _same(given, self.hook):
            raise AuthError(
                403,
                "wrong hook token",
                "use the token in <data_dir>/hook-token (the API token is not a hook token)",
            )


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))
