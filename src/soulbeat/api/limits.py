"""`BodyLimit`: requests with a body over the limit get a JSON 413, not a partial read.

A declared ``Content-Length`` over the limit is refused before the app sees the request. A body
sent without one (chunked) is counted as it is read; the read that goes over raises a 413
`HTTPException`, which the app's handlers render like every other error. (Starlette's own limiter
answers in plain text, hence this one.)
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from soulbeat.api.errors import SafeJSONResponse, error_body

__all__ = ["BodyLimit", "BodyTooLarge"]


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "request body too large")
        self.limit = limit


class BodyLimit:
    """ASGI middleware refusing request bodies over `limit` bytes (module docstring)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            body = error_body(
                "request body too large",
                hint=f"the most this server accepts is {self.limit} bytes",
            )
            await SafeJSONResponse(body, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)
