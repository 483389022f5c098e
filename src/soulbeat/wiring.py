"""`build(settings)`: the only place that picks the real backends and puts soulbeat together.

The store named by ``database_url`` (`build_store`: PostgreSQL for ``postgresql://…``, SQLite
for ``sqlite:///path``) or else SQLite in the data directory, the model provider named in the
settings (wrapped in retries, a fallback model and a circuit breaker), the thread channel plus one
webhook channel per configured channel, the event bus, the scheduler and the service over them.
On PostgreSQL the service also gets a `ClusterNode`: LISTEN/NOTIFY wakes its scheduler when
another process changes something, and its event stream comes from the durable event journal.
On SQLite its event stream comes from the store's own journal too (durable event ids).

The store must have all three parts of `Store` (`BeatStore`, `BoardStore`, `ActionStore`):
`build` refuses one that lacks a part (TypeError naming it) rather than run with less: both
backends (SQLite and PostgreSQL) have all three.

Actions (`build_actions`): the ledger (`LedgerService`), the action log, the approval queue and
a `GovernedExecutor` over them, all on the store; the queue and the ledger are given to the
service (``service.approvals``, ``service.ledger``), for the API; the ledger's `LedgerContext`
shows each beat the new posts of its submolts. The executor governs the model's actions per
thread with the thread's own ``actions.limits``, so the ledger is built with its per-thread
action limits off (``action_limits={}``): one set of limits, not two that could disagree.
People writing through the ledger's API keep the ledger's own limits.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from soulbeat.actions.approvals import (
    Approval,
    ApprovalQueue,
    ApprovedMessageSender,
)
from soulbeat.actions.executor import (
    ActionContext,
    ActionExecutor,
    GovernedExecutor,
    Limits,
    LimitsLookup,
)
from soulbeat.actions.log import ActionLog
from soulbeat.actions.models import MessageAction
from soulbeat.actions.policy import TargetLookup
from soulbeat.agents.planner import WorkspacePlanner
from soulbeat.agents.registry import AgentRegistry
from soulbeat.channels.alerts import ChannelAlerts
from soulbeat.channels.base import Channel, Receipt
from soulbeat.channels.thread import ThreadChannel
from soulbeat.channels.webhook import WebhookChannel
from soulbeat.clock import Clock, SystemClock
from soulbeat.cluster import EVENTS, ClusterNode, EventFeed
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.config.mcp import McpServerSettings
from soulbeat.config.settings import Settings
from soulbeat.events.bus import EventBus
from soulbeat.events.models import Event
from soulbeat.importing import import_httpx
from soulbeat.ledger.context import LedgerContext
from soulbeat.ledger.router import AgentRoutedExecutor, LedgerRouter, remote_ledgers
from soulbeat.ledger.service import LedgerService
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.lazy import LazyProvider
from soulbeat.llm.registry import create_provider
from soulbeat.llm.resilience import CircuitBreakers, ResilientProvider
from soulbeat.llm.slots import ModelSlots, SlottedProvider
from soulbeat.memory.approvals import apply_file_edit, file_edit_proposer
from soulbeat.schedule.identity import worker_identity
from soulbeat.schedule.scheduler import CLAIM_AHEAD, Scheduler
from soulbeat.service.core import Service
from soulbeat.service.files import WorkspaceFiles
from soulbeat.service.timing import Timing
from soulbeat.store.base import ActionStore, BeatStore, BoardStore, Store
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.store.sqlite.connection import GROUP_LINGER
from soulbeat.tools.assemble import ToolKit
from soulbeat.tools.mcp_client import McpHub
from soulbeat.turn.chat import ChatResponder
from soulbeat.turn.lazy import LazyRunner

if TYPE_CHECKING:
    from soulbeat.turn.runner import TurnRunner

log = logging.getLogger(__name__)

DB_NAME = "soulbeat.db"
SQLITE_PREFIX = "sqlite:///"


def database_path(settings: Settings) -> Path:
    """The SQLite file: ``sqlite:///path`` from ``database_url``, else the data directory's."""
    url = settings.database_url
    if url is not None and url.startswith(SQLITE_PREFIX):
        return Path(url.removeprefix(SQLITE_PREFIX)).expanduser().resolve()
    return settings.data_dir.expanduser().resolve() / DB_NAME


