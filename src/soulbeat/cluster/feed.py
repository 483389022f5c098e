"""`EventFeed`: this process's events into the journal, every process's events out of it.

Writing: the feed listens on the local `EventBus`; each event is queued and a writer task
appends what has queued up in one transaction (so a burst of events is one write). Reading: on
an `EVENTS` signal (or `poke()`), the feed reads the journal after the last id it delivered and
relays the entries, with their journal ids, to its own fan-out bus. `subscribe(after_id)` first
replays from the journal itself — so a client resuming after any process restarted still gets
what it missed — then continues live with no gap and no duplicate.

Events published before `start()` are written too; events still queued at `close()` are
written before it returns (unless the journal is unreachable: they are then logged and lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from datetime import timedelta

from soulbeat.clock import Clock
from soulbeat.cluster.base import EventJournal
from soulbeat.errors import StoreError
from soulbeat.events.bus import EventBus
from soulbeat.events.models import Event
from soulbeat.tasks import cancel_and_wait

__all__ = ["EventFeed"]

log = logging.getLogger(__name__)

BATCH = 500
"""How many events one journal write or read takes at most."""
READ_EVERY = timedelta(seconds=1)
"""How often the journal is read without a signal (a signal can be lost while reconnecting)."""


class EventFeed:
    """See the module docstring. `origin` names this process in the journal (its worker id)."""

    def __init__(self, journal: EventJournal, bus: EventBus, clock: Clock, *, origin: str) -> None:
        self._journal, self._bus, self._clock, self._origin = journal, bus, clock, origin
        self._out = EventBus(clock)
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()  # None: write and stop
        self._unlisten: Callable[[], None] | None = bus.add_listener(self._queue.put_nowait)
        self._seen = 0
        self._poked = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def last_id(self) -> int:
        """The journal id of the last event relayed to subscribers."""
        return self._seen

    async def start(self) -> None:
        """Start writing and reading; subscribers see entries newer than the journal's newest."""
        self._seen = await self._journal.last_event_id()
        self._out.reset(self._seen)
        self._writer = asyncio.create_task(self._write_forever(), name="event-feed-writer")
        self._reader = asyncio.create_task(self._read_forever(), name="event-feed-reader")

    def poke(self) -> None:
        """New entries may be in the journal: read them now."""
        self._poked.set()

    async def close(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._writer is not None:  # it writes what is queued, then ends
            self._queue.put_nowait(None)
            await asyncio.gather(self._writer, return_exceptions=True)
        else:
            with contextlib.suppress(StoreError):
                await self._flush()
        await cancel_and_wait(self._reader)
        self._writer = self._reader = None
        self._out.close()

    async def subscribe(self, after_id: int | None = None) -> AsyncGenerator[Event, None]:
        """Entries after `after_id` from the journal, then live ones; None: live ones only."""
        if after_id is None:
            async for event in self._out.subscribe(None):
                yield event
            return
        cursor = after_id
        while cursor < self._seen:  # catch up from the journal, then hand over to the fan-out
            backlog = await self._journal.events_after(cursor, limit=BATCH)
            if not backlog:
                break
            for event in backlog:
                if event.id > self._seen:
                    break
                yield event
                cursor = event.id
        async for event in self._out.subscribe(cursor):
            if event.id > cursor:
                cursor = event.id
                yield event

    async def _flush(self) -> None:
        """Write what is queued (close() without start())."""
        batch = [e for e in (self._queue.get_nowait() for _ in range(self._queue.qsize())) if e]
        for start in range(0, len(batch), BATCH):
            await self._journal.append_events(batch[start : start + BATCH], self._origin)

    async def _write_forever(self) -> None:
        stopping = False
        while not stopping:
            batch: list[Event] = []
            item = await self._queue.get()
            while True:
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
                if self._queue.empty() or len(batch) >= BATCH:
                    break
                item = self._queue.get_nowait()
            if not batch:
                continue
            try:
                await self._journal.append_events(batch, self._origin)
            except StoreError:
                log.exception("could not journal %d events; they are lost to streams", len(batch))

    async def _read_forever(self) -> None:
        while True:
            self._poked.clear()
            try:
                while entries := await self._journal.events_after(self._seen, limit=BATCH):
                    for event in entries:
                        self._out.relay(event)
                        self._seen = event.id
            except StoreError:
                log.exception("could not read the event journal; retrying")
            # Signals drive reading; the timed read covers a signal lost to a reconnect.
            await self._clock.sleep_until(self._clock.now() + READ_EVERY, self._poked)
