"""The records of issue 16's tables: one-shot reminders and a thread's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["NewReminder", "Reminder", "ReminderStatus", "ThreadHealth"]

ReminderStatus = Literal["pending", "done", "cancelled"]
ReminderAuthor = Literal["person", "model"]


@dataclass(frozen=True)
class NewReminder:
    """A reminder to store: a beat of ``thread_id`` at ``due_at`` with ``text`` as its event."""

    thread_id: str
    text: str
    due_at: datetime
    created_at: datetime
    urgent: bool = False
    """Urgent reminders fire outside active hours too (SPEC §9.2)."""
    created_by: ReminderAuthor = "person"


@dataclass(frozen=True)
class Reminder:
    """A stored reminder. ``event_id`` is set once it fired (its text was queued as an event);
    ``beat_key`` and ``settled_at`` once its beat finished or it was cancelled."""

    id: int
    thread_id: str
    text: str
    due_at: datetime
    created_at: datetime
    urgent: bool
    created_by: str
    status: ReminderStatus
    event_id: int | None = None
    beat_key: str | None = None
    settled_at: datetime | None = None

    @property
    def reason(self) -> str:
        """The wake reason of its beat, ``reminder:<id>``."""
        return f"reminder:{self.id}"


@dataclass(frozen=True)
class ThreadHealth:
    """How a thread's beats have gone lately (`soulbeat.schedule.health` keeps it).

    ``failed_streak`` counts consecutive ``failed`` beats; ``dead_at`` is when the dead-man
    check declares the thread unhealthy if no beat finishes well before it; ``unhealthy_since``
    is set during an unhealthy episode (``episode`` numbers them) and ``alerted_at`` once that
    episode's one alert was claimed."""

    thread_id: str
    updated_at: datetime
    failed_streak: int = 0
    last_ok_at: datetime | None = None
    last_failed_at: datetime | None = None
    dead_at: datetime | None = None
    unhealthy_since: datetime | None = None
    reason: str | None = None
    episode: int = 0
    alerted_at: datetime | None = None

    @property
    def unhealthy(self) -> bool:
        return self.unhealthy_since is not None
