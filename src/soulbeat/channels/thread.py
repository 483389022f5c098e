"""`ThreadChannel`: the default target — a delivery becomes an assistant message in its thread.

Every kind (alert, ok, reasoning, error) is appended the same way, with the beat id, and then
announced as a ``message.created`` event so SSE clients (the panel) show it at once. The event's
data: ``thread_id``, ``message_id``, ``role`` (``assistant``), ``text``, ``kind``, ``indicator``
(None when the thread does not use indicators), ``beat_id``, ``channel`` and ``created_at``.

The message is what counts: once it is stored the receipt is ``ok`` even if publishing the event
fails (that failure is logged). A store that refuses the write (an unknown thread, a broken
database) gives ``Receipt(ok=False)`` naming the thread and the store's reason.
"""

from __future__ import annotations

import logging

from soulbeat.channels.base import Delivery, Receipt
from soulbeat.clock import Clock
from soulbeat.errors import StoreError
from soulbeat.events.models import EventSink
from soulbeat.store.base import BeatStore
from soulbeat.store.records import Message

__all__ = ["ThreadChannel"]

log = logging.getLogger(__name__)


class ThreadChannel:
    """Appends deliveries to their thread as assistant messages and publishes
    ``message.created``; ``events`` may be None (nothing is published)."""

    def __init__(
        self, store: BeatStore, clock: Clock, events: EventSink | None, *, name: str = "thread"
    ) -> None:
        self._store = store
        self._clock = clock
        self._events = events
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    async def deliver(self, delivery: Delivery) -> Receipt:
        try:
            message = await self._store.add_message(
                delivery.thread_id,
                "assistant",
                delivery.text,
                self._clock.now(),
                channel=self._name,
                beat_id=delivery.beat_id,
            )
        except (StoreError, OSError) as error:
            detail = f"{self._name}: could not add the message to thread {delivery.thread_id!r}"
            return Receipt(self._name, False, f"{detail}: {error}")
        self._announce(message, delivery)
        return Receipt(
            self._name,
            True,
            f"{self._name}: message {message.id} added to thread {delivery.thread_id!r}",
            message_id=message.id,
        )

    def _announce(self, message: Message, delivery: Delivery) -> None:
        if self._events is None:
            return
        data = {
            "thread_id": message.thread_id,
            "message_id": message.id,
            "role": message.role,
            "text": message.text,
            "kind": delivery.kind,
            "indicator": delivery.indicator,
            "beat_id": message.beat_id,
            "channel": self._name,
            "created_at": message.created_at.isoformat(),
        }
        try:
            self._events.publish("message.created", data)
        except Exception:
            log.exception("message %d was stored but message.created was not published", message.id)
