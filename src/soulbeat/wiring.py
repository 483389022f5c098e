"""`build(settings)`: the only place that picks the real backends and puts soulbeat together.

SQLite in the data directory, the model provider named in the settings (wrapped in retries, a
fallback model and a circuit breaker), the thread channel plus one webhook channel per configured
channel, the event bus, the scheduler and the service over them.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from soulbeat.agents.planner import WorkspacePlanner
from soulbeat.agents.registry import AgentRegistry
from soulbeat.channels.base import Channel
from soulbeat.channels.thread import ThreadChannel
from soulbeat.channels.webhook import WebhookChannel
from soulbeat.clock import Clock, SystemClock
from soulbeat.config.settings import Settings
from soulbeat.events.bus import EventBus
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.registry import create_provider
from soulbeat.llm.resilience import CircuitBreakers, ResilientProvider
from soulbeat.schedule.scheduler import Scheduler
from soulbeat.service.core import Service
from soulbeat.service.files import WorkspaceFiles
from soulbeat.store.base import Store
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.turn.chat import ChatResponder
from soulbeat.turn.runner import TurnRunner

DB_NAME = "soulbeat.db"


def database_path(settings: Settings) -> Path:
    return settings.data_dir.expanduser().resolve() / DB_NAME


def build_provider(settings: Settings, clock: Clock, breakers: CircuitBreakers) -> LLMProvider:
    inner = create_provider(
        settings.llm_provider, base_url=settings.llm_base_url, api_key=settings.llm_api_key
    )
    return ResilientProvider(
        inner,
        clock,
        fallback_model=settings.llm_fallback_model,
        breaker=breakers.for_url(settings.llm_base_url),
    )


def build_channels(settings: Settings) -> dict[str, Channel]:
    return {
        name: WebhookChannel(name, channel.url, kind=channel.kind, headers=channel.headers)
        for name, channel in settings.channels.items()
    }


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    provider: LLMProvider | None = None,
    worker_id: str | None = None,
) -> Service:
    """Assemble the service. Nothing is opened or started: call `await service.open()`."""
    clock = clock or SystemClock()
    store = store or SQLiteStore(database_path(settings))
    events = EventBus(clock)
    registry = AgentRegistry(settings, store)
    breakers = CircuitBreakers(clock)
    provider = provider or build_provider(settings, clock, breakers)
    runner = TurnRunner(
        store,
        registry,
        provider,
        clock,
        events=events,
        channels=build_channels(settings),
        thread_channel=ThreadChannel(store, clock, events),
        default_model=settings.llm_model,
    )
    scheduler = Scheduler(
        store,
        WorkspacePlanner(store, registry),
        runner,
        clock,
        worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
        max_concurrent_beats=settings.max_concurrent_beats,
        events=events,
    )
    chat = ChatResponder(
        store, registry, provider, clock, default_model=settings.llm_model, events=events
    )
    return Service(
        settings=settings,
        store=store,
        clock=clock,
        events=events,
        registry=registry,
        scheduler=scheduler,
        provider=provider,
        chat=chat,
        files=WorkspaceFiles(registry, store, clock),
        breakers=breakers,
    )
