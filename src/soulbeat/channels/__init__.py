"""Where results go: the `Channel` protocol (`base`), the thread channel and webhooks.

See `soulbeat.channels.base` for the contract every channel keeps (SPEC §7.2). Choosing a channel
for a thread's target is the turn's business, not this package's.
"""

from soulbeat.channels.base import (
    DELIVERY_KINDS,
    INDICATORS,
    Channel,
    Delivery,
    DeliveryKind,
    Indicator,
    Receipt,
)
from soulbeat.channels.thread import ThreadChannel
from soulbeat.channels.webhook import WEBHOOK_KINDS, WebhookChannel, WebhookKind

__all__ = [
    "DELIVERY_KINDS",
    "INDICATORS",
    "WEBHOOK_KINDS",
    "Channel",
    "Delivery",
    "DeliveryKind",
    "Indicator",
    "Receipt",
    "ThreadChannel",
    "WebhookChannel",
    "WebhookKind",
]
