"""`RecordingChannel`, the test double for `Channel`."""

from __future__ import annotations

import pytest

from soulbeat.channels import Channel, Delivery
from soulbeat.testing.channel import RecordingChannel


async def test_it_records_deliveries_and_returns_ok_receipts() -> None:
    channel: Channel = RecordingChannel()
    first = await channel.deliver(Delivery("t1", "one", "alert", "alert"))
    second = await channel.deliver(Delivery("t1", "two", "ok", None))
    assert (first.ok, first.channel, first.message_id) == (True, "recording", 1)
    assert second.message_id == 2
    assert isinstance(channel, RecordingChannel)
    assert channel.texts == ["one", "two"]
    assert [r.ok for r in channel.receipts] == [True, True]


async def test_a_failing_channel_records_the_attempt_and_says_not_ok() -> None:
    channel = RecordingChannel("ops", fail=True)
    receipt = await channel.deliver(Delivery("t1", "lost", "alert", None))
    assert (receipt.ok, receipt.channel, receipt.message_id) == (False, "ops", None)
    assert "set to fail" in receipt.detail
    assert [d.text for d in channel.deliveries] == ["lost"]
    assert channel.texts == []
    channel.fail = False
    await channel.deliver(Delivery("t1", "kept", "alert", None))
    assert channel.texts == ["kept"]
    channel.clear()
    assert (channel.deliveries, channel.receipts) == ([], [])


async def test_anything_but_a_delivery_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        await RecordingChannel().deliver("text")  # type: ignore[arg-type]
