"""Where a beat's results go (SPEC §7.2): the route for a thread's target, and the deliveries.

`resolve_route` picks the channel:

==============  ==========================================================================
``thread``      the thread channel (the alert becomes an assistant message in the thread)
``last``        the channel the person last used in the thread (``Thread.last_channel``) when
                it names a configured channel, else the thread channel
``none``        no channel: nothing is delivered
a name          that configured channel (a webhook), with ``to`` as the recipient override;
                a name no channel has is a route with a ``problem`` (every delivery fails)
==============  ==========================================================================

`Deliverer` sends the deliveries of one beat over its route and keeps a `DeliveryRecord` of
each. In dry-run it sends nothing and records ``would-do`` — or ``failed`` with the route's
problem when the target names no channel, so a dry run shows a misconfigured target too. Each
delivery that is not ``would-do`` is published as ``delivery.sent`` or ``delivery.failed``
(with the indicator when ``use_indicator`` is on). The turn never writes the thread's
transcript itself: only the thread channel does, for what it delivers — so heartbeat prompts
and acks never enter it unless ``show_ok`` sends one.

A delivery that is a beat's effect (``effect`` given, and the beat's `BeatEffects`) happens once
per slot (SPEC §9.4): one recorded ``done`` by an earlier attempt is not sent again (its record
is reused: ``reused``); otherwise it is marked ``started`` first, sent with the effect (the
channel's idempotency key) and recorded ``done`` with its record. One an earlier attempt started
without learning the outcome is sent again under the same key and marked ``retried_unknown``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from soulbeat.actions.executor import MessageSender
from soulbeat.actions.models import MessageAction
from soulbeat.channels.base import Channel, Delivery, DeliveryKind, Indicator, Receipt
from soulbeat.events.models import EventSink
from soulbeat.store.records import EffectRef, Thread
from soulbeat.turn.effects import BeatEffects, receipt_from_record

__all__ = ["Deliverer", "DeliveryRecord", "DeliveryStatus", "Route", "resolve_route"]

log = logging.getLogger(__name__)

DeliveryStatus = Literal["sent", "failed", "would-do"]


@dataclass(frozen=True)
class Route:
    """The channel a thread's target resolves to; ``channel`` None delivers nothing."""

    target: str
    channel: Channel | None
    to: str | None = None
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.channel.name if self.channel is not None else "none"

    @property
    def delivers(self) -> bool:
        """False only for target ``none``; an unknown channel name still tries (and fails)."""
        return self.target != "none"


