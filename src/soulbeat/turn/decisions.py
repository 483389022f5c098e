"""The model's decision, recorded before any effect (SPEC §9.4), and replayed after a crash.

`RecordedModel` stands between one beat and its provider. Round ``n`` of the beat's exchange
(`soulbeat.turn.rounds.exchange`) asks it for a completion:

* when the store holds a decision for (beat key, ``n``) — an earlier attempt of this beat got that
  far before it died — that recorded completion is the answer, and the model is not asked again;
* otherwise the provider is asked, and its completion is recorded (`BeatStore.record_decision`)
  before it is returned, i.e. before the turn reads it and acts on it. Should two attempts race,
  the first record wins and both go on with it.

The reply, the tool calls (the proposed actions) and the text the turn delivers all follow from
the recorded completions and the beat's config, so a re-run produces the same effects with the
same indices, and `soulbeat.turn.effects` performs only those without a record. A failed model call
records nothing: the next attempt asks again.

`completion_record` / `completion_from_record` are the JSON form of a `Completion`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from soulbeat.clock import Clock
from soulbeat.llm.base import ChatRequest, Completion, ToolCall, Usage
from soulbeat.llm.base import LLMProvider as Provider
from soulbeat.store.base import BeatStore

__all__ = ["RecordedModel", "completion_from_record", "completion_record"]


def completion_record(completion: Completion) -> dict[str, Any]:
    """A completion as JSON-ready data (every field; `raw` made JSON-safe)."""
    data = asdict(completion)
    data["raw"] = json.loads(json.dumps(completion.raw, default=str))
    return data


def completion_from_record(data: Mapping[str, Any]) -> Completion:
    """The completion `completion_record` wrote."""
    calls = tuple(ToolCall(**call) for call in data.get("tool_calls") or ())
    return Completion(**{**data, "tool_calls": calls, "usage": Usage(**data["usage"])})


class RecordedModel:
    """One beat's provider, with its decisions recorded and replayed (module docstring).

    `replayed` counts the rounds answered from the record (for the audit)."""

    def __init__(
        self,
        provider: Provider,
        store: BeatStore,
        clock: Clock,
        key: str,
        recorded: list[Mapping[str, Any]],
    ) -> None:
        self._provider, self._store, self._clock, self._key = provider, store, clock, key
        self._recorded = recorded
        self._round = 0
        self.replayed = 0

    @classmethod
    async def load(
        cls, provider: Provider, store: BeatStore, clock: Clock, key: str
    ) -> RecordedModel:
        return cls(provider, store, clock, key, await store.decisions(key))

    @property
    def name(self) -> str:
        return self._provider.name

    @property
    def base_url(self) -> str:
        return self._provider.base_url

    async def complete(self, request: ChatRequest) -> Completion:
        index = self._round
        if index < len(self._recorded):
            self._round += 1
            self.replayed += 1
            return completion_from_record(self._recorded[index])
        completion = await self._provider.complete(request)
        stored = await self._store.record_decision(
            self._key, index, completion_record(completion), self._clock.now()
        )
        self._round += 1
        return completion_from_record(stored)

    async def aclose(self) -> None:
        """Nothing to close: the provider belongs to the turn runner."""
