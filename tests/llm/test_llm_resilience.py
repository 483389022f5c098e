"""Retries, backoff, the fallback model and the circuit breaker, on a fake clock.

The clock only moves when a test moves it, so a call that backs off is started as a task and the
test advances time past each backoff, checking what happened at every step.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from soulbeat.errors import ProviderRequestError, ProviderUnavailableError
from soulbeat.llm.base import ChatMessage, ChatRequest, Completion, LLMProvider, parse_retry_after
from soulbeat.llm.resilience import (
    BreakerState,
    CircuitBreaker,
    CircuitBreakers,
    ResilientProvider,
)
from soulbeat.testing import FakeClock
from soulbeat.testing.llm import ScriptedLLM, fail, reply

URL = "scripted://llm"
REQUEST = ChatRequest((ChatMessage("user", "anything new?"),), model="big-model")


def down() -> ProviderUnavailableError:
    return ProviderUnavailableError(f"provider-unreachable: {URL}", reason="provider-unreachable")


def refused() -> ProviderRequestError:
    return ProviderRequestError(
        f"provider-http-404: {URL} (no such model)", reason="provider-http-404"
    )


async def test_retries_with_exponential_backoff_on_the_clock(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), fail(down()), "HEARTBEAT_OK")
    provider = ResilientProvider(llm, clock, retries=2, backoff_base=0.5, jitter=0)

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(0)
    assert len(llm.requests) == 1 and clock.sleepers == 1

    await clock.advance(0.49)
    assert len(llm.requests) == 1
    await clock.advance(0.01)  # first backoff: 0.5 s
    assert len(llm.requests) == 2

    await clock.advance(0.99)
    assert len(llm.requests) == 2
    await clock.advance(0.01)  # second backoff: 1 s
    completion = await call

    assert completion.text == "HEARTBEAT_OK"
    assert completion.attempts == 3
    assert completion.fallback_from is None
    llm.assert_script_consumed()


def test_backoff_doubles_up_to_the_cap(clock: FakeClock) -> None:
    provider = ResilientProvider(ScriptedLLM(), clock, backoff_base=0.5, backoff_max=3.0)

    assert [provider.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_gives_up_after_the_retries_with_the_last_error(clock: FakeClock) -> None:
    llm = ScriptedLLM(*(fail(down()) for _ in range(3)))
    provider = ResilientProvider(llm, clock, retries=2)

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(10)

    with pytest.raises(ProviderUnavailableError, match=f"^provider-unreachable: {URL}$"):
        await call
    assert len(llm.requests) == 3
    llm.assert_script_consumed()


async def test_request_errors_are_not_retried(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(refused()))
    provider = ResilientProvider(llm, clock, retries=3, fallback_model="small-model")

    with pytest.raises(ProviderRequestError):
        await provider.complete(REQUEST)

    assert len(llm.requests) == 1
    assert clock.sleepers == 0


async def test_fallback_model_answers_after_the_retries(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), fail(down()), "HEARTBEAT_OK")
    provider = ResilientProvider(llm, clock, retries=1, fallback_model="small-model")

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(10)
    completion = await call

    assert [r.model for r in llm.requests] == ["big-model", "big-model", "small-model"]
    assert completion.model == "small-model"
    assert completion.fallback_from == "big-model"
    assert completion.attempts == 3


async def test_no_fallback_to_the_same_model(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()))
    provider = ResilientProvider(llm, clock, retries=0, fallback_model="big-model")

    with pytest.raises(ProviderUnavailableError):
        await provider.complete(REQUEST)
    assert len(llm.requests) == 1


async def test_breaker_opens_after_consecutive_failures_and_fails_fast(clock: FakeClock) -> None:
    llm = ScriptedLLM(*(fail(down()) for _ in range(3)))
    breaker = CircuitBreaker(clock, failure_threshold=3, reset_after=timedelta(seconds=30))
    provider = ResilientProvider(llm, clock, retries=0, breaker=breaker, wait_for_trial=False)

    for _ in range(3):
        with pytest.raises(ProviderUnavailableError, match="provider-unreachable"):
            await provider.complete(REQUEST)
    assert breaker.state is BreakerState.OPEN

    with pytest.raises(ProviderUnavailableError) as caught:
        await provider.complete(REQUEST)

    assert len(llm.requests) == 3  # the fourth call never reached the server
    assert caught.value.reason == "provider-circuit-open"
    assert str(caught.value) == (
        f"provider-circuit-open: {URL} (next try after 2026-01-01 00:00:30 UTC)"
    )
    status = breaker.status()
    assert (status.state, status.consecutive_failures) == (BreakerState.OPEN, 3)
    assert status.retry_at == clock.now() + timedelta(seconds=30)


async def test_breaker_half_opens_after_the_pause_and_closes_on_success(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), fail(down()), "HEARTBEAT_OK")
    breaker = CircuitBreaker(clock, failure_threshold=2, reset_after=timedelta(seconds=30))
    provider = ResilientProvider(llm, clock, retries=0, breaker=breaker)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            await provider.complete(REQUEST)

    await clock.advance(timedelta(seconds=29))
    assert breaker.status().state is BreakerState.OPEN
    await clock.advance(timedelta(seconds=1))
    assert breaker.status().state is BreakerState.HALF_OPEN

    completion = await provider.complete(REQUEST)

    assert completion.text == "HEARTBEAT_OK"
    assert breaker.status().state is BreakerState.CLOSED
    assert breaker.status().consecutive_failures == 0


async def test_a_failed_trial_opens_the_breaker_again(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), fail(down()))
    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=30))
    provider = ResilientProvider(llm, clock, retries=3, breaker=breaker)
    with pytest.raises(ProviderUnavailableError):
        await provider.complete(REQUEST)  # opens at once: no retry is attempted
    await clock.advance(30)

    with pytest.raises(ProviderUnavailableError, match="provider-unreachable"):
        await provider.complete(REQUEST)  # the one trial; its failure reopens the breaker

    assert len(llm.requests) == 2
    assert breaker.state is BreakerState.OPEN
    assert clock.sleepers == 0


async def test_breaker_opening_mid_call_stops_the_retries(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), fail(down()))
    breaker = CircuitBreaker(clock, failure_threshold=2)
    provider = ResilientProvider(
        llm, clock, retries=5, fallback_model="small-model", breaker=breaker
    )

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(60)

    with pytest.raises(ProviderUnavailableError) as caught:
        await call
    assert caught.value.reason == "provider-unreachable"  # the cause, not the breaker
    assert len(llm.requests) == 2


async def test_half_open_lets_one_trial_through_at_a_time(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=5))
    breaker.record_failure()
    assert breaker.allow() is False

    await clock.advance(5)

    assert breaker.allow() is True
    assert breaker.allow() is False  # the trial is still running
    breaker.release()  # the trial was cancelled: it told nothing
    assert breaker.allow() is True


async def test_a_request_error_counts_as_the_server_being_alive(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), fail(refused()), fail(down()))
    breaker = CircuitBreaker(clock, failure_threshold=2)
    provider = ResilientProvider(llm, clock, retries=0, breaker=breaker)

    for _ in range(3):
        with pytest.raises((ProviderUnavailableError, ProviderRequestError)):
            await provider.complete(REQUEST)

    assert breaker.status().consecutive_failures == 1
    assert breaker.state is BreakerState.CLOSED


async def test_cancelling_a_call_leaves_the_breaker_usable(clock: FakeClock) -> None:
    started = asyncio.Event()

    class Stuck:
        name = "stuck"
        base_url = URL

        async def complete(self, request: ChatRequest) -> Completion:
            started.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def aclose(self) -> None:
            pass

    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=1))
    breaker.record_failure()
    await clock.advance(1)
    provider = ResilientProvider(Stuck(), clock, breaker=breaker)
    call = asyncio.create_task(provider.complete(REQUEST))
    await started.wait()
    assert breaker.allow() is False  # the cancelled call holds the trial

    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call

    assert breaker.allow() is True


def test_breakers_are_kept_per_server(clock: FakeClock) -> None:
    breakers = CircuitBreakers(clock, failure_threshold=1)
    one = breakers.for_url("http://127.0.0.1:11434/")

    one.record_failure()

    assert breakers.for_url("http://127.0.0.1:11434") is one
    assert breakers.for_url("http://127.0.0.1:8000/v1") is not one
    states = {url: status.state for url, status in breakers.statuses().items()}
    assert states == {
        "http://127.0.0.1:11434": BreakerState.OPEN,
        "http://127.0.0.1:8000/v1": BreakerState.CLOSED,
    }


async def test_resilient_provider_is_a_provider(clock: FakeClock) -> None:
    llm = ScriptedLLM()
    provider: LLMProvider = ResilientProvider(llm, clock)

    assert isinstance(provider, LLMProvider)
    assert (provider.name, provider.base_url) == ("scripted", URL)
    await provider.aclose()
    assert llm.closed


# -- server-level failure only (issue 11 step 4) ------------------------------------------------


def http_500() -> ProviderUnavailableError:
    return ProviderUnavailableError(f"provider-http-500: {URL}", reason="provider-http-500")


def asked_by(origin: str) -> ChatRequest:
    return ChatRequest(REQUEST.messages, REQUEST.model, origin=origin)


async def test_one_callers_5xx_does_not_open_the_breaker_while_another_caller_is_served(
    clock: FakeClock,
) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=3)
    breaker.record_success("good")
    for _ in range(10):
        breaker.record_failure("bad", certain=False)

    assert breaker.state is BreakerState.CLOSED
    assert breaker.status().consecutive_failures == 10


async def test_5xx_from_two_callers_opens_it(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=3)
    breaker.record_success("b")
    breaker.record_failure("a", certain=False)
    breaker.record_failure("a", certain=False)
    breaker.record_failure("b", certain=False)

    assert breaker.state is BreakerState.OPEN


async def test_a_lone_caller_counts_as_everyone(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=3, active_window=timedelta(minutes=5))
    breaker.record_success("b")
    await clock.advance(timedelta(minutes=6))  # b has not asked for a while
    for _ in range(3):
        breaker.record_failure("a", certain=False)

    assert breaker.state is BreakerState.OPEN


async def test_refused_connections_count_whoever_asked(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=3)
    breaker.record_success("good")
    for _ in range(3):
        breaker.record_failure("bad", certain=True)

    assert breaker.state is BreakerState.OPEN


async def test_a_trial_failed_by_one_callers_prompt_leaves_the_next_trial_to_others(
    clock: FakeClock,
) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=10))
    breaker.record_failure("bad")  # refused: opens
    breaker.allow("good")  # refused, but "good" is now one of the server's callers
    await clock.advance(10)
    assert breaker.allow("bad") is True
    breaker.record_failure("bad", certain=False)  # a 500 on bad's prompt

    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow("good") is True


async def test_the_resilient_provider_tells_callers_apart(clock: FakeClock) -> None:
    llm = ScriptedLLM(*(fail(http_500()) for _ in range(6)), "HEARTBEAT_OK")
    breaker = CircuitBreaker(clock, failure_threshold=3)
    breaker.record_success("good")
    provider = ResilientProvider(llm, clock, retries=0, breaker=breaker)
    for _ in range(6):
        with pytest.raises(ProviderUnavailableError, match="provider-http-500"):
            await provider.complete(asked_by("bad"))

    completion = await provider.complete(asked_by("good"))

    assert completion.text == "HEARTBEAT_OK"
    assert breaker.state is BreakerState.CLOSED


async def test_a_call_finding_the_breaker_open_waits_for_the_trial_moment(
    clock: FakeClock,
) -> None:
    llm = ScriptedLLM("HEARTBEAT_OK")
    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=10))
    breaker.record_failure()
    await clock.advance(4)
    provider = ResilientProvider(llm, clock, breaker=breaker)

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(5.9)
    assert not call.done() and llm.requests == []
    await clock.advance(0.1)

    assert (await call).text == "HEARTBEAT_OK"
    assert breaker.state is BreakerState.CLOSED


async def test_a_call_that_cannot_wait_for_the_trial_fails_fast(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=10))
    breaker.record_failure()
    provider = ResilientProvider(ScriptedLLM(), clock, breaker=breaker)
    short = ChatRequest(REQUEST.messages, REQUEST.model, timeout=3.0)

    with pytest.raises(ProviderUnavailableError, match="provider-circuit-open"):
        await provider.complete(short)


async def test_callers_waiting_on_a_trial_go_through_when_it_succeeds(clock: FakeClock) -> None:
    llm = ScriptedLLM(reply("first"))
    breaker = CircuitBreaker(clock, failure_threshold=1, reset_after=timedelta(seconds=1))
    breaker.record_failure()
    await clock.advance(1)
    assert breaker.allow("trial") is True  # somebody else's trial is on the wire
    provider = ResilientProvider(llm, clock, breaker=breaker)

    waiting = asyncio.create_task(provider.complete(asked_by("b")))
    await clock.advance(0)
    assert not waiting.done()
    breaker.record_success("trial")

    assert (await waiting).text == "first"


# -- jitter and Retry-After (issue 14 item 7) ---------------------------------------------------


def too_many(retry_after: float | None) -> ProviderUnavailableError:
    return ProviderUnavailableError(
        f"provider-http-429: {URL}", reason="provider-http-429", retry_after=retry_after
    )


async def test_backoff_is_jittered_down_by_at_most_the_jitter_share(clock: FakeClock) -> None:
    llm = ScriptedLLM(fail(down()), "HEARTBEAT_OK")
    provider = ResilientProvider(llm, clock, backoff_base=2.0, jitter=0.5, rng=lambda: 0.5)

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(1.49)
    assert len(llm.requests) == 1
    await clock.advance(0.01)  # 2 s less half of the half: 1.5 s

    assert (await call).attempts == 2


async def test_a_429_waits_for_its_retry_after_and_leaves_the_breaker_alone(
    clock: FakeClock,
) -> None:
    llm = ScriptedLLM(fail(too_many(7.0)), "HEARTBEAT_OK")
    breaker = CircuitBreaker(clock, failure_threshold=1)
    provider = ResilientProvider(llm, clock, breaker=breaker, jitter=0)

    call = asyncio.create_task(provider.complete(REQUEST))
    await clock.advance(6.9)
    assert len(llm.requests) == 1
    await clock.advance(0.1)

    assert (await call).text == "HEARTBEAT_OK"
    assert breaker.state is BreakerState.CLOSED


async def test_a_retry_after_longer_than_the_request_may_wait_gives_up_at_once(
    clock: FakeClock,
) -> None:
    llm = ScriptedLLM(fail(too_many(120.0)))
    provider = ResilientProvider(llm, clock, max_retry_after=60)

    with pytest.raises(ProviderUnavailableError, match="provider-http-429"):
        await provider.complete(REQUEST)
    assert len(llm.requests) == 1 and clock.sleepers == 0


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT") == datetime(
        2026, 1, 1, 0, 0, 30, tzinfo=UTC
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") is None
    assert parse_retry_after(None) is None
