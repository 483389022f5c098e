"""The fleet overview: every thread with its state, sorted, filtered and paged on the server.

Sorting and filtering use what is known without reading beats — the thread, its stored main
schedule, its effective config (resolved once per distinct agent + overrides, so 10,000 threads
with a handful of distinct configs cost a handful of resolutions) and the scheduler flag. The
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

A page row also says ``failing`` when its latest finished beat failed. "Today" is the UTC day.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from soulbeat.agents.registry import AgentRegistry
from soulbeat.clock import Clock
from soulbeat.config.layers import EffectiveConfig
from soulbeat.contract.active_hours import is_within_active_hours
from soulbeat.contract.interval import interval_or_disabled
from soulbeat.errors import ConfigError, NotFoundError
from soulbeat.events.bus import EventBus
from soulbeat.service.views import beat_view, plain
from soulbeat.store.base import Store
from soulbeat.store.records import MAIN, Schedule, Thread

State = Literal["disabled", "paused", "quiet-hours", "overdue", "scheduled"]
STATES: tuple[State, ...] = ("disabled", "paused", "quiet-hours", "overdue", "scheduled")
Filter = Literal["all", "enabled", "disabled", "paused", "quiet-hours", "overdue", "dry-run"]
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
class _Row:
    thread: Thread
    schedule: Schedule | None
    state: State
    every: timedelta | None
    dry_run: bool
    config: EffectiveConfig | None


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
        self._configs: dict[tuple[str, str], EffectiveConfig | None] = {}

    async def page(self, query: FleetQuery) -> dict[str, Any]:
        """``items`` (the page), ``total`` (matching threads), ``counts`` (threads per state,
        over all threads), ``running`` and ``now``."""
        now = self._clock.now()
        running = await self._is_running()
        schedules = {s.thread_id: s for s in await self._store.list_schedules() if s.skill == MAIN}
        rows = [
            self._row(t, schedules.get(t.id), running, now)
            for t in await self._store.list_threads()
        ]
        counts = {state: 0 for state in STATES}
        for row in rows:
            counts[row.state] += 1
        chosen = [r for r in rows if _matches(r, query)]
        chosen.sort(key=_sort_key(query.sort), reverse=query.descending)
        limit = max(1, min(query.limit, MAX_PAGE))
        page = chosen[query.offset : query.offset + limit]
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        facts = await self._store.thread_facts([r.thread.id for r in page], today)
        items = []
        for row in page:
            fact = facts.get(row.thread.id)
            last = fact.last if fact else None
            items.append(
                _view(row)
                | {
                    "last_beat": beat_view(last) if last else None,
                    "failing": bool(last and last.outcome == "failed"),
                    "tokens_today": fact.tokens if fact else 0,
                }
            )
        return {
            "items": items,
            "total": len(chosen),
            "limit": limit,
            "offset": query.offset,
            "next_offset": query.offset + limit if query.offset + limit < len(chosen) else None,
            "counts": counts,
            "threads": len(rows),
            "running": running,
            "now": plain(now),
        }

    async def set_enabled(self, thread_ids: Sequence[str], enabled: bool) -> list[str]:
        """Turn the listed threads on or off (unknown ids raise NotFoundError before anything
        changes); one ``config.changed`` event names them all. Returns the ids changed."""
        wanted = list(dict.fromkeys(thread_ids))
        known = {t.id: t for t in await self._store.list_threads()}
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

    def _row(self, thread: Thread, schedule: Schedule | None, running: bool, now: datetime) -> _Row:
        config = self._effective(thread)
        every = interval_or_disabled(config.config.every) if config else None
        dry_run = bool(config and config.config.dry_run)
        state: State
        if not thread.enabled or config is None or not config.config.enabled or every is None:
            state = "disabled"
        elif not running:
            state = "paused"
        elif not self._inside(thread, config, now):
            state = "quiet-hours"
        elif schedule and schedule.next_due_at and schedule.next_due_at < now - OVERDUE_GRACE:
            state = "overdue"
        else:
            state = "scheduled"
        return _Row(thread, schedule, state, every, dry_run, config)

    def _effective(self, thread: Thread) -> EffectiveConfig | None:
        key = (thread.agent_id, json.dumps(thread.config, sort_keys=True, default=str))
        if key not in self._configs:
            if len(self._configs) > 10_000:  # settings rarely change; bound the memory anyway
                self._configs.clear()
            try:
                self._configs[key] = self._registry.effective(thread)
            except ConfigError:
                self._configs[key] = None
        return self._configs[key]

    def _inside(self, thread: Thread, config: EffectiveConfig, now: datetime) -> bool:
        window = config.config.active_hours
        if window is None:
            return True
        zone = self._registry.settings.user_timezone_for(thread.agent_id)
        return is_within_active_hours(window.to_active_hours(), now, zone)


def _matches(row: _Row, query: FleetQuery) -> bool:
    text = query.text.strip().lower()
    if text and not any(
        text in value.lower() for value in (row.thread.id, row.thread.title, row.thread.agent_id)
    ):
        return False
    if query.state == "all":
        return True
    if query.state == "enabled":
        return row.state != "disabled"
    if query.state == "dry-run":
        return row.dry_run
    return row.state == query.state


def _sort_key(key: SortKey) -> Callable[[_Row], Any]:
    if key == "title":
        return lambda r: (r.thread.title.lower(), r.thread.id)
    if key == "state":
        return lambda r: (STATES.index(r.state), r.thread.id)
    if key == "next_due":
        return lambda r: (_stamp(r.schedule.next_due_at if r.schedule else None), r.thread.id)
    if key == "last_beat":
        return lambda r: (
            _stamp(r.schedule.last_finished_at if r.schedule else None, missing=0.0),
            r.thread.id,
        )
    if key == "every":
        return lambda r: (r.every.total_seconds() if r.every else float("inf"), r.thread.id)
    return lambda r: r.thread.id


def _stamp(moment: datetime | None, missing: float = float("inf")) -> float:
    return moment.timestamp() if moment else missing


def _view(row: _Row) -> dict[str, Any]:
    config = row.config.config if row.config else None
    window = config.active_hours if config else None
    schedule = row.schedule
    planned = row.state != "disabled"
    return {
        "id": row.thread.id,
        "title": row.thread.title,
        "agent": row.thread.agent_id,
        "enabled": row.thread.enabled,
        "state": row.state,
        "every": config.every if config else None,
        "dry_run": row.dry_run,
        "target": config.target if config else None,
        "active_hours": plain(window.model_dump()) if window else None,
        "next_due_at": plain(schedule.next_due_at) if schedule and planned else None,
        "last_finished_at": plain(schedule.last_finished_at) if schedule else None,
    }


__all__ = ["OVERDUE_GRACE", "STATES", "Fleet", "FleetQuery"]
