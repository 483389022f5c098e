"""Retries, a fallback model and a circuit breaker, wrapped around any `LLMProvider`.

`ResilientProvider` is itself an `LLMProvider`. For one request it makes:

1. up to ``1 + retries`` attempts with the requested model, sleeping ``backoff_base * 2**n``
   seconds (at most `backoff_max`) on the clock before retry ``n`` (0.5 s, 1 s, 2 s ... by
   default), less a random part of up to `jitter` of it so that callers failing together do not
   retry together. Only `ProviderUnavailableError` is retried; a `ProviderRequestError` (4xx, an
   unusable body) is raised at once. A server's ``Retry-After`` (a 429 or 503) is honoured: the
   retry waits at least that long; when that is more than `max_retry_after` or the time the
   request has left (``timeout``), the error is raised at once instead;
2. then, when a `fallback_model` is set and every attempt was unavailable, one attempt with it.
   The `Completion` says so: `fallback_from` is the model first asked, `attempts` counts all.

A `CircuitBreaker` guards the server (`base_url`) against *server-level* failure only, so one
caller whose request makes the server fail cannot shut the server off for everyone else:

* a refused or reset connection says nothing about the request: it always counts;
* a timeout or a 5xx may be the request's doing (a prompt that crashes the model): it counts
  toward opening only when the failures since the last success come from at least two callers
  (`ChatRequest.origin`, a thread), or when every caller that asked within `active_window` is
  failing (a server used by one thread);
* any answer from the server, a 4xx or an unusable body included, is a success: it is alive;
  a 429 (too many requests) is neither: the server is alive but asks for patience.

After `failure_threshold` such failures in a row (no success between) it opens, and calls fail
fast with ``provider-circuit-open`` until `reset_after` (10 s by default) has passed (a request
whose time allows waits for that moment instead of failing); then one
trial call goes through (half-open): success closes the breaker; a failure that counts opens it
again, while a request-shaped failure from one caller among healthy ones leaves it half-open for
the next caller's trial. So after an outage ends, the first beat that asks gets through within
`reset_after`. Share one breaker per server between providers with `CircuitBreakers`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Callable
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


DEFAULT_RESET_AFTER = timedelta(seconds=10)
"""How long an open breaker fails calls fast before it lets one trial through."""

DEFAULT_ACTIVE_WINDOW = timedelta(minutes=5)
"""How recently a caller must have asked to count as one of the server's current users."""

_CERTAIN = frozenset({"provider-unreachable"})
"""Failure reasons no request can cause."""

_TOO_MANY = "provider-http-429"

_MIN_ATTEMPT_SECONDS = 1.0
"""The least time an attempt is given, even when the request's budget is nearly spent."""


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
    """Stops calls to a server that keeps failing, and lets one trial through after a pause
    (the policy is in the module docstring).

    Protocol for callers: `allow(origin)` before a call (false: fail fast), then exactly one of
    `record_success(origin)`, `record_failure(origin, certain=...)` or `release()` (the call
    ended without telling anything about the server, e.g. it was cancelled). `certain` is true
    for failures no request can cause (connection refused or reset); an `origin` of ``None``
    stands for an unknown caller whose failures always count.
    """

    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = 5,
        reset_after: timedelta = DEFAULT_RESET_AFTER,
        active_window: timedelta = DEFAULT_ACTIVE_WINDOW,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._clock = clock
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.active_window = active_window
        self._failures = 0
        self._failing: set[str | None] = set()
        self._seen: dict[str | None, datetime] = {}
        self._opened_at: datetime | None = None
        self._trial_running = False
        self._trial_over = asyncio.Event()
        self._trial_over.set()

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

    def allow(self, origin: str | None = None) -> bool:
        """Whether a call may go out now; in half-open state only one trial at a time. Asking
        counts as activity of `origin`, even when refused."""
        self._seen[origin] = self._clock.now()
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._set_trial(True)
            return True
        return False

    @property
    def trial_running(self) -> bool:
        return self._trial_running

    async def trial_over(self) -> None:
        """Returns when no trial call is running (at once when none is)."""
        await self._trial_over.wait()

    def _set_trial(self, running: bool) -> None:
        self._trial_running = running
        if running:
            self._trial_over.clear()
        else:
            self._trial_over.set()

    def record_success(self, origin: str | None = None) -> None:
        self._seen[origin] = self._clock.now()
        self._failures = 0
        self._failing.clear()
        self._opened_at = None
        self._set_trial(False)

    def record_failure(self, origin: str | None = None, *, certain: bool = True) -> None:
        now = self._clock.now()
        self._seen[origin] = now
        self._failures += 1
        self._failing.add(origin)
        server_level = certain or self._everyone_failing(now)
        if server_level and (self._trial_running or self._failures >= self.failure_threshold):
            self._opened_at = now
        self._set_trial(False)

    def release(self) -> None:
        self._set_trial(False)

    def _everyone_failing(self, now: datetime) -> bool:
        """Whether the failures since the last success look like the server's, not a caller's:
        an unknown caller, two callers or more, or no other caller active lately."""
        if None in self._failing or len(self._failing) >= 2:
            return True
        recent = {o for o, at in self._seen.items() if now - at <= self.active_window}
        return recent <= self._failing


