"""The bus as Server-Sent Events (`GET /api/events`).

Each event goes out as::

    event: beat.finished
    data: {"id": 42, "name": "beat.finished", "at": "...", "data": {...}}
    id: 42

The stream opens with a comment and a ``retry`` hint, sends a ``: keep-alive`` comment whenever
nothing happened for ``keepalive`` seconds, and ends when the bus closes (shutdown) or drops the
client for falling behind; a client reconnects with ``Last-Event-ID`` (or ``?after=``) and the
events still in the bus's history are replayed first. Event ids restart with the process: an id
greater than the last one published is from before a restart, and the whole history is replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from soulbeat.errors import ConfigError
from soulbeat.events.models import Event

__all__ = ["RETRY_MS", "event_stream", "parse_last_event_id", "to_sse"]

RETRY_MS = 2_000
"""How long a browser waits before reconnecting (sent once, at the start)."""


def parse_last_event_id(header: str | None, after: int | None) -> int | None:
    """The id to resume after: the ``Last-Event-ID`` header, else ``?after=``, else None (live
    events only). ConfigError (422) for a header that is not a whole number."""
    if header is None or not header.strip():
        return after
    text = header.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ConfigError(
            f"Last-Event-ID: {text[:40]!r} is not an event id (expected a whole number such as "
            "42, as sent in the stream's id: lines)",
            key="Last-Event-ID",
            value=text[:40],
        )
    return int(text)


def to_sse(event: Event) -> ServerSentEvent:
    return ServerSentEvent(data=event.to_dict(), event=event.name, id=str(event.id))


async def event_stream(
    events: AsyncIterator[Event], *, keepalive: float
) -> AsyncIterator[ServerSentEvent]:
    """`events` as SSE items with keep-alive comments in the quiet gaps.

    The next event is awaited in a task that survives a keep-alive timeout (cancelling the
    bus's iterator mid-wait would end the subscription); it is cancelled when the stream ends.
    """
    iterator = aiter(events)
    # Subscribe before the first byte goes out: a client that saw the opening comment has
    # missed nothing published after it.
    pending: asyncio.Future[Event] | None = asyncio.ensure_future(anext(iterator))
    try:
        yield ServerSentEvent(comment="soulbeat events", retry=RETRY_MS)
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=keepalive)
            if not done:
                yield ServerSentEvent(comment="keep-alive")
                continue
            finished, pending = pending, None
            try:
                event = finished.result()
            except StopAsyncIteration:
                return
            yield to_sse(event)
    finally:
        # Cancelling the waiting step ends the bus's generator (it unsubscribes on the way out);
        # aclose() then covers a step that never started. Neither may keep the stream open.
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            with contextlib.suppress(RuntimeError):
                await closer()
