"""Retries, a fallback model and a circuit breaker, wrapped around any `LLMProvider`.

`ResilientProvider` is itself an `LLMProvider`. For one request it makes:

1. up to ``1 + retries`` attempts with the requested model, sleeping ``backoff_base * 2**n``
   seconds (at most `backoff_max`) on the clock before retry ``n`` (0.5 s, 1 s, 2 s ... by
   default). Only `ProviderUnavailableError` is retried; a `ProviderRequestError` (4xx, an unusable
   body) is raised at once;
2. then, when a `fallback_model` is set and every attempt was unavailable, one attempt with it.
   The `Completion` says so: `fallback_from` is the model first asked, `attempts` counts all.

A `CircuitBreaker` guards the server (`base_url`): after `failure_threshold` consecutive
retryable failures it opens and calls fail fast with ``provider-circuit-open`` until `reset_after`
has passed; then one trial call goes through (half-open): success closes the breaker, failure opens
it again. Any answer from the server, a 4xx included, counts as success: the server is alive.
Share one breaker per server between providers with `CircuitBreakers`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from soulbeat.clock import Clock
from soulbeat.errors import ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import ChatRequest, Completion, LLMProvider, failure_message

__all__ = [
    "BreakerState",
    "BreakerStatus",
    "CircuitBreaker",
    "CircuitBreakers",
    "ResilientProvider",
]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True)
class BreakerStatus:
    """A breaker as status pages and metrics show it. `retry_at` is set while it is open."""

    state: BreakerState
    consecutive_failures: int
    opened_at: datetime | None
    retry_at: datetime | None


class CircuitBreaker:
    """Stops calls to a server that keeps failing, and lets one trial through after a pause.

    Protocol for callers: `allow()` before a call (false: fail fast), then exactly one of
    `record_success()`, `record_failure()` or `release()` (the call ended without telling
    anything about the server, e.g. it was cancelled).
    """

    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = 5,
        reset_after: timedelta = timedelta(seconds=30),
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._clock = clock
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._failures = 0
        self._opened_at: datetime | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock.now() >= self._opened_at + self.reset_after:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def retry_at(self) -> datetime | None:
        """When an open breaker lets the next trial through (``None`` unless open)."""
        if self.state is not BreakerState.OPEN or self._opened_at is None:
            return None
        return self._opened_at + self.reset_after

    def status(self) -> BreakerStatus:
        return BreakerStatus(self.state, self._failures, self._opened_at, self.retry_at)

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open state only one trial at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_running or self._failures >= self.failure_threshold:
            self._opened_at = self._clock.now()
        self._trial_running = False

    def release(self) -> None:
        self._trial_running = False


class CircuitBreakers:
    """One `CircuitBreaker` per server URL, made on first use, with their status for display."""

    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = 5,
        reset_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self._clock = clock
        self._threshold = failure_threshold
        self._reset_after = reset_after
        self._breakers: dict[str, CircuitBreaker] = {}

    def for_url(self, base_url: str) -> CircuitBreaker:
        key = base_url.rstrip("/")
        if key not in self._breakers:
            self._breakers[key] = CircuitBreaker(self._clock, self._threshold, self._reset_after)
        return self._breakers[key]

    def statuses(self) -> dict[str, BreakerStatus]:
        return {url: breaker.status() for url, breaker in sorted(self._breakers.items())}


class ResilientProvider:
    """An `LLMProvider` that retries, falls back and trips a breaker around `inner`
    (see the module docstring for the policy)."""

    def __init__(
        self,
        inner: LLMProvider,
        clock: Clock,
        *,
        retries: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        fallback_model: str | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.inner = inner
        self._clock = clock
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.fallback_model = fallback_model
        self.breaker = breaker if breaker is not None else CircuitBreaker(clock)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def base_url(self) -> str:
        return self.inner.base_url

    def __repr__(self) -> str:
        return f"ResilientProvider({self.inner!r}, retries={self.retries})"

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        return float(min(self.backoff_max, self.backoff_base * 2**retry))

    async def complete(self, request: ChatRequest) -> Completion:
        plan = [(request, self.backoff(n - 1) if n else 0.0) for n in range(self.retries + 1)]
        if self.fallback_model and self.fallback_model != request.model:
            plan.append((dataclasses.replace(request, model=self.fallback_model), 0.0))
        last: ProviderUnavailableError | None = None
        for attempt, (asked, wait) in enumerate(plan, start=1):
            if wait:
                await self._clock.sleep(wait)
            if not self.breaker.allow():
                # Opened by this very request's failures: the failure is the better reason.
                raise last or self._circuit_open()
            try:
                completion = await self._call(asked)
            except ProviderUnavailableError as exc:
                last = exc
                if self.breaker.state is BreakerState.OPEN:
                    raise
                continue
            fallback_from = request.model if asked is not request else None
            return dataclasses.replace(completion, attempts=attempt, fallback_from=fallback_from)
        assert last is not None  # the plan has at least one attempt
        raise last

    async def _call(self, request: ChatRequest) -> Completion:
        """One attempt, reported to the breaker (which has allowed it)."""
        try:
            completion = await self.inner.complete(request)
        except ProviderUnavailableError:
            self.breaker.record_failure()
            raise
        except ProviderRequestError:
            self.breaker.record_success()  # a 4xx or a bad body: the server is there
            raise
        except BaseException:
            self.breaker.release()  # cancelled, or a bug: tells nothing about the server
            raise
        self.breaker.record_success()
        return completion

    def _circuit_open(self) -> ProviderUnavailableError:
        retry_at = self.breaker.retry_at
        if retry_at is None:  # half-open: another call is the trial
            when = "a trial call is in progress"
        else:
            when = f"next try after {retry_at:%Y-%m-%d %H:%M:%S} UTC"
        return ProviderUnavailableError(
            failure_message("provider-circuit-open", self.base_url, when),
            reason="provider-circuit-open",
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