def uses_postgres(settings: Settings) -> bool:
    """Whether ``database_url`` names a PostgreSQL database."""
    return settings.database_url is not None and not settings.database_url.startswith(SQLITE_PREFIX)


def build_store(settings: Settings) -> BeatStore:
    """The store ``database_url`` names (unopened); SQLite in the data directory by default.
    `build` checks it has every part (`check_store`)."""
    if settings.database_url is not None and uses_postgres(settings):
        from soulbeat.store.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(settings.database_url)
    return SQLiteStore(database_path(settings))


def model_slots(settings: Settings) -> ModelSlots:
    """The model call limits (`soulbeat.llm.slots`): ``llm_max_in_flight`` for the configured
    server, the default by address for any other."""
    limits = (
        {}
        if settings.llm_max_in_flight is None
        else {settings.llm_base_url: settings.llm_max_in_flight}
    )
    return ModelSlots(limits)


def claim_ahead_for(clock: Clock) -> timedelta:
    """`CLAIM_AHEAD` on the real clock; nothing ahead on a test's `FakeClock`, whose time only
    moves when a test moves it (a held slot would wait for it)."""
    return CLAIM_AHEAD if isinstance(clock, SystemClock) else timedelta(0)


def beats_in_flight(settings: Settings, slots: ModelSlots) -> int:
    """``max_concurrent_beats``, else twice the model server's call limit."""
    return settings.max_concurrent_beats or 2 * slots.limit(settings.llm_base_url)


def build_provider(
    settings: Settings, clock: Clock, breakers: CircuitBreakers, slots: ModelSlots | None = None
) -> LLMProvider:
    def make() -> LLMProvider:
        import_httpx()  # the clients' transport, without httpx's command line (issue 12)
        return create_provider(
            settings.llm_provider, base_url=settings.llm_base_url, api_key=settings.llm_api_key
        )

    # The client library is imported on the first model call (`LazyProvider`). Under the
    # retries: each attempt takes a slot, a backoff holds none.
    inner = LazyProvider(make, name=settings.llm_provider, base_url=settings.llm_base_url)
    return ResilientProvider(
        SlottedProvider(inner, slots or model_slots(settings)),
        clock,
        fallback_model=settings.llm_fallback_model,
        breaker=breakers.for_url(settings.llm_base_url),
    )


def build_channels(settings: Settings) -> dict[str, Channel]:
    return {
        name: WebhookChannel(name, channel.url, kind=channel.kind, headers=channel.headers)
        for name, channel in settings.channels.items()
    }


STORE_PARTS: tuple[type, ...] = (BeatStore, BoardStore, ActionStore)


@dataclass(frozen=True)
class Actions:
    """What `build_actions` made: the executor, and the ledger and queue (None only on a store
    whose board and action parts are pending)."""

    executor: ActionExecutor
    ledger: LedgerService | None = None
    approvals: ApprovalQueue | None = None
    board: LedgerRouter | None = None
    """Where each agent's board actions go (remote boards hold HTTP clients to close)."""


def missing_parts(store: object) -> list[str]:
    """The parts of `Store` that ``store`` lacks, each with its first missing method."""
    missing = []
    for part in STORE_PARTS:
        if isinstance(store, part):
            continue
        methods = [name for name in _protocol_methods(part) if not hasattr(store, name)]
        missing.append(f"{part.__name__} (no {methods[0]})" if methods else part.__name__)
    return missing


def check_store(store: object) -> Store:
    """``store`` when it has every part of `Store`; else TypeError naming the missing parts."""
    missing = missing_parts(store)
    if missing:
        raise TypeError(
            f"{type(store).__name__} is not a complete store: it lacks {', '.join(missing)}; "
            "soulbeat needs BeatStore, BoardStore and ActionStore (soulbeat.store.base)"
        )
    return store  # type: ignore[return-value]


def _protocol_methods(part: type) -> list[str]:
    return sorted(name for name in vars(part) if not name.startswith("_"))


