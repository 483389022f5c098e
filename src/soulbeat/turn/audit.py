"""The audit record of a beat that ran (SPEC §7.4): `BeatAudit`, filled step by step.

The turn fills one `BeatAudit` as the beat goes and `record()` makes the JSON-ready mapping
stored as `BeatResult.audit`. Keys (all present; None or empty when a step did not happen):

=====================  ========================================================================
``thread``, ``agent``  the thread, its agent, the ``skill`` ("" for the main heartbeat)
``reason``             the wake reason; ``due_at``, ``started_at``, ``finished_at`` (ISO),
                       ``duration_ms``, ``beat_key``, ``attempt``
``config``             the effective config (JSON) and ``config_sources`` (the layer per key)
``instructions``       which file (``path``, ``origin``: heartbeat | skill | skill-body | none)
                       and the ``due_tasks``
``context``            mode, messages and events shown, block sources
``prompt``             ``text`` (all of it), ``chars``, ``estimated_tokens`` (messages and the
                       tool or response schemas, ``schema_tokens`` of them), ``profile``
                       (full or compact), ``parts`` (estimated tokens per part: rules, soul,
                       files, prompt, tasks, context, time, tool_schemas), ``context_window``
                       (tokens and where the number came from, None when unknown), and
                       ``reported_tokens``: the server's count of the first round's prompt,
                       tool schemas included
``model``              the model asked; ``provider`` (name, url); ``answered_by`` (the model
                       the server says answered); ``decision_mode`` (tools, schema or text)
``tokens``             ``prompt``, ``completion``, ``estimated`` (true when any round guessed)
``rounds``             each model reply as it came (text, reasoning, tool calls, usage)
``tool_calls``         each tool call with whether it ran and the answer sent back
``stopped``            why the rounds stopped early (``tool-call-cap``, ``repeated-tool-call``)
``reply``              the reading: ``tier``, ``kind`` (``unreadable`` too), ``text``,
                       ``reasoning``, ``summary``, ``problems``, ``decision`` (SPEC §9.3's
                       shape, None when unreadable); and ``dropped_text`` at the top level
``outcome``            with ``skip_reason``, ``indicator``, ``error``, ``failure``
``actions``            each action: type, status, action, problems, receipt, detail
``deliveries``         each delivery: kind, text, channel, to, indicator, status, receipt
``truncation_warnings``  every bootstrap file that was cut or dropped
``events_consumed``    the ids of the queued events shown and consumed (empty when not
                       consumed: a failed beat shows them again next time)
``resumed``            SPEC §9.4: ``decisions_replayed`` (model answers taken from the record
                       of an earlier attempt instead of asking again) and ``effects``
                       (``count``; ``reused``: indices an earlier attempt made, not made again;
                       ``retried_unknown``: indices sent again after an unknown outcome)
=====================  ========================================================================

The scheduler adds ``guards_passed`` and ``worker_id`` when it finishes the beat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from soulbeat.actions.executor import ActionResult
from soulbeat.config.layers import EffectiveConfig
from soulbeat.llm.base import ChatRequest, Completion, estimate_tokens
from soulbeat.store.records import Claim
from soulbeat.turn.delivery import DeliveryRecord
from soulbeat.turn.outcome import Outcome
from soulbeat.turn.prompt import Prompt
from soulbeat.turn.reply import Reading
from soulbeat.turn.rounds import Exchange
from soulbeat.workspace.bootstrap import TruncationWarning

__all__ = ["BeatAudit"]


@dataclass
class BeatAudit:
    """The audit record of one beat under construction (module docstring)."""

    claim: Claim
    started_at: datetime
    agent: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    config_sources: dict[str, str] = field(default_factory=dict)
    instructions: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    prompt: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    provider: dict[str, str] = field(default_factory=dict)
    exchange: Exchange | None = None
    reading: Reading | None = None
    outcome: Outcome | None = None
    indicator: str | None = None
    actions: list[ActionResult] = field(default_factory=list)
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events_consumed: list[int] = field(default_factory=list)
    decision_mode: str | None = None
    context_window: dict[str, Any] | None = None
    resumed: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """Issue 15: ``memory`` (the beat's scratch and memory edits), ``tools`` (offered, withheld,
    MCP servers and why one is missing, every call with its answer cut), ``tasks``."""

    def set_config(self, effective: EffectiveConfig) -> None:
        self.config = effective.config.model_dump(mode="json")
        self.config["actions"] = effective.config.actions.as_plain()
        self.config_sources = dict(effective.sources)

    def set_prompt(self, prompt: Prompt) -> None:
        self.prompt = {
            "text": prompt.text,
            "chars": prompt.chars,
            "estimated_tokens": prompt.estimated_tokens,
            "profile": prompt.profile,
            "parts": dict(prompt.parts),
            "context_window": self.context_window,
        }

    def set_request(self, request: ChatRequest) -> None:
        """What the first round sends besides the messages: tool schemas or a response schema,
        counted into the estimate (servers count them as prompt tokens too)."""
        extra = sum(
            estimate_tokens(t.description + json.dumps(t.parameters)) for t in request.tools
        )
        if request.response_schema is not None:
            extra += estimate_tokens(json.dumps(request.response_schema))
        base = self.prompt.get("estimated_tokens", 0)
        self.prompt["schema_tokens"] = extra
        self.prompt.setdefault("parts", {})["tool_schemas"] = extra
        self.prompt["estimated_tokens"] = base + extra

    def set_warnings(self, warnings: Sequence[TruncationWarning]) -> None:
        self.warnings = [warning.message for warning in warnings]

    def record(self, finished_at: datetime) -> dict[str, Any]:
        """The JSON-ready audit mapping (module docstring)."""
        claim, outcome = self.claim, self.outcome
        duration = (finished_at - self.started_at).total_seconds() * 1000
        return {
            "thread": claim.thread_id,
            "agent": self.agent,
            "skill": claim.skill,
            "reason": claim.reason,
            "beat_key": claim.key,
            "attempt": claim.attempt,
            "due_at": claim.due_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "duration_ms": round(duration, 3),
            "config": self.config,
            "config_sources": self.config_sources,
            "instructions": self.instructions,
            "context": self.context,
            "prompt": self.prompt,
            "model": self.model,
            "provider": self.provider,
            "decision_mode": self.decision_mode,
            **self._exchange_part(),
            "reply": self._reply_part(),
            "dropped_text": self.reading.dropped_text if self.reading else None,
            "outcome": outcome.outcome if outcome else None,
            "skip_reason": outcome.skip_reason if outcome else None,
            "failure": outcome.failure if outcome else None,
            "error": outcome.error if outcome else None,
            "indicator": self.indicator,
            "actions": [result.as_record() for result in self.actions],
            "deliveries": [record.as_record() for record in self.deliveries],
            "truncation_warnings": list(self.warnings),
            "events_consumed": list(self.events_consumed),
            "resumed": dict(self.resumed),
            **self.extra,
        }

    def _exchange_part(self) -> dict[str, Any]:
        done = self.exchange or Exchange()
        usage = done.usage
        answered = done.completions[-1].model if done.completions else None
        if done.completions and not done.completions[0].usage.estimated:
            # the server's own count of the first prompt, tool or response schemas included
            self.prompt["reported_tokens"] = done.completions[0].usage.prompt_tokens
        return {
            "answered_by": answered,
            "tokens": {
                "prompt": usage.prompt_tokens,
                "completion": usage.completion_tokens,
                "estimated": usage.estimated,
            },
            "rounds": [_round(completion) for completion in done.completions],
            "tool_calls": [run.as_record() for run in done.tool_runs],
            "stopped": done.stopped,
        }

    def _reply_part(self) -> dict[str, Any] | None:
        reading = self.reading
        if reading is None:
            return None
        return {
            "tier": reading.tier,
            "kind": reading.kind,
            "text": reading.text,
            "reasoning": reading.reasoning,
            "summary": reading.summary,
            "problems": list(reading.problems),
            "decision": reading.decision.as_record() if reading.decision else None,
        }


def _round(completion: Completion) -> dict[str, Any]:
    usage = completion.usage
    return {
        "text": completion.text,
        "reasoning": completion.reasoning,
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": dict(c.arguments), "problem": c.problem}
            for c in completion.tool_calls
        ],
        "model": completion.model,
        "latency_ms": completion.latency_ms,
        "attempts": completion.attempts,
        "fallback_from": completion.fallback_from,
        "usage": {
            "prompt": usage.prompt_tokens,
            "completion": usage.completion_tokens,
            "estimated": usage.estimated,
        },
    }
