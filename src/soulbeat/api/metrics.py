"""`GET /metrics`: Prometheus text, counted from the event bus and read from the store.

Counters start at zero when the process starts (Prometheus handles resets); they count what this
process did. The metrics:

==========================================  =========  ==========================================
name                                        type       what
==========================================  =========  ==========================================
``soulbeat_beats_total``                    counter    beats finished, by ``outcome`` (sent,
                                                       would-send, ok-empty, ok-token, skipped,
                                                       failed, interrupted) and ``skip_reason``
                                                       ("" when not skipped: disabled, …)
``soulbeat_beats_started_total``            counter    beats that passed the guards and started
``soulbeat_beat_duration_seconds``          histogram  start to finish of each beat that ran
``soulbeat_model_latency_seconds``          histogram  wall time of each model exchange of a beat
                                                       (one per round; from the audit record)
``soulbeat_tokens_total``                   counter    tokens of beats, by ``kind`` (prompt,
                                                       completion), as reported or estimated
``soulbeat_beats_in_flight``                gauge      beats running now in this process
``soulbeat_scheduler_enabled``              gauge      1 while the global heartbeat flag is on
``soulbeat_threads``                        gauge      threads in the store
``soulbeat_event_subscribers``              gauge      open event streams (SSE clients)
``soulbeat_events_published``               gauge      events published since start (last id)
``soulbeat_event_subscribers_dropped``      gauge      streams dropped for falling behind
``soulbeat_breakers_open``                  gauge      model servers whose circuit is not closed
``soulbeat_thread_health_events_total``     counter    ``thread.unhealthy`` / ``thread.recovered``
                                                       events, by ``event`` (issue 16)
``soulbeat_threads_unhealthy``              gauge      threads in an unhealthy episode now
``soulbeat_thread_unhealthy``               gauge      1 per unhealthy thread, by ``thread``
``soulbeat_thread_failed_streak``           gauge      failed beats in a row, by ``thread`` (only
                                                       threads with a streak or an episode)
==========================================  =========  ==========================================

Counting: a bus listener counts ``beat.started`` and ``beat.finished`` at once (outcome and skip
reason are in the event); the beats that ran are remembered by id and, at the next scrape, read
from the store for their duration, tokens and model latency.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from soulbeat.errors import NotFoundError
from soulbeat.events.models import Event
from soulbeat.store.records import BeatRecord

if TYPE_CHECKING:
    from soulbeat.service.core import Service

__all__ = ["CONTENT_TYPE", "BeatMetrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
RAN = frozenset({"sent", "would-send", "ok-empty", "ok-token", "failed", "interrupted"})
_PENDING_LIMIT = 10_000
_DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_GAUGES = {
    "beats_in_flight": "Beats running now in this process.",
    "scheduler_enabled": "1 while the global heartbeat flag is on, else 0.",
    "threads": "Threads in the store.",
    "event_subscribers": "Open event streams (SSE clients).",
    "events_published": "Events published since the process started (the last event id).",
    "event_subscribers_dropped": "Event streams dropped for falling behind.",
    "breakers_open": "Model servers whose circuit breaker is not closed.",
}


class BeatMetrics:
    """The metrics of one app, in a registry of its own (module docstring)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._beats = Counter(
            "soulbeat_beats",
            "Beats finished, by outcome and skip reason.",
            ["outcome", "skip_reason"],
            registry=self.registry,
        )
        self._started = Counter(
            "soulbeat_beats_started", "Beats that passed the guards.", registry=self.registry
        )
        self._duration = Histogram(
            "soulbeat_beat_duration_seconds",
            "Start to finish of each beat that ran.",
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self._latency = Histogram(
            "soulbeat_model_latency_seconds",
            "Wall time of each model exchange of a beat.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._tokens = Counter(
            "soulbeat_tokens", "Tokens of beats, by kind.", ["kind"], registry=self.registry
        )
        self._gauges = {
            name: Gauge(f"soulbeat_{name}", doc, registry=self.registry)
            for name, doc in _GAUGES.items()
        }
        self._pending: deque[int] = deque(maxlen=_PENDING_LIMIT)
        # issue 16: health
        self._health_events = Counter(
            "soulbeat_thread_health_events",
            "thread.unhealthy and thread.recovered events, by event.",
            ["event"],
            registry=self.registry,
        )
        self._unhealthy_count = Gauge(
            "soulbeat_threads_unhealthy", "Threads in an unhealthy episode.", registry=self.registry
        )
        self._unhealthy = Gauge(
            "soulbeat_thread_unhealthy",
            "1 per unhealthy thread.",
            ["thread"],
            registry=self.registry,
        )
        self._streak = Gauge(
            "soulbeat_thread_failed_streak",
            "Failed beats in a row, per thread with a streak or an episode.",
            ["thread"],
            registry=self.registry,
        )

    def on_event(self, event: Event) -> None:
        """The bus listener: counts beats as their events pass."""
        if event.name == "beat.started":
            self._started.inc()
        elif event.name in ("thread.unhealthy", "thread.recovered"):
            self._health_events.labels(event.name).inc()
        elif event.name == "beat.finished" and event.data.get("status") == "finished":
            outcome = str(event.data.get("outcome") or "unknown")
            self._beats.labels(outcome, str(event.data.get("skip_reason") or "")).inc()
            beat_id = event.data.get("beat_id")
            if outcome in RAN and isinstance(beat_id, int):
                self._pending.append(beat_id)

    async def render(self, service: Service) -> bytes:
        """Read what is pending from the store, set the gauges, and return the text."""
        while self._pending:
            try:
                record = await service.beat(self._pending.popleft())
            except NotFoundError:
                continue
            self._observe(record)
        for name, value in (await service.gauges()).items():
            if name in self._gauges:
                self._gauges[name].set(value)
        await self._set_health(service)
        return generate_latest(self.registry)

    async def _set_health(self, service: Service) -> None:
        rows = [r for r in await service.timing.all_health() if r["state"] != "healthy"]
        self._unhealthy.clear()
        self._streak.clear()
        sick = [r for r in rows if r["state"] == "unhealthy"]
        self._unhealthy_count.set(len(sick))
        for row in sick:
            self._unhealthy.labels(row["thread_id"]).set(1)
        for row in rows:
            self._streak.labels(row["thread_id"]).set(row["failed_streak"])

    def _observe(self, record: BeatRecord) -> None:
        if record.started_at is not None and record.finished_at is not None:
            self._duration.observe((record.finished_at - record.started_at).total_seconds())
        self._tokens.labels("prompt").inc(max(record.prompt_tokens, 0))
        self._tokens.labels("completion").inc(max(record.completion_tokens, 0))
        for latency in _latencies(record.audit.get("rounds")):
            self._latency.observe(latency / 1000)


def _latencies(rounds: Any) -> list[float]:
    """Each round's ``latency_ms`` from an audit record's ``rounds`` (tolerant of gaps)."""
    if not isinstance(rounds, list):
        return []
    found: list[float] = []
    for item in rounds:
        value = item.get("latency_ms") if isinstance(item, dict) else None
        if isinstance(value, int | float) and value >= 0:
            found.append(float(value))
    return found
