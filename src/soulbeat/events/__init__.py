"""What happened: event names and records (`models`) and the in-process bus (`bus`).

See `soulbeat.events.bus` for the publishing and subscription contract (SPEC §7.5).
"""

from soulbeat.events.bus import EventBus, Listener
from soulbeat.events.models import EVENT_NAMES, Event, EventSink, check_event_name

__all__ = ["EVENT_NAMES", "Event", "EventBus", "EventSink", "Listener", "check_event_name"]
