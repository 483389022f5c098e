"""`Service`: everything the CLI, the HTTP API and the panel may ask soulbeat to do.

Edges stay thin: they parse input, call one method here and render the result. Methods take and
return plain values or records; errors are the `soulbeat.errors` tree, and the HTTP edge maps
them the same way everywhere: NotFoundError → 404, ConfigError / WorkspaceError → 422 (what the
caller sent is wrong: the message names the key, the value and the expected form),
ProviderError → 502 (the model server failed), any other SoulbeatError → 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from soulbeat.agents.registry import AgentRegistry
from soulbeat.clock import Clock
from soulbeat.cluster import ClusterNode, WakeRequest
from soulbeat.config import normalize_heartbeat_mapping, validate_thread_overrides
from soulbeat.config.checks import config_warnings, target_problem
from soulbeat.config.settings import Settings
from soulbeat.config.time_keys import health_target_problem
from soulbeat.errors import ConfigError, NotFoundError, StoreError
from soulbeat.events.bus import EventBus, Listener
from soulbeat.events.models import Event
from soulbeat.llm.base import LLMProvider
from soulbeat.llm.resilience import CircuitBreakers
from soulbeat.schedule.scheduler import Scheduler
from soulbeat.service.board import Board
from soulbeat.service.files import FileKind, FileView, WorkspaceFiles
from soulbeat.service.fleet import Fleet
from soulbeat.service.handoff import run_on_a_worker
from soulbeat.service.status_cache import StatusCache
from soulbeat.service.timing import Timing, fires_view, next_fires
from soulbeat.service.views import beat_view, plain
from soulbeat.store.base import Store
from soulbeat.store.records import (
    MAIN,
    BeatRecord,
    FileVersion,
    Message,
    Schedule,
    SystemEvent,
    Thread,
)
from soulbeat.store.search import BeatBucket, BeatPage, BeatQuery
from soulbeat.tasks import cancel_all
from soulbeat.workspace.heartbeat_md import (
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)

GENERAL = "general"
"""The submolt every board starts with."""
THREAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
HOOK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
WakeMode = Literal["now", "next"]
ENABLED_KEYS = frozenset({"enabled", "Enabled"})
PRUNE_EVERY = timedelta(days=1)
"""How often the automatic retention pass runs while the service does."""

log = logging.getLogger(__name__)
"""Spellings of `enabled` in a thread config body: the stored per-thread flag, not an override."""


if TYPE_CHECKING:  # the model-facing parts are given to the service, not imported by it
    from soulbeat.actions.approvals import ApprovalQueue
    from soulbeat.doctor import DoctorReport
    from soulbeat.ledger.service import LedgerService
    from soulbeat.tools.mcp_client import McpHub
    from soulbeat.turn.chat import ChatResponder


@dataclass(frozen=True)
class ThreadConfigView:
    thread_id: str
    enabled: bool
    """The stored per-thread flag (a restart keeps it)."""
    overrides: Mapping[str, Any]
    """The thread layer as stored: canonical snake_case keys."""
    effective: list[dict[str, Any]]
    """One row per key: key, value, source (default, file, env, agent, thread, skill)."""
    warnings: list[str] = dataclasses.field(default_factory=list)
    """What works but is probably not meant (`soulbeat.config.checks.config_warnings`)."""
    next_fires: list[str] = dataclasses.field(default_factory=list)
    """A cron thread's next five fire times (`soulbeat.service.timing`), ISO UTC."""


@dataclass(frozen=True)
class ThreadDetail:
    """A thread with its schedules (its own heartbeat first, then one per skill)."""

    thread: Thread
    schedules: list[Schedule]

    @property
    def main(self) -> Schedule | None:
        return next((s for s in self.schedules if s.skill == MAIN), None)


@dataclass(frozen=True)
class HeartbeatFileView:
    """HEARTBEAT.md as it is now, with what soulbeat makes of it (`hints`)."""

    file: FileView
    hints: dict[str, Any]


