"""What the stores keep for processes that share a database (`soulbeat.cluster` speaks these):
the signal topics, a wake handed to the workers, and the shape of a journalled event.

They live here, below `soulbeat.cluster`, so a store can read and write them without importing
anything above `soulbeat.store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = ["CHANGED", "EVENTS", "Journaled", "MakeEvent", "WakeRequest"]

CHANGED = "changed"
"""The signal topic: a flag, thread, schedule or queued event changed; workers make a pass."""
EVENTS = "events"
"""The signal topic: the journal has new entries."""


@dataclass(frozen=True)
class WakeRequest:
    """A wake asked for by a process without a scheduler, for whichever worker takes it."""

    thread_id: str
    skill: str
    reason: str
    at: datetime


class Journaled(Protocol):
    """What a journal keeps of an event (`soulbeat.events.models.Event` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def data(self) -> Mapping[str, Any]: ...


class MakeEvent(Protocol):
    """Turns a journal row back into the caller's event type (wiring passes `Event`)."""

    def __call__(self, id: int, name: str, at: datetime, data: dict[str, Any], /) -> Any: ...
