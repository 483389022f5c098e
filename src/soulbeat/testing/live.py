"""`AppServer`: an ASGI app on a real uvicorn, on 127.0.0.1 and a free port, in a thread.

For wire tests that need real TCP — sync clients (schemathesis) and async ones alike, SSE,
a remote client pointed at soulbeat's own routes. The app comes from `make_app`, an async context
manager entered on the server's own event loop, so whatever it opens (a service, a store) lives
and closes on that loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Self

import uvicorn

START_LIMIT = 20.0
"""Seconds to wait for the server to start or stop before the test fails."""


class AppServer:
    """Serves the app made by `make_app()` while the `with` block runs; `url` is its address."""

    def __init__(
        self,
        make_app: Callable[[], AbstractAsyncContextManager[Any]],
        *,
        name: str = "soulbeat-app-server",
    ) -> None:
        self.make_app = make_app
        self._name = name
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each accepted connection (it
        # checks the protocol number): without it Nagle holds the body written after the
        # headers until the client's delayed ACK, about 40 ms per request.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=START_LIMIT) or self._error is not None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the server did not start: {self._error!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_LIMIT)
            assert not self._thread.is_alive(), "the server did not stop"
        self._sock.close()
        if self._error is not None and exc is None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to the test's thread by __enter__/__exit__
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        async with self.make_app() as app:
            config = uvicorn.Config(
                app,
                lifespan="off",
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=1,
            )
            self._server = server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve(sockets=[self._sock]))
            while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn has a flag)
                await asyncio.sleep(0.01)
            self._ready.set()
            await task
