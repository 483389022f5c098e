"""Effects happen once per slot (SPEC §9.4): each effect of a beat is numbered and recorded.

A beat's effects are what it does to the world: each action it carries out (a message, a post,
a comment, a vote, an action-log row) and each delivery that is not an action (the reasoning
before an alert, the ``HEARTBEAT_OK`` of ``show_ok``). `BeatEffects` numbers them in the order
the beat makes them — the same order on every attempt, since the decision is replayed
(`soulbeat.turn.decisions`) — and names each by an `EffectRef`: the beat key and that index.

Before an effect is made its record is looked up (all of the beat's records are read once, when
the beat starts):

* ``done`` with a result — an earlier attempt made it: the result is reused, nothing is done;
* ``started`` — an earlier attempt began an effect outside the database (a webhook call) and
  died before it learned the outcome: it is made again under the same ref (the webhook carries
  the same ``Idempotency-Key``, so the receiver can drop the copy), and the audit says so
  (``retried_unknown``);
* none — it is made now.

Effects inside soulbeat's own database are recorded in the same transaction as the effect
(a thread message: `BeatStore.add_message` with ``effect=``), so they happen exactly once.
`Acting` records every action's result (`finish`) once it is known, and `Deliverer` marks a
delivery ``started`` before it sends and ``done`` after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from soulbeat.actions.executor import ActionResult
from soulbeat.actions.models import Problem
from soulbeat.channels.base import Receipt
from soulbeat.clock import Clock
from soulbeat.store.base import BeatStore
from soulbeat.store.records import Effect, EffectRef

__all__ = ["BeatEffects", "result_from_record"]


class BeatEffects:
    """The numbered, recorded effects of one beat (module docstring)."""

    def __init__(
        self, store: BeatStore, clock: Clock, key: str, recorded: Mapping[int, Effect]
    ) -> None:
        self._store, self._clock, self.key = store, clock, key
        self._recorded = dict(recorded)
        self._next = 0
        self.reused: list[int] = []
        """Indices whose recorded result was reused instead of doing the effect again."""
        self.retried_unknown: list[int] = []
        """Indices begun by an earlier attempt with an unknown outcome, and made again."""

    @classmethod
    async def load(cls, store: BeatStore, clock: Clock, key: str) -> BeatEffects:
        found = await store.effects(key)
        return cls(store, clock, key, {effect.index: effect for effect in found})

    def next(self, kind: str) -> EffectRef:
        """The ref of the beat's next effect."""
        ref = EffectRef(self.key, self._next, kind)
        self._next += 1
        return ref

    def recorded(self, ref: EffectRef) -> Effect | None:
        return self._recorded.get(ref.index)

    def reuse(self, ref: EffectRef, what: str) -> Mapping[str, Any] | None:
        """The recorded ``what`` (e.g. ``result``) of a done effect, noted as reused; or None."""
        effect = self.recorded(ref)
        if effect is None or effect.state != "done" or what not in effect.data:
            return None
        if ref.index not in self.reused:
            self.reused.append(ref.index)
        found: Mapping[str, Any] = effect.data[what]
        return found

    def unknown(self, ref: EffectRef) -> bool:
        """Whether an earlier attempt began this effect and died before knowing how it went."""
        effect = self.recorded(ref)
        return effect is not None and effect.state == "started"

    async def start(self, ref: EffectRef) -> None:
        """Record that an effect outside the database is about to be made."""
        if self.unknown(ref) and ref.index not in self.retried_unknown:
            self.retried_unknown.append(ref.index)
        self._recorded[ref.index] = await self._store.start_effect(ref, self._now())

    async def finish(self, ref: EffectRef, data: Mapping[str, Any]) -> None:
        """Record what an effect produced (merged into what its record already holds)."""
        self._recorded[ref.index] = await self._store.finish_effect(ref, data, self._now())

    def as_record(self) -> dict[str, Any]:
        """For the audit: how many effects, which were reused, which were retried."""
        return {
            "count": self._next,
            "reused": list(self.reused),
            "retried_unknown": list(self.retried_unknown),
        }

    def _now(self) -> datetime:
        return self._clock.now()


def result_from_record(data: Mapping[str, Any]) -> ActionResult:
    """The `ActionResult` whose `as_record()` is ``data``."""
    receipt = data.get("receipt")
    retry_after = data.get("retry_after")
    return ActionResult(
        type=str(data["type"]),
        status=data["status"],
        action=dict(data.get("action") or {}),
        problems=tuple(
            Problem(p["field"], p["message"], p.get("level", "error"))
            for p in data.get("problems") or ()
        ),
        receipt=None if receipt is None else receipt_from_record(receipt),
        detail=str(data.get("detail") or ""),
        retry_after=None if retry_after is None else datetime.fromisoformat(retry_after),
        approval_id=data.get("approval_id"),
    )


def receipt_from_record(data: Mapping[str, Any]) -> Receipt:
    """The `Receipt` of `receipt_record` (also the shape of a delivery record's receipt part)."""
    return Receipt(
        channel=str(data["channel"]),
        ok=bool(data["ok"]),
        detail=str(data.get("detail") or ""),
        message_id=data.get("message_id"),
        status_code=data.get("status_code"),
    )
