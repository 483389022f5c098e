"""The fleet overview: every thread with its state, sorted, filtered and paged on the server.

Sorting and filtering use what is known without reading beats — the thread and its stored main
schedule (one lean query, `Store.fleet_rows`), its effective config (resolved once per distinct
agent + overrides, so 10,000 threads with a handful of distinct configs cost a handful of
resolutions) and the scheduler flag. The
latest beat and today's tokens are then read for the page only (index lookups per thread), so a
page costs the same with 100 threads or 10,000.

A thread's ``state``, first that applies:

===============  ================================================================================
``disabled``     the thread is off, its config says ``enabled = false`` or its interval is 0
``paused``       the scheduler is stopped (nothing runs until it is started)
``quiet-hours``  now is outside the thread's active hours
``overdue``      its next beat is more than `OVERDUE_GRACE` in the past: it is not being run
``scheduled``    otherwise
===============  ================================================================================

A page row also says ``failing`` when its latest finished beat failed, and ``health`` (issue 16):
``healthy``, ``failing`` (a failure streak) or ``unhealthy`` with its ``failed_streak``; the page
says how many threads are ``unhealthy`` in all. "Today" is the UTC day.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from soulbeat.agents.registry import AgentRegistry
from soulbeat.clock import Clock
from soulbeat.contract.active_hours import ActiveHours, is_within_active_hours
from soulbeat.contract.interval import interval_or_disabled
from soulbeat.errors import ConfigError, NotFoundError
from soulbeat.events.bus import EventBus
from soulbeat.service.timing import health_view
from soulbeat.service.views import beat_view, plain
from soulbeat.store.base import Store
from soulbeat.store.records import Thread
from soulbeat.store.search import FleetRow

State = Literal["disabled", "paused", "quiet-hours", "overdue", "scheduled"]
STATES: tuple[State, ...] = ("disabled", "paused", "quiet-hours", "overdue", "scheduled")
Filter = Literal[
    "all", "enabled", "disabled", "paused", "quiet-hours", "overdue", "dry-run", "unhealthy"
]
SortKey = Literal["id", "title", "state", "next_due", "last_beat", "every"]
OVERDUE_GRACE = timedelta(minutes=2)
MAX_PAGE = 500


@dataclass(frozen=True)
class FleetQuery:
    text: str = ""
    state: Filter = "all"
    sort: SortKey = "next_due"
    descending: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class _Config:
    """What the fleet needs of one effective config (shared by threads with the same one)."""

    every: timedelta | None
    every_text: str | None
    on: bool
    dry_run: bool
    target: str | None
    window: ActiveHours | None
    zone: str | None


@dataclass(frozen=True)
class _Row:
    thread: FleetRow
    state: State
    config: _Config


class Fleet:
    """Reads and bulk changes over all threads (see the module docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        registry: AgentRegistry,
        clock: Clock,
        events: EventBus,
        is_running: Callable[[], Awaitable[bool]],
        replan: Callable[[], None],
    ) -> None:
        self._store = store
        self._registry = registry
        self._clock = clock
        self._events = events
        self._is_running = is_running
        self._replan = replan
        self._configs: dict[tuple[str, str], _Config] = {}

    async def page(self, query: FleetQuery) -> dict[str, Any]:
        """``items`` (the page), ``total`` (matching threads), ``counts`` (threads per state,
        over all threads), ``running`` and ``now``."""
        now = self._clock.now()
        running = await self._is_running()
        rows = [self._row(t, running, now) for t in await self._store.fleet_rows()]
        counts = {state: 0 for state in STATES}
        for row in rows:
            counts[row.state] += 1
        health = {h.thread_id: h for h in await self._store.list_health()}  # issue 16
        sick = {thread_id for thread_id, h in health.items() if h.unhealthy}
        chosen = [r for r in rows if _matches(r, query, sick)]
        chosen.sort(key=_sort_key(query.sort), reverse=query.descending)
        limit = max(1, min(query.limit, MAX_PAGE))
        page = chosen[query.offset : query.offset + limit]
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        facts = await self._store.thread_facts([r.thread.thread_id for r in page], today)
        items = []
        for row in page:
            fact = facts.get(row.thread.thread_id)
            last = fact.last if fact else None
            items.append(
                _view(row)
                | {
                    "last_beat": beat_view(last) if last else None,
                    "failing": bool(last and last.outcome == "failed"),
                    "tokens_today": fact.tokens if fact else 0,
                    "health": health_view(health.get(row.thread.thread_id), row.thread.thread_id),
                }
            )
        return {
            "items": items,
            "total": len(chosen),
            "limit": limit,
            "offset": query.offset,
            "next_offset": query.offset + limit if query.offset + limit < len(chosen) else None,
            "counts": counts,
            "unhealthy": len(sick),
            "threads": len(rows),
            "running": running,
            "now": plain(now),
        }

    async def set_enabled(self, thread_ids: Sequence[str], enabled: bool) -> list[str]:
        """Turn the listed threads on or off (unknown ids raise NotFoundError before anything
        changes); one ``config.changed`` event names them all. Returns the ids changed."""
        wanted = list(dict.fromkeys(thread_ids))
        known = {t.thread_id: t for t in await self._store.fleet_rows()}
        missing = [tid for tid in wanted if tid not in known]
        if missing:
            raise NotFoundError(f"no such thread: {', '.join(missing[:5])}")
        changed = [tid for tid in wanted if known[tid].enabled != enabled]
        for tid in changed:
            await self._store.set_thread_enabled(tid, enabled)
        if changed:
            self._events.publish("config.changed", {"thread_ids": changed, "enabled": enabled})
            self._replan()
        return changed

    def _row(self, thread: FleetRow, running: bool, now: datetime) -> _Row:
        config = self._config(thread)
        state: State
        if not thread.enabled or not config.on or config.every is None:
            state = "disabled"
        elif not running:
            state = "paused"
        elif config.window and not is_within_active_hours(config.window, now, config.zone):
            state = "quiet-hours"
        elif thread.next_due_at and thread.next_due_at < now - OVERDUE_GRACE:
            state = "overdue"
        else:
            state = "scheduled"
        return _Row(thread, state, config)

    def _config(self, thread: FleetRow) -> _Config:
        key = (thread.agent_id, thread.config_json)
        found = self._configs.get(key)
        if found is None:
            if len(self._configs) > 10_000:  # settings rarely change; bound the memory anyway
                self._configs.clear()
            found = self._configs[key] = self._resolve(thread)
        return found

    def _resolve(self, thread: FleetRow) -> _Config:
        try:
            overrides = json.loads(thread.config_json)
            bare = Thread(thread.thread_id, thread.agent_id, self._clock.now(), config=overrides)
            config = self._registry.effective(bare).config
        except (ConfigError, ValueError):
            return _Config(None, None, False, False, None, None, None)
        window = config.active_hours.to_active_hours() if config.active_hours else None
        return _Config(
            every=interval_or_disabled(config.every),
            every_text=config.every if config.cron is None else f"cron {config.cron}",
            on=config.enabled,
            dry_run=config.dry_run,
            target=config.target,
            window=window,
            zone=self._registry.settings.user_timezone_for(thread.agent_id),
        )


