"""`EventBus`: publishes events to in-process listeners and to async subscribers (SSE).

Contract:

- ``publish(name, data)`` is synchronous. It refuses unknown names (`ValueError`), gives the event
  the next id (1, 2, 3, ... per bus; ids restart with the process), appends it to a ring buffer of
  the last ``history`` events, queues it for every subscriber, then calls every listener (so an
  event a listener publishes in turn reaches subscribers after this one). It never blocks and
  never raises because of a listener or a subscriber.
- Listeners are plain synchronous callables ``fn(event)``, called in the order they were added. One
  that raises is logged and the others still run; one that returns an awaitable (an ``async def``
  passed by mistake) is logged as an error and its coroutine closed, never silently dropped.
- ``subscribe(after_id)`` is an async iterator: it first replays the buffered events whose id is
  greater than ``after_id`` (SSE ``Last-Event-ID`` resumption), then yields live events as they
  are published, with no gap and no duplicate between the two. It registers when iteration starts;
  ``after_id=None`` means "from then on" (pass ``bus.last_id`` to be sure of seeing everything
  published after that call). Events older than the ring buffer cannot be replayed.
- Slow subscribers: each subscriber has a queue of at most ``queue_size`` undelivered events. A
  publish that finds it full drops that subscriber instead of waiting or discarding events in the
  middle of its stream: the subscriber still receives what was queued, then its iteration ends.
  An SSE client then reconnects with the last id it saw and the replay fills in what fits in the
  ring buffer. ``dropped`` counts such subscribers.
- ``close()`` ends every subscription (after what they have queued) and refuses new ones; use it
  at shutdown so open SSE streams finish.

Not thread-safe: publish from the thread running the event loop of the subscribers.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

from soulbeat.clock import Clock
from soulbeat.events.models import Event, check_event_name

__all__ = ["EventBus", "Listener"]

log = logging.getLogger(__name__)

Listener = Callable[[Event], object]
"""An in-process listener: called synchronously with each event; its return value is ignored."""


class _Subscriber:
    """One subscription's undelivered events and its wake-up signal."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pending: deque[Event] = deque()
        self.ready = asyncio.Event()
        self.closed = False

    def offer(self, event: Event) -> bool:
        """Queue ``event``; False (and nothing queued) when the queue is full."""
        if len(self.pending) >= self.limit:
            return False
        self.pending.append(event)
        self.ready.set()
        return True

    def close(self) -> None:
        self.closed = True
        self.ready.set()


class EventBus:
    """Publishes events to listeners and subscribers; see the module docstring for the contract.

    ``history`` is how many recent events are kept for replay (`since`, ``subscribe(after_id)``);
    ``queue_size`` is how many undelivered events one subscriber may fall behind before it is
    dropped.
    """

    def __init__(self, clock: Clock, *, history: int = 1000, queue_size: int = 1000) -> None:
        if history < 1:
            raise ValueError(f"history must be at least 1, got {history}")
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        self._clock = clock
        self._history: deque[Event] = deque(maxlen=history)
        self._queue_size = queue_size
        self._listeners: list[Listener] = []
        self._subscribers: list[_Subscriber] = []
        self._last_id = 0
        self._closed = False
        self.dropped = 0
        """How many subscribers were dropped for falling ``queue_size`` events behind."""

    @property
    def last_id(self) -> int:
        """The id of the last event published (0 before the first)."""
        return self._last_id

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are currently receiving live events."""
        return len(self._subscribers)

    def publish(self, name: str, data: Mapping[str, Any]) -> Event:
        """Record and fan out one event; raises `ValueError` only for an unknown ``name``."""
        check_event_name(name)
        self._last_id += 1
        event = Event(self._last_id, name, self._clock.now(), data)
        self._history.append(event)
        for subscriber in list(self._subscribers):
            if not subscriber.offer(event):
                self._drop(subscriber)
        for listener in list(self._listeners):
            self._call(listener, event)
        return event

    def relay(self, event: Event) -> None:
        """Fan out an event that already has its id (from a durable journal that numbers events
        for several processes): buffered and queued like a published one, listeners not called.
        Ids must increase; an event at or below `last_id` is ignored (already relayed)."""
        if event.id <= self._last_id:
            return
        self._last_id = event.id
        self._history.append(event)
        for subscriber in list(self._subscribers):
            if not subscriber.offer(event):
                self._drop(subscriber)

    def reset(self, last_id: int) -> None:
        """Continue numbering after `last_id` (a journal's newest id) with an empty history."""
        self._last_id = last_id
        self._history.clear()

    def add_listener(self, fn: Listener) -> Callable[[], None]:
        """Call ``fn(event)`` for every event published from now on; returns an unsubscribe.

        The unsubscribe is idempotent. Adding the same callable twice calls it twice.
        """
        self._listeners.append(fn)

        def remove() -> None:
            if fn in self._listeners:
                self._listeners.remove(fn)

        return remove

    def since(self, after_id: int | None = None) -> list[Event]:
        """The buffered events with id greater than ``after_id`` (all of them for None), oldest
        first."""
        if after_id is None:
            return list(self._history)
        return [event for event in self._history if event.id > after_id]

    async def subscribe(self, after_id: int | None = None) -> AsyncGenerator[Event, None]:
        """Replay buffered events after ``after_id``, then yield live events until dropped or
        closed (see the module docstring). Close it (``contextlib.aclosing``) when done early."""
        if self._closed:
            return
        replay = [] if after_id is None else self.since(after_id)
        subscriber = _Subscriber(self._queue_size)
        self._subscribers.append(subscriber)
        try:
            for event in replay:
                yield event
            while True:
                if subscriber.pending:
                    yield subscriber.pending.popleft()
                    continue
                if subscriber.closed:
                    return
                subscriber.ready.clear()
                await subscriber.ready.wait()
        finally:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def close(self) -> None:
        """End every subscription once it has yielded what it holds; refuse new ones."""
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.close()
        self._subscribers.clear()

    def _drop(self, subscriber: _Subscriber) -> None:
        self.dropped += 1
        subscriber.close()
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)
        log.warning(
            "event subscriber fell %d behind and was dropped (it can resume from its last id)",
            subscriber.limit,
        )

    def _call(self, listener: Listener, event: Event) -> None:
        try:
            result = listener(event)
        except Exception:
            log.exception("event listener %r failed on %s #%d", listener, event.name, event.id)
            return
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            log.error(
                "event listener %r returned an awaitable; listeners must be synchronous "
                "(schedule async work yourself)",
                listener,
            )
