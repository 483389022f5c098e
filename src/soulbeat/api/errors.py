"""How errors look on the wire: always JSON ``{"error", "hint"?, "problems"?}``.

=====================================  ======  ==================================================
raised                                 status  body
=====================================  ======  ==================================================
AuthError (no token / wrong token)     401/403 ``error``, ``hint`` (where the token is)
request validation (pydantic)          422     ``problems``: field path (``body.text``), message
ConfigError (a bad key or value)       422     ``problems``: key, message, value, expected
EditConflictError (stale base_sha256)  409     ``error``, ``hint``, ``sha256``/``version`` now
WorkspaceError (a file cannot be used) 422     ``problems``: the message
NotFoundError                          404     ``error`` names what is missing
HTTP errors (no such route, 405, 413)  as is   ``error``, ``hint``
ProviderError (the model server)       502     ``error``, ``reason`` (``provider-unreachable`` …)
any other SoulbeatError                503     ``error`` (the store or scheduler cannot serve)
anything else                          500     a bug: logged with its traceback
=====================================  ======  ==================================================

`SafeJSONResponse` is the app's response class: a non-finite float (``NaN``, which Python's JSON
reader accepts from clients) is sent as ``null``, and a lone surrogate echoed back in a 422 is
escaped, instead of failing the response.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from soulbeat.api.auth import AuthError
from soulbeat.config.problems import InvalidConfigError, problem_from_error
from soulbeat.errors import (
    ConfigError,
    EditConflictError,
    NotFoundError,
    ProviderError,
    SoulbeatError,
    WorkspaceError,
)

__all__ = ["SafeJSONResponse", "error_body", "install_error_handlers"]

log = logging.getLogger(__name__)

_MAX_VALUE_CHARS = 200
_HTTP_HINTS = {
    404: "see /docs for the endpoints",
    405: "see /docs for the methods each endpoint accepts",
    413: "send a smaller body",
}


class SafeJSONResponse(JSONResponse):
    """JSON where NaN and infinities become null, and text UTF-8 cannot hold (a lone surrogate
    echoed back from a refused request) is escaped, rather than an error."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except ValueError:  # UnicodeEncodeError is one too
            text = json.dumps(_finite(content), ensure_ascii=True, allow_nan=False)
            return text.encode("ascii")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def error_body(
    error: str, *, hint: str | None = None, problems: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error}
    if hint is not None:
        body["hint"] = hint
    if problems is not None:
        body["problems"] = problems
    return body


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return SafeJSONResponse(body, status_code=status, headers=headers)


def _plain_value(value: Any) -> Any:
    """A refused value as it can go back in JSON: short, and text when it is not a scalar."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_VALUE_CHARS else value[: _MAX_VALUE_CHARS - 1] + "…"
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr, allow_nan=False)
    except ValueError:
        text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


async def _auth(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, AuthError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _respond(exc.status, error_body(exc.error, hint=exc.hint), headers)


async def _validation(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors():
        key = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(
            {
                "key": key,
                "message": str(item.get("msg", "")),
                "value": _plain_value(item.get("input")),
            }
        )
    summary = "; ".join(f"{p['key']}: {p['message']}" for p in problems[:3])
    return _respond(422, error_body(f"invalid request: {summary}", problems=problems))


async def _config(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, ConfigError)
    rows = [
        {
            "key": p.key,
            "message": str(p),
            "value": _plain_value(p.value),
            "expected": p.expected,
        }
        for p in problem_from_error(exc)
    ]
    error = str(exc) if not isinstance(exc, InvalidConfigError) else f"invalid {exc.source} config"
    return _respond(422, error_body(error, problems=rows))


async def _conflict(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, EditConflictError)
    body = error_body(
        str(exc), hint="reload the file to see the change, then apply your edit again"
    )
    body["sha256"] = exc.sha256
    body["version"] = exc.version
    return _respond(409, body)


async def _workspace(request: Request, exc: Exception) -> Any:
    problems = [{"key": "", "message": str(exc)}]
    return _respond(422, error_body(str(exc), problems=problems))


async def _not_found(request: Request, exc: Exception) -> Any:
    return _respond(404, error_body(str(exc) or "not found"))


async def _provider(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, ProviderError)
    body = error_body(
        f"the model server failed: {exc}",
        hint="check the model server (soulbeat doctor); anything the request stored is kept",
    )
    body["reason"] = exc.reason
    return _respond(502, body)


async def _unavailable(request: Request, exc: Exception) -> Any:
    return _respond(503, error_body(str(exc), hint="try again shortly"))


async def _http(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    error = str(exc.detail)
    if exc.status_code == 404 and error == "Not Found":
        error = f"no such endpoint: {request.method} {request.url.path}"
    hint = _HTTP_HINTS.get(exc.status_code)
    limit = getattr(exc, "limit", None)
    if exc.status_code == 413 and limit is not None:
        hint = f"the most this server accepts is {limit} bytes"
    return _respond(exc.status_code, error_body(error, hint=hint), dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Any:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    body = error_body(
        "internal error", hint="this is a bug in soulbeat; the server log has the details"
    )
    return _respond(500, body)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers of the module docstring's table."""
    app.add_exception_handler(AuthError, _auth)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ConfigError, _config)
    app.add_exception_handler(EditConflictError, _conflict)
    app.add_exception_handler(WorkspaceError, _workspace)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ProviderError, _provider)
    app.add_exception_handler(SoulbeatError, _unavailable)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
