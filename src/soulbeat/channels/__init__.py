"""Where results go: the `Channel` protocol (`base`), the thread channel and webhooks.

See `soulbeat.channels.base` for the contract every channel keeps (SPEC §7.2). Choosing a channel
for a thread's target is the turn's business, not this package's.
"""

from typing import TYPE_CHECKING

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
from soulbeat.importing import lazy_names

if TYPE_CHECKING:
    from soulbeat.channels.webhook import WEBHOOK_KINDS, WebhookChannel, WebhookKind
else:  # the webhook channel (and httpx) only when named: a worker may have none (issue 12)
    __getattr__ = lazy_names(
        __name__, {name: "webhook" for name in ("WEBHOOK_KINDS", "WebhookChannel", "WebhookKind")}
    )

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
