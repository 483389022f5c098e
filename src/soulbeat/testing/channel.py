"""`RecordingChannel`: a `Channel` that remembers what it was given instead of sending it."""

from __future__ import annotations

from soulbeat.channels.base import Delivery, Receipt

__all__ = ["RecordingChannel"]


class RecordingChannel:
    """A `Channel` for tests: every delivery is recorded, in order, with the receipt returned.

    With ``fail=True`` (settable at any time) deliveries are still recorded but the receipt says
    ``ok=False``, as a real channel's would for an unreachable target. ``message_id`` counts
    successful deliveries from 1, like stored messages would.
    """

    def __init__(self, name: str = "recording", *, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.deliveries: list[Delivery] = []
        self.receipts: list[Receipt] = []

    async def deliver(self, delivery: Delivery) -> Receipt:
        if not isinstance(delivery, Delivery):
            raise TypeError(f"deliver expects a Delivery, got {type(delivery).__name__}")
        self.deliveries.append(delivery)
        if self.fail:
            receipt = Receipt(self.name, False, f"{self.name}: set to fail (test double)")
        else:
            sent = sum(1 for r in self.receipts if r.ok) + 1
            receipt = Receipt(self.name, True, f"{self.name}: recorded", message_id=sent)
        self.receipts.append(receipt)
        return receipt

    @property
    def texts(self) -> list[str]:
        """The text of every delivery made while not failing, in order."""
        return [d.text for d, r in zip(self.deliveries, self.receipts, strict=True) if r.ok]

    def clear(self) -> None:
        """Forget everything recorded so far."""
        self.deliveries.clear()
        self.receipts.clear()
