"""The `Channel` protocol: where a beat's result goes (SPEC §7.2), and what a delivery returns.

Contract for every channel (`ThreadChannel`, `WebhookChannel`, the test double
`soulbeat.testing.RecordingChannel`):

- ``deliver(delivery)`` delivers one message that the turn has already decided to send and
  returns a `Receipt`. It does not decide *whether* to send (visibility, dedupe and dry-run are the
  turn's business) and does not retry.
- It never raises because the delivery failed: an unreachable server, an HTTP error, a store that
  refused the write all come back as ``Receipt(ok=False, detail=...)`` with a detail a person can
  act on (what failed, where, why). It raises only for programming errors (a wrong argument type).
- A detail never contains a secret: no header values, no webhook tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from soulbeat.store.records import EffectRef

__all__ = [
    "DELIVERY_KINDS",
    "INDICATORS",
    "Channel",
    "Delivery",
    "DeliveryKind",
    "Indicator",
    "Receipt",
]

DeliveryKind = Literal["alert", "ok", "reasoning", "error"]
"""``alert`` a beat's message; ``ok`` the literal HEARTBEAT_OK sent on acks with ``show_ok``;
``reasoning`` the reasoning delivered before an alert with ``include_reasoning``; ``error`` a
failed beat reported to the person."""

Indicator = Literal["ok", "alert", "error"]
"""The status shown next to a delivery when ``use_indicator`` is on (None when it is off)."""

DELIVERY_KINDS: tuple[str, ...] = get_args(DeliveryKind)
INDICATORS: tuple[str, ...] = get_args(Indicator)


@dataclass(frozen=True)
class Delivery:
    """One message to deliver.

    ``thread_id`` the thread it belongs to; ``beat_id`` the beat that produced it (None outside a
    beat); ``to`` the recipient override configured with the target (what each channel does with
    it is documented on the channel); ``agent_id`` the agent speaking; ``effect`` the beat's
    effect this delivery is (SPEC §9.4; None outside a beat): a channel makes the delivery
    idempotent on it (the thread channel stores one message per effect, a webhook sends
    ``Idempotency-Key: <beat key>:<index>``). ``kind`` and ``indicator``
    are checked on construction (`ValueError`), since a wrong value is a programming error.
    """

    thread_id: str
    text: str
    kind: DeliveryKind
    indicator: Indicator | None
    beat_id: int | None = None
    to: str | None = None
    agent_id: str | None = None
    effect: EffectRef | None = None

    def __post_init__(self) -> None:
        if self.kind not in DELIVERY_KINDS:
            raise ValueError(f"delivery kind {self.kind!r} is not one of {DELIVERY_KINDS}")
        if self.indicator is not None and self.indicator not in INDICATORS:
            raise ValueError(f"indicator {self.indicator!r} is not one of {INDICATORS} or None")


@dataclass(frozen=True)
class Receipt:
    """What a channel reports back for one delivery; goes on the beat's audit record.

    ``channel`` the channel's name; ``ok`` whether it was delivered; ``detail`` one line for a
    person (on failure: what to fix); ``message_id`` the stored message (thread channel);
    ``status_code`` the last HTTP status seen (webhooks; None when no response came back).
    """

    channel: str
    ok: bool
    detail: str
    message_id: int | None = None
    status_code: int | None = None


class Channel(Protocol):
    """Delivers one message and returns a `Receipt`; see the module docstring for the contract."""

    @property
    def name(self) -> str:
        """The name a thread's ``target`` uses to pick this channel (``thread``, a webhook's)."""
        ...

    async def deliver(self, delivery: Delivery) -> Receipt:
        """Deliver ``delivery``; a failure is a Receipt with ``ok=False``, never an exception."""
        ...
