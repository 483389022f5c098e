"""`ChannelAlerts`: the `AlertSink` of the dead-man check (issue 16) over soulbeat's channels.

``health_target`` names where an unhealthy thread's one alert goes: ``thread`` (into the thread
itself, through the thread channel) or a channel configured under ``[channels]``; ``none`` sends
nothing (the health check never calls the sink then). An unknown channel is logged, not raised:
the alert is already claimed for its episode, and a failed send is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from soulbeat.channels.base import Channel, Delivery

__all__ = ["ChannelAlerts"]

log = logging.getLogger(__name__)


class ChannelAlerts:
    """Delivers health alerts to the thread channel or a named webhook channel."""

    def __init__(self, channels: Mapping[str, Channel], thread_channel: Channel) -> None:
        self._channels, self._thread = channels, thread_channel
        self.sent: list[tuple[str, str, str]] = []
        """(target, thread id, text) of every alert handed to a channel, for status and tests."""

    async def send_alert(self, target: str, thread_id: str, text: str) -> None:
        channel = self._thread if target == "thread" else self._channels.get(target)
        if channel is None:
            log.warning("health alert of %r: no channel %r is configured", thread_id, target)
            return
        receipt = await channel.deliver(Delivery(thread_id, text, "alert", "error"))
        self.sent.append((target, thread_id, text))
        if not receipt.ok:
            log.warning("health alert of %r to %r failed: %s", thread_id, target, receipt.detail)
