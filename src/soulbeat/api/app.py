"""`create_app(service)`: the HTTP edge of soulbeat as a FastAPI application.

The app only translates: each route parses its input, calls one `Service` method and renders the
result with `soulbeat.service.views`, so API bodies and the CLI's ``--json`` output match. It does
not open, start or close the service: the caller (``soulbeat serve``, a test) does
``await service.open()`` first and ``await service.close()`` after, and runs the scheduler with
``service.run_in_background()`` if beats should happen on their own.

Manners: the API token guards every route but `/healthz`, `/docs`, `/openapi.json` and the
panel's files (reads too, unless ``api_read_open``); the webhook route takes the hook token
instead (`soulbeat.api.auth`). Bodies over ``max_body_bytes`` are refused with 413; errors are
JSON (`soulbeat.api.errors`); no CORS headers unless ``cors_origins`` is given. When
``static_dir`` holds ``index.html`` (the built panel) it is served at ``/``; otherwise ``GET /``
says how to build it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from soulbeat import __version__
from soulbeat.api.auth import HOOK_TOKEN_HEADER, Tokens, ensure_api_token, ensure_hook_token
from soulbeat.api.deps import ApiState
from soulbeat.api.errors import SafeJSONResponse, install_error_handlers
from soulbeat.api.limits import BodyLimit
from soulbeat.api.metrics import BeatMetrics
from soulbeat.api.routes import OPEN_ROUTERS, ROUTERS
from soulbeat.api.routes.system import no_panel
from soulbeat.config.settings import Settings
from soulbeat.service.core import Service

__all__ = ["MAX_BODY_BYTES", "STATIC_DIR", "create_app"]

MAX_BODY_BYTES = 1024 * 1024
STATIC_DIR = Path(__file__).parent / "static"
"""Where `make panel` puts the built web panel."""


def create_app(
    service: Service,
    *,
    settings: Settings | None = None,
    api_token: str | None = None,
    hook_token: str | None = None,
    api_read_open: bool = False,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    sse_keepalive: float = 15.0,
    static_dir: Path | None = STATIC_DIR,
) -> FastAPI:
    """The API over `service` (module docstring).

    Tokens: `api_token` / `hook_token` when given, else `ensure_api_token(settings)` /
    `ensure_hook_token(settings)` (which may make the token files in the data directory);
    `settings` defaults to the service's. `sse_keepalive` is the seconds of silence after which
    the event stream sends a keep-alive comment.
    """
    settings = settings or service.settings
    tokens = Tokens(
        api=api_token or ensure_api_token(settings)[0],
        hook=hook_token or ensure_hook_token(settings)[0],
        read_open=api_read_open,
    )
    app = FastAPI(
        title="soulbeat",
        version=__version__,
        summary="A heartbeat and a soul for AI agents.",
        description=_DESCRIPTION,
        default_response_class=SafeJSONResponse,
    )
    metrics = BeatMetrics()
    service.on_event(metrics.on_event)
    app.state.soulbeat = ApiState(service, tokens, metrics, sse_keepalive, max_body_bytes)
    install_error_handlers(app)
    for router in (*OPEN_ROUTERS, *ROUTERS):
        app.include_router(router)
    _serve_panel(app, static_dir)
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID", HOOK_TOKEN_HEADER],
        )
    return app


def _serve_panel(app: FastAPI, static_dir: Path | None) -> None:
    if static_dir is not None and (static_dir / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static_dir, html=True), name="panel")
    else:
        app.add_api_route("/", no_panel, methods=["GET"], include_in_schema=False)


_DESCRIPTION = """
Every route but `/healthz` needs `Authorization: Bearer <API token>` (reads too, unless the
server was started with reads open). The token is printed by `soulbeat serve` at first start and
kept in `<data_dir>/api-token`, or set with `SOULBEAT_API_TOKEN`. `POST /api/hooks/wake` takes
the separate hook token (`X-Soulbeat-Hook-Token`, kept in `<data_dir>/hook-token`).

Errors are JSON: `{"error", "hint"?, "problems"?}`; 422 lists each problem with its key.
"""