class CircuitBreakers:
    """One `CircuitBreaker` per server URL, made on first use, with their status for display."""

    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = 5,
        reset_after: timedelta = DEFAULT_RESET_AFTER,
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
    (see the module docstring for the policy).

    `jitter` is the largest share of a backoff taken off at random (`rng` gives 0 ≤ x < 1);
    `max_retry_after` the longest ``Retry-After`` waited out; `wait_for_trial=False` makes a call
    that finds the breaker open fail at once instead of waiting for the trial moment.
    """

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
        jitter: float = 0.5,
        max_retry_after: float = 60.0,
        wait_for_trial: bool = True,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")
        self.jitter = jitter
        self.max_retry_after = max_retry_after
        self.wait_for_trial = wait_for_trial
        self._rng = rng
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
        """The most seconds to wait before retry number `retry` (0-based), before jitter."""
        return float(min(self.backoff_max, self.backoff_base * 2**retry))

    def _wait(
        self, base: float, last: ProviderUnavailableError | None, request: ChatRequest
    ) -> float:
        """Seconds to sleep before the next attempt: the jittered backoff, or longer when the
        server asked for it; raises `last` when what it asked for cannot be waited out."""
        wait = base * (1.0 - self.jitter * self._rng()) if base else 0.0
        asked = self._retry_after(last)
        if asked is None or last is None:
            return wait
        limit = self.max_retry_after
        if request.timeout is not None:
            limit = min(limit, request.timeout)
        if asked > limit:
            raise last
        return max(wait, asked)

    def _retry_after(self, error: ProviderUnavailableError | None) -> float | None:
        value = error.retry_after if error is not None else None
        if isinstance(value, datetime):
            return max(0.0, (value - self._clock.now()).total_seconds())
        return value

    async def complete(self, request: ChatRequest) -> Completion:
        plan = [(request, self.backoff(n - 1) if n else 0.0) for n in range(self.retries + 1)]
        if self.fallback_model and self.fallback_model != request.model:
            plan.append((dataclasses.replace(request, model=self.fallback_model), 0.0))
        budget = _Budget(self._clock, request.timeout)
        last: ProviderUnavailableError | None = None
        for attempt, (asked, base) in enumerate(plan, start=1):
            wait = self._wait(base, last, request) if attempt > 1 else 0.0
            if wait:
                if last is not None and wait >= budget.left():
                    raise last  # the retry could not finish within the request's time
                await self._clock.sleep(wait)
            if not await self._admitted(request.origin, budget, first=last is None):
                # Opened by this very request's failures: the failure is the better reason.
                raise last or self._circuit_open()
            try:
                completion = await self._call(budget.bound(asked))
            except ProviderUnavailableError as exc:
                last = exc
                if self.breaker.state is BreakerState.OPEN:
                    raise
                continue
            fallback_from = request.model if asked is not request else None
            return dataclasses.replace(completion, attempts=attempt, fallback_from=fallback_from)
        assert last is not None  # the plan has at least one attempt
        raise last

    async def _admitted(self, origin: str | None, budget: _Budget, *, first: bool) -> bool:
        """Whether the breaker lets this attempt out. A request's first attempt that finds the
        breaker open waits for its trial moment when that comes within `reset_after` and the
        request's time, and one that finds another caller's trial running waits for its end, so
        the first beats after an outage are not failed for being early."""
        if self.breaker.allow(origin):
            return True
        if not (first and self.wait_for_trial):
            return False
        if self.breaker.trial_running:  # another caller's trial decides for this one too
            await self.breaker.trial_over()  # bounded: the trial has its own timeout
            return self.breaker.allow(origin)
        retry_at = self.breaker.retry_at
        if retry_at is None:
            return False
        wait = (retry_at - self._clock.now()).total_seconds()
        if wait > self.breaker.reset_after.total_seconds() or wait >= budget.left():
            return False
        await self._clock.sleep(wait)
        return self.breaker.allow(origin)

    async def _call(self, request: ChatRequest) -> Completion:
        """One attempt, reported to the breaker (which has allowed it)."""
        origin = request.origin
        try:
            completion = await self.inner.complete(request)
        except ProviderUnavailableError as exc:
            if exc.reason == _TOO_MANY:
                self.breaker.release()  # alive, and asking for patience: not a failure
            else:
                self.breaker.record_failure(origin, certain=exc.reason in _CERTAIN)
            raise
        except ProviderRequestError:
            self.breaker.record_success(origin)  # a 4xx or a bad body: the server is there
            raise
        except BaseException:
            self.breaker.release()  # cancelled, or a bug: tells nothing about the server
            raise
        self.breaker.record_success(origin)
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


class _Budget:
    """The time a request has left on the clock (unbounded when it set no timeout)."""

    def __init__(self, clock: Clock, timeout: float | None) -> None:
        self._clock = clock
        self._deadline = None if timeout is None else clock.now() + timedelta(seconds=timeout)

    def left(self) -> float:
        if self._deadline is None:
            return float("inf")
        return (self._deadline - self._clock.now()).total_seconds()

    def bound(self, request: ChatRequest) -> ChatRequest:
        """`request` with the time it has left as its timeout."""
        if self._deadline is None:
            return request
        return dataclasses.replace(request, timeout=max(self.left(), _MIN_ATTEMPT_SECONDS))
