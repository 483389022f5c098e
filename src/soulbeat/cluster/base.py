"""The two protocols processes on one database share (see the package docstring)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from soulbeat.events.models import Event
from soulbeat.store.records_cluster import CHANGED, EVENTS, WakeRequest

__all__ = ["CHANGED", "EVENTS", "ChangeSignals", "EventJournal", "WakeRequest", "WakeRequests"]


class EventJournal(Protocol):
    """A durable log of events. Ids increase in the order entries become visible to readers, so
    a reader that has seen id N never later finds a new entry below N."""

    async def append_events(self, events: Sequence[Event], origin: str) -> list[int]:
        """Store `events` (their own ids are ignored) in one transaction; return the new ids,
        in order. Readers are told (`EVENTS` signal) when it commits."""

    async def events_after(self, after_id: int, *, limit: int = 500) -> list[Event]:
        """Up to `limit` entries with id greater than `after_id`, oldest first."""

    async def last_event_id(self) -> int:
        """The newest entry's id; 0 for an empty journal."""


class WakeRequests(Protocol):
    """Wakes handed from API-only processes to workers; each is taken by exactly one worker."""

    async def request_wake(self, request: WakeRequest) -> None:
        """Store the request; workers are signalled (`CHANGED`) when it commits."""

    async def take_wakes(self, *, limit: int = 100) -> list[WakeRequest]:
        """Remove and return up to `limit` requests, oldest first; concurrent takers never get
        the same one."""


class ChangeSignals(Protocol):
    """Signals from every process on the database, this one included."""

    def listen(self) -> AsyncIterator[str]:
        """Yield topics (`CHANGED`, `EVENTS`) as they arrive, until closed or cancelled. After a
        lost connection it reconnects and yields both topics once, since signals sent meanwhile
        are lost and the listener must catch up by reading."""