def heartbeat_hints(text: str | None) -> dict[str, Any]:
    """What a beat would make of HEARTBEAT.md `text` (None: no file), for editors and `doctor`:
    `exists`, `effectively_empty` (such a file skips interval beats), the `checklist`, `rules`
    and `behaviors` items, `sections` (headings), `tasks` with their cadence and `problems`."""
    parsed = parse_heartbeat_md(text) if text is not None else None
    return {
        "exists": text is not None,
        "effectively_empty": is_heartbeat_content_effectively_empty(text),
        "checklist": list(parsed.checklist) if parsed else [],
        "rules": list(parsed.rules) if parsed else [],
        "behaviors": list(parsed.behaviors) if parsed else [],
        "sections": [
            {"heading": s.heading, "level": s.level, "cadence": s.cadence is not None}
            for s in (parsed.sections if parsed else ())
        ],
        "tasks": [
            {
                "name": t.name,
                "cadence": t.cadence.describe(),
                "kind": t.cadence.kind,
                "prompt": t.prompt,
            }
            for t in (parsed.tasks if parsed else ())
        ],
        "problems": list(parsed.problems) if parsed else [],
    }


class Service:
    """The application: built by `soulbeat.wiring.build`, driven by the edges."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        clock: Clock,
        events: EventBus,
        registry: AgentRegistry,
        scheduler: Scheduler,
        provider: LLMProvider,
        chat: ChatResponder,
        files: WorkspaceFiles,
        breakers: CircuitBreakers | None = None,
        ledger: LedgerService | None = None,
        approvals: ApprovalQueue | None = None,
        cluster: ClusterNode | None = None,
        mcp: McpHub | None = None,
        timing: Timing | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.events = events
        self.registry = registry
        self.scheduler = scheduler
        self.provider = provider
        self.chat = chat
        self.files = files
        self.breakers = breakers
        #: the community board and the approval queue, when wiring built them (the HTTP edge
        #: answers 503 on their routes otherwise)
        self.ledger = ledger
        self.approvals = approvals
        #: on a database shared by several processes: signals between them and the durable
        #: event stream (`soulbeat.cluster`); None for a single process on SQLite
        self.cluster = cluster
        #: issue 15: the agents' MCP servers and their last known status
        self.mcp = mcp
        self._loop_task: asyncio.Task[None] | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._status = StatusCache(
            self._compute_status,
            stamp=lambda: (self.events.last_id, self.scheduler.generation),
            now=self.clock.now,
        )
        self._prune_task: asyncio.Task[None] | None = None
        self._mcp_task: asyncio.Task[None] | None = None
        #: the fleet overview and bulk enable/disable (the panel's first view)
        self.fleet = Fleet(
            store=store,
            registry=registry,
            clock=clock,
            events=events,
            is_running=scheduler.is_enabled,
            replan=scheduler.replan,
        )
        #: reminders, schedules (cron's next fires) and health (issue 16)
        self.timing = timing or Timing(store, registry, clock, scheduler.replan)

    @property
    def board(self) -> Board:
        """The board and the approval queue, as the edges may ask them (`Board`)."""
        return Board(self.ledger, self.approvals, self.clock)

    # -- lifecycle ------------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the store and record the agents. The stored global flag survives restarts;
        `heartbeat_enabled = false` (config or environment) is a kill switch for this process
        only: its scheduler is held stopped and the stored flag is left as it is, so a one-off
        command run with the variable set does not stop the scheduler for good."""
        await self.store.open()
        await self.registry.sync()
        if not self.settings.heartbeat_enabled:
            self.scheduler.hold()
        if self.cluster is not None:
            await self.cluster.start()
        await self._ensure_general()

    async def _ensure_general(self) -> None:
        """The board starts with ``general``, as Moltbook does: the seed's daily-summary bot
        posts there, and a fresh install must not refuse its first post."""
        if self.ledger is None:
            return
        from soulbeat.ledger import Actor, LedgerConflictError

        with contextlib.suppress(LedgerConflictError):  # made at an earlier start
            await self.ledger.create_submolt(
                GENERAL,
                created_by=Actor("person", "soulbeat"),
                description="Everything that has no community of its own.",
            )

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Have `close` also await `closer` (clients wiring made, e.g. remote boards)."""
        self._closers.append(closer)

    def run_in_background(self) -> asyncio.Task[None]:
        """Start the scheduler loop as a task (once), and the daily retention pass."""
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self.scheduler.run_forever(), name="scheduler")
            if self.cluster is not None:
                self.cluster.accept_wakes = True
        if self._prune_task is None or self._prune_task.done():
            self._prune_task = asyncio.create_task(self._prune_daily(), name="retention")
        if self.mcp is not None and self._mcp_task is None:  # issue 15: list tools at start
            agents = self.registry.agent_ids
            self._mcp_task = asyncio.create_task(self.mcp.refresh_all(agents), name="mcp-list")
        return self._loop_task

    async def prune(self) -> dict[str, Any]:
        """Delete what is older than the `retention` setting (`Store.prune`); says what went."""
        period = self.settings.retention_period
        if period is None:
            return {"retention": self.settings.retention, "before": None, "deleted": {}}
        before = self.clock.now() - period
        deleted = await self.store.prune(before)
        return {"retention": self.settings.retention, "before": plain(before), "deleted": deleted}

    async def _prune_daily(self) -> None:
        """The automatic retention pass: once at start, then every `PRUNE_EVERY`."""
        while self.settings.retention_period is not None:
            try:
                await self.prune()
            except Exception:
                log.exception("the retention pass failed; trying again in %s", PRUNE_EVERY)
            await self.clock.sleep(PRUNE_EVERY.total_seconds())

    async def _wake(self, thread_id: str, reason: str) -> None:
        """Wake the thread: through this process's scheduler when its loop runs; in a process
        without one (`serve --no-scheduler`) on a shared database, through a worker."""
        if self.cluster is not None and self.cluster.shared and self._loop_task is None:
            request = WakeRequest(thread_id, MAIN, reason, self.clock.now())
            await self.cluster.wake(request)
            return
        self.scheduler.wake(thread_id, reason)

    async def close(self, grace: timedelta = timedelta(seconds=10)) -> None:
        """Finish or interrupt in-flight beats, stop the loop, close the store and providers.
        Open event subscriptions (SSE streams) end."""
        await self.scheduler.shutdown(grace)
        await cancel_all([self._loop_task, self._prune_task, self._mcp_task])
        if self.cluster is not None:
            await self.cluster.close()  # writes the last events to the journal
        self.events.close()
        await self.provider.aclose()
        for closer in self._closers:
            await closer()
        await self.store.close()

    # -- scheduler ------------------------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        """The scheduler's status, kept until something changes (`StatusCache`)."""
        return await self._status.value()

    async def status_json(self) -> bytes:
        """`status()` as UTF-8 JSON, encoded once per change (the route's answer)."""
        return await self._status.body()

    async def _compute_status(self) -> dict[str, Any]:
        last = await self.store.list_beats(limit=1)
        return {
            "running": await self.scheduler.is_enabled(),
            "held_by_kill_switch": self.scheduler.held,
            "loop_alive": self._loop_task is not None and not self._loop_task.done(),
            "threads": await self.store.count_threads(),
            "in_flight": [c.key for c in self.scheduler.in_flight],
            "next_due_at": plain(await self.store.earliest_due()),
            "last_beat": beat_view(last[0]) if last else None,
            "unhealthy": await self.timing.unhealthy(),
            "model": {
                "provider": self.settings.llm_provider,
                "base_url": self.settings.llm_base_url,
                "model": self.settings.llm_model,
                "breakers": plain(self.breakers.statuses()) if self.breakers else [],
            },
            "now": plain(self.clock.now()),
        }

    async def start(self) -> dict[str, Any]:
        await self.scheduler.start()
        return await self._compute_status()  # not a status computed before the change

    async def stop(self) -> dict[str, Any]:
        await self.scheduler.stop()
        return await self._compute_status()

    # -- threads --------------------------------------------------------------------------------
    async def create_thread(
        self, *, thread_id: str | None = None, title: str = "", agent: str = "default"
    ) -> Thread:
        """A new thread of `agent`. Refuses (ConfigError, key `id` or `agent`) an id that is not
        a thread id or is taken, and an agent that is not configured."""
        if thread_id is not None and not THREAD_ID.match(thread_id):
            raise ConfigError(
                f"id: {json.dumps(thread_id)} is not a thread id (expected 1-128 letters, "
                "digits, '.', '_', ':' or '-', starting with a letter or digit)",
                key="id",
                value=thread_id,
            )
        if agent not in self.registry.agent_ids:
            known = ", ".join(self.registry.agent_ids)
            raise ConfigError(
                f"agent: {json.dumps(agent)} is not a configured agent (expected {known})",
                key="agent",
                value=agent,
            )
        if thread_id is not None and await self._thread_exists(thread_id):
            raise _taken(thread_id)
        new_id = thread_id or f"t-{secrets.token_hex(6)}"
        made = Thread(id=new_id, agent_id=agent, created_at=self.clock.now(), title=title[:200])
        try:
            thread = await self.store.add_thread(made)
        except StoreError:
            if await self._thread_exists(new_id):  # made meanwhile by another request
                raise _taken(new_id) from None
            raise
        self.scheduler.replan()
        return thread

    async def create_threads(self, specs: Sequence[tuple[str, str, str]]) -> int:
        """Many threads at once, as (id, title, agent), in one transaction: all or none. Each id
        and agent is checked as in `create_thread` first (ConfigError naming the first bad one,
        or an id given twice or taken). They are planned on the scheduler's next pass, in bulk."""
        seen: set[str] = set()
        now = self.clock.now()
        made: list[Thread] = []
        for thread_id, title, agent in specs:
            self._check_new(thread_id, agent)
            if thread_id in seen:
                raise ConfigError(
                    f"id: {json.dumps(thread_id)} is given twice (expected each id once)",
                    key="id",
                    value=thread_id,
                )
            seen.add(thread_id)
            made.append(Thread(id=thread_id, agent_id=agent, created_at=now, title=title[:200]))
        try:
            added = await self.store.add_threads(made)
        except StoreError as error:
            taken = next((t.id for t in made if repr(t.id) in str(error)), None)
            if taken is not None:
                raise _taken(taken) from None
            raise
        self.scheduler.replan()
        return added

    def _check_new(self, thread_id: str, agent: str) -> None:
        if not THREAD_ID.match(thread_id):
            raise ConfigError(
                f"id: {json.dumps(thread_id)} is not a thread id (expected 1-128 letters, "
                "digits, '.', '_', ':' or '-', starting with a letter or digit)",
                key="id",
                value=thread_id,
            )
        if agent not in self.registry.agent_ids:
            known = ", ".join(self.registry.agent_ids)
            raise ConfigError(
                f"agent: {json.dumps(agent)} is not a configured agent (expected {known})",
                key="agent",
                value=agent,
            )

    async def _thread_exists(self, thread_id: str) -> bool:
        try:
            await self.store.get_thread(thread_id)
        except NotFoundError:
            return False
        return True

    async def thread(self, thread_id: str) -> Thread:
        return await self.store.get_thread(thread_id)

    async def threads(self) -> list[Thread]:
        return await self.store.list_threads()

    async def thread_overview(
        self, *, limit: int | None = None, offset: int = 0
    ) -> list[tuple[Thread, Schedule | None]]:
        """Threads (a page of them with `limit`) with their main schedule as stored (None until
        the scheduler planned it): two queries, whatever the page size."""
        threads = await self.store.list_threads(limit=limit, offset=offset)
        schedules = {
            s.thread_id: s for s in await self.store.main_schedules([t.id for t in threads])
        }
        return [(t, schedules.get(t.id)) for t in threads]

    async def thread_count(self) -> int:
        return await self.store.count_threads()

    async def thread_detail(self, thread_id: str) -> ThreadDetail:
        """The thread and its schedules, planned now when the scheduler has not done it yet (so a
        new thread shows its next due time at once)."""
        thread = await self.store.get_thread(thread_id)
        await self.scheduler.sync_schedules(thread_id)
        schedules = sorted(await self.store.list_schedules(thread_id), key=lambda s: s.skill)
        return ThreadDetail(thread, schedules)

    async def delete_thread(self, thread_id: str) -> None:
        await self.store.get_thread(thread_id)
        await self.store.delete_thread(thread_id)
        self.scheduler.replan()

    async def thread_config(self, thread_id: str) -> ThreadConfigView:
        thread = await self.store.get_thread(thread_id)
        effective = self.registry.effective(thread)
        rows = [{"key": k, "value": v, "source": s} for k, v, s in effective.rows()]
        warnings = config_warnings(effective.config)
        zone = self.registry.user_timezone(thread.agent_id)
        fires = fires_view(next_fires(effective.config, zone, self.clock.now()))
        return ThreadConfigView(
            thread.id, thread.enabled, dict(thread.config), rows, warnings, fires
        )

    async def set_thread_config(
        self, thread_id: str, changes: Mapping[str, Any], *, replace: bool = False
    ) -> ThreadConfigView:
        """Merge `changes` (any accepted spelling) into the thread's overrides, or replace them
        all. A key set to None is removed (falls back to the lower layers). Refused whole, before
        anything is stored, when anything is invalid — alone or together with the lower layers."""
        thread = await self.store.get_thread(thread_id)
        checked = self._checked_overrides(thread, changes, replace=replace)
        await self.store.set_thread_config(thread_id, checked)
        self.events.publish("config.changed", {"thread_id": thread_id, "overrides": checked})
        self.scheduler.replan()
        return await self.thread_config(thread_id)

    async def configure_thread(
        self, thread_id: str, changes: Mapping[str, Any], *, replace: bool = False
    ) -> ThreadConfigView:
        """`set_thread_config`, where an `enabled` key sets the stored per-thread flag instead
        of an override. Everything is checked before anything is stored."""
        enabled = next((changes[k] for k in ENABLED_KEYS if k in changes), None)
        if enabled is not None and not isinstance(enabled, bool):
            raise ConfigError(
                f"enabled: {json.dumps(enabled)} is not a boolean (expected true or false)",
                key="enabled",
                value=enabled,
                expected="true or false",
            )
        rest = {k: v for k, v in changes.items() if k not in ENABLED_KEYS}
        thread = await self.store.get_thread(thread_id)
        checked = self._checked_overrides(thread, rest, replace=replace)
        if enabled is not None and enabled != thread.enabled:
            await self.set_thread_enabled(thread_id, enabled)
        if rest or replace:
            return await self.set_thread_config(thread_id, checked, replace=True)
        return await self.thread_config(thread_id)

    def _checked_overrides(
        self, thread: Thread, changes: Mapping[str, Any], *, replace: bool
    ) -> dict[str, Any]:
        canonical = normalize_heartbeat_mapping(changes) if changes else {}
        merged: dict[str, Any] = {} if replace else dict(thread.config)
        for key, value in canonical.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        checked = validate_thread_overrides(merged)
        effective = self.registry.effective(replace_config(thread, checked))  # fits below?
        problem = target_problem(effective.config.target, self.settings.channels)
        if problem is not None:
            target = effective.config.target
            raise ConfigError(
                f"target: {problem}",
                key="target",
                value=target,
                expected=", ".join(("thread", "last", "none", *sorted(self.settings.channels))),
            )
        alerting = health_target_problem(effective.config.health_target, self.settings.channels)
        if alerting is not None:  # issue 16: the dead-man's alert must go somewhere
            raise ConfigError(f"health_target: {alerting}", key="health_target")
        return checked

    async def set_thread_enabled(self, thread_id: str, enabled: bool) -> Thread:
        thread = await self.store.set_thread_enabled(thread_id, enabled)
        self.events.publish("config.changed", {"thread_id": thread_id, "enabled": enabled})
        self.scheduler.replan()
        return thread

    # -- beats ----------------------------------------------------------------------------------
    async def run_now(self, thread_id: str, skill: str = MAIN) -> BeatRecord:
        """Run one manual beat of the thread (or of one of its skills) and return its record;
        in a process without a scheduler on a shared database, on a worker (`handoff`)."""
        await self.store.get_thread(thread_id)
        if self.cluster is not None and self.cluster.shared and self._loop_task is None:
            await self.scheduler.ensure_schedule(thread_id, skill)
            return await run_on_a_worker(self.cluster, self.store, self.clock, thread_id, skill)
        return await self.scheduler.run_now(thread_id, skill)

    async def history(
        self,
        thread_id: str | None = None,
        *,
        outcome: str | None = None,
        limit: int = 50,
        offset: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[BeatRecord]:
        """Beat records, newest first; NotFoundError for an unknown thread."""
        if thread_id is not None:
            await self.store.get_thread(thread_id)
        return await self.store.list_beats(
            thread_id=thread_id,
            outcome=outcome,
            limit=limit,
            offset=offset,
            since=since,
            until=until,
        )

    async def search_beats(self, query: BeatQuery, *, limit: int, offset: int) -> BeatPage:
        """Beats matching `query`, newest first, with the total that match (the panel's
        history: paged on the server, never cut off silently)."""
        return await self.store.search_beats(query, limit=limit, offset=offset)

    async def beat_buckets(self, query: BeatQuery, bucket: timedelta) -> list[BeatBucket]:
        """Counts per outcome, tokens and model latency per `bucket` of due time (charts)."""
        return await self.store.beat_buckets(query, bucket)

    async def history_count(
        self, thread_id: str | None = None, *, outcome: str | None = None
    ) -> int:
        """How many beats `history` pages through with the same filters."""
        return await self.store.count_beats(thread_id=thread_id, outcome=outcome)

    async def beat(self, beat_id: int) -> BeatRecord:
        return await self.store.get_beat(beat_id)

    async def export_audit(
        self,
        *,
        thread_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> AsyncIterator[str]:
        """The audit trail as JSON lines, newest first, read 500 records at a time."""
        offset = 0
        while True:
            page = await self.store.list_beats(
                thread_id=thread_id, since=since, until=until, limit=500, offset=offset
            )
            for beat in page:
                yield json.dumps(beat_view(beat, full=True), ensure_ascii=False) + "\n"
            if len(page) < 500:
                return
            offset += 500

    # -- messages and events --------------------------------------------------------------------
    async def messages(self, thread_id: str, *, limit: int = 100, offset: int = 0) -> list[Message]:
        """The newest `limit` messages after skipping the `offset` newest, oldest first."""
        await self.store.get_thread(thread_id)
        return await self.store.messages(thread_id, limit=limit, offset=offset)

    async def message_count(self, thread_id: str) -> int:
        return await self.store.count_messages(thread_id)

    async def send_message(
        self, thread_id: str, text: str, *, channel: str = "api"
    ) -> tuple[Message, Message | None]:
        """A person's message and the agent's reply (a normal chat turn with the soul). While
        the turn runs the thread is busy, so no heartbeat interleaves with it. A provider
        failure is raised (ProviderError) after the person's message is stored."""
        thread = await self.store.get_thread(thread_id)
        user = await self.store.add_message(
            thread.id, "user", text, self.clock.now(), channel=channel
        )
        self.events.publish(
            "message.created",
            {"thread_id": thread.id, "message_id": user.id, "role": "user", "text": text},
        )
        async with self.scheduler.busy(thread.id):
            reply = await self.chat.reply(thread)
        return user, reply

    async def queue_event(
        self, thread_id: str, text: str, *, wake: WakeMode = "next", source: str = "api"
    ) -> SystemEvent:
        """Queue a system event for the thread's next beat; `now` also wakes the thread (reason
        `event`, or `hook:<name>` for a `hook:<name>` source)."""
        await self.store.get_thread(thread_id)
        event = await self.store.queue_event(thread_id, text, self.clock.now(), source=source)
        if wake == "now":
            reason = f"hook:{source[5:]}" if source.startswith("hook:") else "event"
            await self._wake(thread_id, reason)
        return event

    async def hook_wake(
        self, thread_id: str, *, name: str = "webhook", text: str | None = None
    ) -> tuple[str, SystemEvent | None]:
        """A webhook's wake: the thread wakes now with reason `hook:<name>`; `text`, when given,
        is queued first as a system event from `hook:<name>` (shown to the model as untrusted
        data). Returns the reason and the queued event. ConfigError for a bad name."""
        if not HOOK_NAME.match(name):
            raise ConfigError(
                f"name: {json.dumps(name)} is not a hook name (expected 1-64 lower-case "
                "letters, digits, '-' or '_', starting with a letter or digit)",
                key="name",
                value=name,
            )
        reason = f"hook:{name}"
        if text is not None and text.strip():
            event = await self.queue_event(thread_id, text, wake="now", source=reason)
            return reason, event
        await self.store.get_thread(thread_id)
        await self._wake(thread_id, reason)
        return reason, None

    # -- the event stream -----------------------------------------------------------------------
    def subscribe(self, after_id: int | None = None) -> AsyncIterator[Event]:
        """Every event published from now on; with `after_id`, the buffered ones after it first.
        An id from before a restart (greater than the last id) replays the whole buffer. With a
        cluster, the events of every process on the database, by their durable journal ids (on a
        database of its own, an id above the journal's newest replays the journal)."""
        if self.cluster is not None:
            feed = self.cluster.feed
            if not self.cluster.shared and after_id is not None and after_id > feed.last_id:
                after_id = 0
            return feed.subscribe(after_id)
        if after_id is not None and after_id > self.events.last_id:
            after_id = 0
        return self.events.subscribe(after_id)

    def on_event(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` for every event; returns the unsubscribe."""
        return self.events.add_listener(listener)

    async def gauges(self) -> dict[str, float]:
        """Point-in-time numbers for metrics: beats in flight, the global flag (1/0), threads,
        event stream subscribers, events published, subscribers dropped for being slow, open
        circuit breakers."""
        statuses = self.breakers.statuses().values() if self.breakers else ()
        return {
            "beats_in_flight": len(self.scheduler.in_flight),
            "scheduler_enabled": 1 if await self.scheduler.is_enabled() else 0,
            "threads": await self.store.count_threads(),
            "event_subscribers": self.events.subscriber_count,
            "events_published": self.events.last_id,
            "event_subscribers_dropped": self.events.dropped,
            "breakers_open": sum(1 for s in statuses if s.state != "closed"),
        }

    # -- workspace files ------------------------------------------------------------------------
    async def read_file(self, kind: FileKind, agent: str = "default") -> FileView:
        self._require_agent(agent)
        return await self.files.read(agent, kind)

    async def write_file(
        self,
        kind: FileKind,
        content: str,
        agent: str = "default",
        *,
        base_sha256: str | None = None,
    ) -> FileView:
        """Write SOUL.md or HEARTBEAT.md as a new version. WorkspaceError for oversized text,
        EditConflictError when `base_sha256` is given and the file changed since."""
        self._require_agent(agent)
        view = await self.files.write(agent, kind, content, base_sha256=base_sha256)
        self._file_changed(kind, agent, view.version)
        return view

    async def heartbeat_file(self, agent: str = "default") -> HeartbeatFileView:
        """HEARTBEAT.md with its parse hints (`heartbeat_hints`)."""
        view = await self.read_file("heartbeat", agent)
        return HeartbeatFileView(view, heartbeat_hints(view.content if view.exists else None))

    async def file_versions(self, kind: FileKind, agent: str = "default") -> list[FileVersion]:
        """The file's versions, newest first (a pending edit on disk is recorded first)."""
        self._require_agent(agent)
        return await self.files.versions(agent, kind)

    async def file_version(
        self, kind: FileKind, number: int, agent: str = "default"
    ) -> FileVersion:
        self._require_agent(agent)
        return await self.files.version(agent, kind, number)

    async def file_diff(
        self, kind: FileKind, old: int, new: int | None = None, agent: str = "default"
    ) -> str:
        """Unified diff from version `old` to `new` (None: the file as it is now)."""
        self._require_agent(agent)
        return await self.files.diff(agent, kind, old, new)

    async def rollback_file(self, kind: FileKind, number: int, agent: str = "default") -> FileView:
        """Write version `number` again, as a new version."""
        self._require_agent(agent)
        view = await self.files.rollback(agent, kind, number)
        self._file_changed(kind, agent, view.version)
        return view

    def _file_changed(self, kind: FileKind, agent: str, version: int | None) -> None:
        self.events.publish(
            {"soul": "soul.changed", "memory": "memory.changed"}.get(kind, "config.changed"),
            {"agent": agent, "file": kind, "version": version},
        )
        self.scheduler.replan()

    def _require_agent(self, agent: str) -> None:
        if agent not in self.registry.agent_ids:
            raise NotFoundError(f'agent "{agent}" is not configured')

    # -- doctor ---------------------------------------------------------------------------------
    def doctor(self, agent: str = "default", *, probe_model: bool = False) -> DoctorReport:
        """The doctor report of `agent`'s workspace; `probe_model` also asks the model server
        (blocking for up to a few seconds: call it off the event loop)."""
        from soulbeat.doctor import diagnose  # doctor brings httpx and the turn stack (issue 12)

        self._require_agent(agent)
        return diagnose(
            self.registry.workspace_path(agent), settings=self.settings, probe_model=probe_model
        )


def replace_config(thread: Thread, config: Mapping[str, Any]) -> Thread:
    """`thread` with other overrides (not stored): to check a config before storing it."""
    return dataclasses.replace(thread, config=dict(config))


def _taken(thread_id: str) -> ConfigError:
    return ConfigError(
        f"id: {json.dumps(thread_id)} is already a thread (expected a new id, or none)",
        key="id",
        value=thread_id,
    )