async def _effective(
    store: Store, registry: AgentRegistry, thread_id: str, skill: str
) -> HeartbeatConfig:
    """The thread's effective config now (a skill's over the thread's for a skill)."""
    thread = await store.get_thread(thread_id)
    found = None
    if skill:
        found = registry.find_skill(registry.workspace(thread.agent_id), skill)
    return registry.effective(thread, found).config


def thread_limits(store: Store, registry: AgentRegistry) -> LimitsLookup:
    """Looks up a thread's ``actions.limits`` for an action context that does not carry them."""

    async def limits(ctx: ActionContext) -> Limits:
        config = await _effective(store, registry, ctx.thread_id, ctx.skill)
        return {kind: limits for kind, limits in config.actions.limits.items()}

    return limits


def approved_message_sender(
    store: Store,
    registry: AgentRegistry,
    channels: dict[str, Channel],
    thread_channel: Channel,
    events: EventBus,
) -> ApprovedMessageSender:
    """Delivers an approved message to where its thread's target points now."""

    async def deliver(approval: Approval, action: MessageAction) -> Receipt:
        from soulbeat.turn.delivery import Deliverer, resolve_route
        from soulbeat.turn.outcome import indicator_for

        thread_id = approval.thread_id
        config = await _effective(store, registry, thread_id, approval.skill)
        thread = await store.get_thread(thread_id)
        route = resolve_route(config.target, config.to, thread, channels, thread_channel)
        deliverer = Deliverer(
            route,
            thread_id=thread_id,
            beat_id=approval.beat_id,
            agent_id=thread.agent_id,
            dry_run=False,
            events=events,
        )
        record = await deliverer.send(
            "alert", action.text, indicator_for("alert", config.visibility)
        )
        return record.receipt or Receipt(record.channel, False, "not delivered")

    return deliver


def fresh_exists(ledger: LedgerService) -> TargetLookup:
    """``ledger.exists`` after reading ids that other writers added (`LedgerService.refresh`)."""

    async def exists(kind: str, ident: str) -> bool:
        await ledger.refresh()
        return ledger.exists(kind, ident)

    return exists


def build_actions(
    store: Store,
    registry: AgentRegistry,
    clock: Clock,
    events: EventBus,
    deliver: ApprovedMessageSender | None = None,
) -> Actions:
    """The executor of the model's actions with its ledger and approval queue (module
    docstring)."""
    ledger = LedgerService(store, clock, events, action_limits={})
    log = ActionLog(store, clock)
    exists = fresh_exists(ledger)
    remotes, missing = remote_ledgers(registry.settings, clock, os.environ)
    board = LedgerRouter(ledger, remotes, missing)
    approvals = ApprovalQueue(
        store,
        clock,
        log=log,
        ledger=board,
        exists=exists,
        deliver=deliver,
        events=events,
        checks_targets=board.checks_targets,
    )
    limits = thread_limits(store, registry)
    executor: ActionExecutor = GovernedExecutor(
        log, ledger=board, exists=exists, approvals=approvals, limits=limits
    )
    if remotes or missing:  # agents on a remote board: same governance, the server checks ids
        remote = GovernedExecutor(log, ledger=board, approvals=approvals, limits=limits)
        executor = AgentRoutedExecutor(executor, remote, board)
    return Actions(executor, ledger, approvals, board)


def build_cluster(
    store: Store, events: EventBus, clock: Clock, scheduler: Scheduler, *, worker_id: str
) -> ClusterNode | None:
    """Signals and the durable event stream: for a store several processes share (PostgreSQL)
    with LISTEN/NOTIFY and wake requests; for the SQLite store, its own journal with signals
    within the process (durable event ids, nothing shared). None for any other store."""
    if isinstance(store, SQLiteStore):
        from soulbeat.cluster import LocalSignals
        from soulbeat.store.sqlite.journal import SQLiteJournal

        local = LocalSignals()
        journal = SQLiteJournal(store, Event, on_append=lambda: local.signal(EVENTS))
        own = EventFeed(journal, events, clock, origin=worker_id)
        return ClusterNode(local, own, on_change=scheduler.replan)
    # Not loaded means no PostgresStore exists: SQLite processes never import psycopg.
    postgres = sys.modules.get("soulbeat.store.postgres.store")
    if postgres is None or not isinstance(store, postgres.PostgresStore):
        return None
    from soulbeat.store.postgres.signals import PostgresJournal, PostgresSignals, PostgresWakes

    feed = EventFeed(PostgresJournal(store, Event), events, clock, origin=worker_id)
    return ClusterNode(
        PostgresSignals(store.url, clock),
        feed,
        on_change=scheduler.replan,
        wakes=PostgresWakes(store),
        on_wake=scheduler.wake,
    )