def resolve_route(
    target: str,
    to: str | None,
    thread: Thread,
    channels: Mapping[str, Channel],
    thread_channel: Channel,
) -> Route:
    """The route of a thread's ``target`` (module docstring)."""
    if target == "none":
        return Route(target, None)
    if target == "thread":
        return Route(target, thread_channel, to)
    if target == "last":
        last = channels.get(thread.last_channel) if thread.last_channel else None
        return Route(target, last, to) if last is not None else Route(target, thread_channel)
    channel = channels.get(target)
    if channel is None:
        known = ", ".join(sorted(channels)) or "none"
        problem = f"target {target!r} names no configured channel (configured: {known})"
        return Route(target, None, to, problem)
    return Route(target, channel, to)


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery of a beat, for the audit record."""

    kind: DeliveryKind
    text: str
    channel: str
    to: str | None
    indicator: Indicator | None
    status: DeliveryStatus
    receipt: Receipt | None = None
    reused: bool = False
    """Recorded by an earlier attempt of the beat and not sent again."""
    retried_unknown: bool = False
    """Sent again: an earlier attempt sent it and died before it learned the outcome."""

    def as_record(self) -> dict[str, Any]:
        receipt = self.receipt
        extra: dict[str, Any] = {}
        if self.reused:
            extra["reused"] = True
        if self.retried_unknown:
            extra["retried_unknown"] = True
        return extra | {
            "kind": self.kind,
            "text": self.text,
            "channel": self.channel,
            "to": self.to,
            "indicator": self.indicator,
            "status": self.status,
            "ok": receipt.ok if receipt is not None else None,
            "detail": receipt.detail if receipt is not None else "dry run: not sent",
            "message_id": receipt.message_id if receipt is not None else None,
            "status_code": receipt.status_code if receipt is not None else None,
        }


class Deliverer:
    """Sends one beat's deliveries over ``route`` (module docstring)."""

    def __init__(
        self,
        route: Route,
        *,
        thread_id: str,
        beat_id: int | None,
        agent_id: str | None,
        dry_run: bool,
        events: EventSink | None,
        effects: BeatEffects | None = None,
    ) -> None:
        self.route = route
        self._thread_id, self._beat_id, self._agent_id = thread_id, beat_id, agent_id
        self._dry_run = dry_run
        self._events = events
        self._effects = effects
        self.records: list[DeliveryRecord] = []

    async def send(
        self,
        kind: DeliveryKind,
        text: str,
        indicator: Indicator | None,
        effect: EffectRef | None = None,
    ) -> DeliveryRecord:
        """Deliver one message (or record it ``would-do`` in dry-run); ``effect``: the beat's
        effect it is, made once per slot (module docstring)."""
        channel, to = self.route.channel, self.route.to
        if channel is None:
            detail = self.route.problem or "the target is none: nothing is delivered"
            receipt = Receipt(self.route.target, False, detail)
            record = DeliveryRecord(kind, text, self.route.target, to, indicator, "failed", receipt)
        elif self._dry_run:
            record = DeliveryRecord(kind, text, channel.name, to, indicator, "would-do")
        else:
            record = await self._deliver(channel, kind, text, indicator, effect)
        self.records.append(record)
        if not record.reused:
            self._publish(record)
        return record

    async def _deliver(
        self,
        channel: Channel,
        kind: DeliveryKind,
        text: str,
        indicator: Indicator | None,
        effect: EffectRef | None,
    ) -> DeliveryRecord:
        to, effects = self.route.to, self._effects if effect is not None else None
        if effects is not None and effect is not None:
            kept = effects.reuse(effect, "delivery")
            if kept is not None:
                return _reused(kept, kind, text, indicator)
            retried = effects.unknown(effect)
            await effects.start(effect)
        delivery = Delivery(
            self._thread_id, text, kind, indicator, self._beat_id, to, self._agent_id, effect
        )
        receipt = await channel.deliver(delivery)
        status: DeliveryStatus = "sent" if receipt.ok else "failed"
        record = DeliveryRecord(kind, text, channel.name, to, indicator, status, receipt)
        if effects is not None and effect is not None:
            record = replace(record, retried_unknown=retried)
            if receipt.ok:  # a failed delivery is not done: a re-run tries it again
                await effects.finish(effect, {"delivery": record.as_record()})
        return record

    def recall(self, effect: EffectRef, indicator: Indicator | None) -> None:
        """Put the delivery an earlier attempt recorded under ``effect`` (if any) on this
        attempt's records, not sending it: its action's recorded result is being reused."""
        kept = self._effects.reuse(effect, "delivery") if self._effects is not None else None
        if kept is not None:
            kind = kept.get("kind", "alert")
            self.records.append(_reused(kept, kind, str(kept.get("text", "")), indicator))

    def sender(self, indicator: Indicator | None, effect: EffectRef | None = None) -> MessageSender:
        """A `MessageSender` for the action executor: a message action becomes an alert (the
        beat's effect ``effect``, when given)."""

        async def deliver(action: MessageAction) -> Receipt:
            record = await self.send("alert", action.text, indicator, effect)
            return record.receipt or Receipt(record.channel, True, "dry run: not sent")

        return deliver

    def _publish(self, record: DeliveryRecord) -> None:
        if self._events is None or record.status == "would-do":
            return
        name = "delivery.sent" if record.status == "sent" else "delivery.failed"
        data = {"thread_id": self._thread_id, "beat_id": self._beat_id, **record.as_record()}
        try:
            self._events.publish(name, data)
        except Exception:
            log.exception("%s could not be published for beat %s", name, self._beat_id)


def _reused(
    kept: Mapping[str, Any], kind: DeliveryKind, text: str, indicator: Indicator | None
) -> DeliveryRecord:
    """The delivery an earlier attempt recorded, as this attempt's record (not sent again)."""
    receipt = receipt_from_record(kept)
    return DeliveryRecord(
        kind,
        str(kept.get("text", text)),
        receipt.channel,
        kept.get("to"),
        indicator,
        "sent",
        receipt,
        reused=True,
    )