def _matches(row: _Row, query: FleetQuery, sick: AbstractSet[str]) -> bool:
    text = query.text.strip().lower()
    if text and not any(
        text in value.lower()
        for value in (row.thread.thread_id, row.thread.title, row.thread.agent_id)
    ):
        return False
    if query.state == "all":
        return True
    if query.state == "enabled":
        return row.state != "disabled"
    if query.state == "dry-run":
        return row.config.dry_run
    if query.state == "unhealthy":  # issue 16: a health, not a scheduling state
        return row.thread.thread_id in sick
    return row.state == query.state


def _sort_key(key: SortKey) -> Callable[[_Row], Any]:
    if key == "title":
        return lambda r: (r.thread.title.lower(), r.thread.thread_id)
    if key == "state":
        return lambda r: (STATES.index(r.state), r.thread.thread_id)
    if key == "next_due":
        return lambda r: (_stamp(r.thread.next_due_at), r.thread.thread_id)
    if key == "last_beat":
        return lambda r: (_stamp(r.thread.last_finished_at, missing=0.0), r.thread.thread_id)
    if key == "every":
        return lambda r: (_seconds(r.config.every), r.thread.thread_id)
    return lambda r: r.thread.thread_id


def _seconds(every: timedelta | None) -> float:
    return every.total_seconds() if every else float("inf")


def _stamp(moment: datetime | None, missing: float = float("inf")) -> float:
    return moment.timestamp() if moment else missing


def _view(row: _Row) -> dict[str, Any]:
    thread, config = row.thread, row.config
    planned = row.state != "disabled"
    window = config.window
    return {
        "id": thread.thread_id,
        "title": thread.title,
        "agent": thread.agent_id,
        "enabled": thread.enabled,
        "state": row.state,
        "every": config.every_text,
        "dry_run": config.dry_run,
        "target": config.target,
        "active_hours": (
            {"start": window.start, "end": window.end, "timezone": window.timezone}
            if window
            else None
        ),
        "next_due_at": plain(thread.next_due_at) if planned else None,
        "last_finished_at": plain(thread.last_finished_at),
    }


__all__ = ["OVERDUE_GRACE", "STATES", "Fleet", "FleetQuery"]