def build_tool_kit(
    settings: Settings, store: Store, clock: Clock, files: WorkspaceFiles, actions: Actions
) -> ToolKit:
    """Issue 15: what beats need for memory and tools — the workspace files, the agents' MCP
    servers, the ledger for the read-only tools, the approval queue for proposed file edits."""

    def servers_of(agent_id: str) -> Mapping[str, McpServerSettings]:
        agent = settings.agents.get(agent_id)
        return agent.mcp_servers if agent is not None else {}

    propose = None
    if actions.approvals is not None:
        actions.approvals.file_edit = apply_file_edit(files)
        propose = file_edit_proposer(store, clock)
    hub = McpHub(servers_of, clock)
    return ToolKit(files, hub, actions.ledger, propose)


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
    store = check_store(store or build_store(settings))
    if isinstance(store, SQLiteStore) and claim_ahead_for(clock):  # issue 12: serving
        store.group_linger = GROUP_LINGER
    worker = worker_id or worker_identity(settings.data_dir)
    events = EventBus(clock)
    registry = AgentRegistry(settings, store)
    breakers = CircuitBreakers(clock)
    slots = model_slots(settings)
    provider = provider or build_provider(settings, clock, breakers, slots)
    channels = build_channels(settings)
    thread_channel = ThreadChannel(store, clock, events)
    deliver = approved_message_sender(store, registry, channels, thread_channel, events)
    actions = build_actions(store, registry, clock, events, deliver)
    files = WorkspaceFiles(registry, store, clock)
    tool_kit = build_tool_kit(settings, store, clock, files, actions)
    # issue 16: reminders (also the model's `heartbeat_remind`); the scheduler is made below
    timing = Timing(store, registry, clock, lambda: scheduler.replan())

    def make_runner() -> TurnRunner:
        import_httpx()  # the turn stack imports httpx; not its command line (issue 12)
        from soulbeat.turn.runner import TurnRunner  # the turn stack: on the first beat

        return TurnRunner(
            store,
            registry,
            provider,
            clock,
            events=events,
            channels=channels,
            thread_channel=thread_channel,
            default_model=settings.llm_model,
            executor=actions.executor,
            context_sources=[LedgerContext(actions.ledger)] if actions.ledger is not None else [],
            tool_kit=tool_kit,
            reminders=timing.model_reminder,
        )

    runner = LazyRunner(make_runner)
    scheduler = Scheduler(
        store,
        WorkspacePlanner(store, registry, watch=True),
        runner,
        clock,
        worker_id=worker,
        max_concurrent_beats=beats_in_flight(settings, slots),
        events=events,
        alerts=ChannelAlerts(channels, thread_channel),  # issue 16: the dead-man's one alert
        claim_ahead=claim_ahead_for(clock),  # issue 12: slots of the next 500 ms in one claim
    )
    cluster = build_cluster(store, events, clock, scheduler, worker_id=worker)
    chat = ChatResponder(
        store, registry, provider, clock, default_model=settings.llm_model, events=events
    )
    service = Service(
        settings=settings,
        store=store,
        clock=clock,
        events=events,
        registry=registry,
        scheduler=scheduler,
        provider=provider,
        chat=chat,
        files=files,
        breakers=breakers,
        ledger=actions.ledger,
        approvals=actions.approvals,
        cluster=cluster,
        mcp=tool_kit.hub,
        timing=timing,
    )
    if actions.board is not None:
        service.on_close(actions.board.aclose)
    return service
