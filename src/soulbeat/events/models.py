"""What happened, as events (SPEC §7.5): the names, the `Event` record and the `EventSink` port.

Names are dotted and past tense (``beat.finished``). The list is closed: `EVENT_NAMES` holds every
name soulbeat publishes, and `check_event_name` refuses anything else with a `ValueError`, because
a misspelt name would otherwise be an event nobody ever receives.

``action.*``: ``proposed`` when the model's action has been read, then one per status it ends in
(``executed``, ``would_do``, ``pending_approval``, ``rate_limited``, ``rejected``, ``failed``,
``unsupported`` for ``unsupported-until-ledger``). A person's decision on a waiting action
publishes ``action.approved`` and then the result's event (``action.executed`` or
``action.failed``), or ``action.rejected``; those carry ``approval_id``.

``ledger.*``: the board's writes (`soulbeat.ledger.LedgerService`), by people and agents alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

__all__ = ["EVENT_NAMES", "Event", "EventSink", "check_event_name"]

EVENT_NAMES: tuple[str, ...] = (
    "beat.started",
    "beat.finished",
    "action.executed",
    "action.proposed",
    "action.rejected",
    "action.rate_limited",
    "action.pending_approval",
    "action.would_do",
    "action.failed",
    "action.unsupported",
    "action.approved",
    "ledger.submolt_created",
    "ledger.post_created",
    "ledger.comment_created",
    "ledger.vote_cast",
    "delivery.sent",
    "delivery.failed",
    "config.changed",
    "scheduler.started",
    "scheduler.stopped",
    "message.created",
    "soul.changed",
    # issue 15: the agent's memory between beats and its tools
    "memory.changed",
    "scratch.changed",
    "tool.called",
)
"""Every event name soulbeat publishes; publishing any other name is a bug."""

_KNOWN = frozenset(EVENT_NAMES)


def check_event_name(name: str) -> str:
    """Return ``name`` when it is in `EVENT_NAMES`; raise `ValueError` naming it otherwise."""
    if name not in _KNOWN:
        raise ValueError(f"unknown event name {name!r} (known: {', '.join(EVENT_NAMES)})")
    return name


@dataclass(frozen=True)
class Event:
    """One published event.

    ``id`` increases by one per event published on a bus (it is what SSE sends as the event id
    and what a reconnecting client passes back as ``Last-Event-ID``); ``at`` is aware UTC from the
    bus's clock; ``data`` is a read-only copy of what the publisher passed, JSON-ready by
    convention (strings, numbers, booleans, None, lists and mappings of them).
    """

    id: int
    name: str
    at: datetime
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not isinstance(self.data, MappingProxyType):
            object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict: ``{"id", "name", "at" (ISO 8601), "data"}``."""
        return {
            "id": self.id,
            "name": self.name,
            "at": self.at.isoformat(),
            "data": dict(self.data),
        }


class EventSink(Protocol):
    """Where a component reports what happened; `EventBus` is the implementation.

    Contract: ``publish`` is synchronous and quick, raises `ValueError` for a name not in
    `EVENT_NAMES` (a programming error) and nothing else; what it returns is not used.
    """

    def publish(self, name: str, data: Mapping[str, Any]) -> object: ...
