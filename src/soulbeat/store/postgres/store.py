"""`PostgresStore`: the `Store` protocols (see `soulbeat.store.base`) on PostgreSQL. This module
is its `BeatStore` part; the board's is `PostgresBoard` (`board.py`), the action log's and
approvals' `PostgresActions` (`actions.py`), over the pool of `PostgresConnection`.

- psycopg 3 in asyncio, connections from a `psycopg_pool.AsyncConnectionPool`. Every method is
  one transaction on one pooled connection, so concurrent calls run side by side (unlike the
  SQLite store's single writer) and several processes share the database: claims take due
  schedules with `FOR UPDATE SKIP LOCKED` (`soulbeat.store.postgres.claims`).
- Isolation is READ COMMITTED; what must not interleave is ordered by row locks (schedule row
  first, beat row second) or, for numbered file versions, an advisory lock.
- The schema comes from this folder's numbered migrations, applied at `open()`; its encodings
  are the SQLite store's (epoch microseconds, JSON text), so `soulbeat db copy` moves rows as they
  are. Time filters are the SQLite store's too.
- Writes other workers must react to (the global flag, threads, schedules, queued events)
  NOTIFY them on commit (`soulbeat.store.postgres.signals`), so a stop, a config change or a
  schedule due earlier reaches every worker at once instead of at its next wake-up.
- Failures of PostgreSQL or the network surface as StoreError (NotFoundError for a missing record,
  LeaseLostError for a lost lease), naming the database without its password.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from soulbeat.store import time_sql
from soulbeat.store.base import Store, check_health_of
from soulbeat.store.codec import dump_json, opt_micros, to_micros
from soulbeat.store.postgres import claims, tables
from soulbeat.store.postgres import effects as effects_sql
from soulbeat.store.postgres import memory as memory_sql
from soulbeat.store.postgres import search as beat_search
from soulbeat.store.postgres.actions import PostgresActions
from soulbeat.store.postgres.board import PostgresBoard
from soulbeat.store.postgres.tables import Conn
from soulbeat.store.postgres.time import PostgresTime
from soulbeat.store.records import (
    Agent,
    BeatRecord,
    BeatResult,
    Claim,
    Effect,
    EffectRef,
    FileVersion,
    Message,
    Role,
    Schedule,
    SystemEvent,
    Thread,
)
from soulbeat.store.records_memory import Scratch, ThreadChanges
from soulbeat.store.records_time import ThreadHealth
from soulbeat.store.search import BeatBucket, BeatPage, BeatQuery, FleetRow, ThreadFacts

T = TypeVar("T")
Job = Callable[[Conn], Awaitable[T]]

_ROLES = frozenset(get_args(Role))


class PostgresStore(PostgresBoard, PostgresActions, PostgresTime):
    """The `Store` on the PostgreSQL database at `url` (a `postgresql://` URL or conninfo)."""

    # -- settings -------------------------------------------------------------------------------
    async def install_seed(self) -> str:
        if self._seed is None:
            self._seed = await self._run(tables.install_seed)
        return self._seed

    async def get_flag(self, name: str, default: bool) -> bool:
        stored = await self._read(lambda conn: tables.get_flag(conn, name))
        return default if stored is None else stored

    async def set_flag(self, name: str, value: bool) -> None:
        await self._changing(lambda conn: tables.set_flag(conn, name, value))

    # -- agents and threads ---------------------------------------------------------------------
    async def upsert_agent(self, agent: Agent) -> None:
        config = dump_json(dict(agent.config), what=f"agent {agent.id!r} config")
        await self._run(lambda conn: tables.upsert_agent(conn, agent, config))

    async def get_agent(self, agent_id: str) -> Agent:
        return await self._run(lambda conn: tables.get_agent(conn, agent_id))

    async def list_agents(self) -> list[Agent]:
        return await self._run(tables.list_agents)

    async def add_thread(self, thread: Thread) -> Thread:
        row = _thread_row(thread)

        async def job(conn: Conn) -> Thread:
            await tables.insert_thread(conn, row)
            return await tables.get_thread(conn, thread.id)

        return await self._changing(job)

    async def add_threads(self, threads: Iterable[Thread]) -> int:
        """`add_thread` for many threads in one transaction (all or none); returns how many."""
        rows = [_thread_row(thread) for thread in threads]

        async def job(conn: Conn) -> int:
            for row in rows:
                await tables.insert_thread(conn, row)
            return len(rows)

        return await self._changing(job)

    async def threads_changed_since(
        self, revision: int, *, limit: int | None = None
    ) -> list[Thread]:
        return await self._run(lambda conn: tables.threads_changed_since(conn, revision, limit))

    async def thread_revision(self) -> int:
        return await self._run(tables.thread_revision)

    async def get_thread(self, thread_id: str) -> Thread:
        return await self._run(lambda conn: tables.get_thread(conn, thread_id))

    async def list_threads(
        self, agent_id: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Thread]:
        return await self._run(lambda conn: tables.list_threads(conn, agent_id, limit, offset))

    async def count_threads(self, agent_id: str | None = None) -> int:
        return await self._run(lambda conn: tables.count_threads(conn, agent_id))

    async def set_thread_enabled(self, thread_id: str, enabled: bool) -> Thread:
        return await self._changing(
            lambda conn: tables.update_thread(conn, thread_id, "enabled", bool(enabled))
        )

    async def set_thread_config(self, thread_id: str, config: Mapping[str, Any]) -> Thread:
        text = dump_json(dict(config), what=f"thread {thread_id!r} config")
        return await self._changing(
            lambda conn: tables.update_thread(conn, thread_id, "config", text)
        )

    async def delete_thread(self, thread_id: str) -> None:
        await self._changing(lambda conn: claims.delete_thread(conn, thread_id))

    # -- messages -------------------------------------------------------------------------------
    async def add_message(
        self,
        thread_id: str,
        role: Role,
        text: str,
        at: datetime,
        *,
        channel: str | None = None,
        beat_id: int | None = None,
        effect: EffectRef | None = None,
    ) -> Message:
        if role not in _ROLES:
            raise ValueError(f"role {role!r} is not one of {sorted(_ROLES)}")
        created = to_micros(at)

        def add(conn: Conn) -> Awaitable[Message]:
            return tables.add_message(conn, thread_id, role, text, created, channel, beat_id)

        if effect is None:
            return await self._run(add)
        return await self._run(
            lambda conn: effects_sql.add_effect_message(conn, effect, created, lambda: add(conn))
        )

    async def messages(
        self,
        thread_id: str,
        *,
        since: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Message]:
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        after = opt_micros(since)
        return await self._run(lambda conn: tables.messages(conn, thread_id, after, limit, offset))

    async def count_messages(self, thread_id: str) -> int:
        """How many messages the thread has."""
        return await self._run(lambda conn: tables.count_messages(conn, thread_id))

    # -- schedules and claiming -----------------------------------------------------------------
    async def get_schedule(self, thread_id: str, skill: str) -> Schedule | None:
        return await self._read(lambda conn: claims.get_schedule(conn, thread_id, skill))

    async def list_schedules(self, thread_id: str | None = None) -> list[Schedule]:
        return await self._read(lambda conn: claims.list_schedules(conn, thread_id))

    async def main_schedules(self, thread_ids: Sequence[str]) -> list[Schedule]:
        ids = list(thread_ids)
        return await self._read(lambda conn: claims.main_schedules(conn, ids))

    async def schedules_of(self, thread_ids: Sequence[str]) -> list[Schedule]:
        ids = list(thread_ids)
        return await self._read(lambda conn: claims.schedules_of(conn, ids))

    async def put_schedule(
        self,
        thread_id: str,
        skill: str,
        *,
        next_due_at: datetime | None,
        phase_seconds: float,
        fingerprint: str,
        inputs: str = "",
    ) -> Schedule:
        due = opt_micros(next_due_at)
        return await self._run(
            lambda conn: claims.put_schedule(
                conn, thread_id, skill, due, phase_seconds, fingerprint, inputs
            )
        )

    async def put_schedules(
        self, schedules: Iterable[Schedule], *, keep_slots: bool = False
    ) -> int:
        """`put_schedule` for many schedules in one transaction (all or none)."""
        plans = [
            (
                s.thread_id,
                s.skill,
                opt_micros(s.next_due_at),
                s.phase_seconds,
                s.fingerprint,
                s.inputs,
            )
            for s in schedules
        ]

        async def job(conn: Conn) -> int:
            for plan in plans:
                await claims.put_schedule(conn, *plan, keep_slot=keep_slots)
            return len(plans)

        return await self._changing(job)

    async def delete_schedule(self, thread_id: str, skill: str) -> None:
        await self._changing(lambda conn: claims.delete_schedules(conn, thread_id, skill))

    async def earliest_due(self) -> datetime | None:
        return await self._read(claims.earliest_due)

    async def stale_schedules(self, now: datetime, *, limit: int = 100) -> list[Schedule]:
        return await self._read(lambda conn: claims.stale_schedules(conn, now, limit))

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        *,
        limit: int = 100,
        due_by: datetime | None = None,
    ) -> list[Claim]:
        _check_lease_args(now, lease)
        if limit < 1:
            raise ValueError(f"limit must be >= 1, not {limit}")
        if due_by is not None:
            to_micros(due_by)
            if due_by < now:
                raise ValueError(f"due_by ({due_by.isoformat()}) is before now ({now.isoformat()})")
        return await self._run(
            lambda conn: claims.claim_due(conn, now, worker_id, lease, limit, due_by)
        )

    async def claim_wake(
        self,
        thread_id: str,
        skill: str,
        reason: str,
        at: datetime,
        worker_id: str,
        lease: timedelta,
    ) -> Claim | None:
        _check_lease_args(at, lease)
        return await self._run(
            lambda conn: claims.claim_wake(conn, thread_id, skill, reason, at, worker_id, lease)
        )

    async def renew_lease(self, claim: Claim, until: datetime) -> Claim:
        to_micros(until)
        return await self._run(lambda conn: claims.renew_lease(conn, claim, until))

    async def finish_beat(
        self,
        claim: Claim,
        result: BeatResult,
        *,
        next_due_at: datetime | None,
        advance: bool = True,
        task_runs: Mapping[str, datetime] | None = None,
        health: ThreadHealth | None = None,
    ) -> BeatRecord:
        runs = dict(task_runs or {})
        check_health_of(claim, health)

        async def job(conn: Conn) -> BeatRecord:
            record = await claims.finish_beat(conn, claim, result, next_due_at, advance, runs)
            if health is not None:  # the same transaction (`BeatStore.finish_beat`)
                await conn.execute(time_sql.pg(time_sql.PUT_HEALTH), time_sql.health_args(health))
            return record

        return await self._run(job)

    async def defer_beat(
        self, claim: Claim, until: datetime, reason: str, *, audit: Mapping[str, Any] | None = None
    ) -> BeatRecord:
        return await self._run(lambda conn: claims.defer_beat(conn, claim, until, reason, audit))

    async def reap_expired(self, now: datetime) -> int:
        to_micros(now)
        return await self._run(lambda conn: claims.reap_expired(conn, now))

    # -- decisions and effects (SPEC §9.4) --------------------------------------------------------
    async def record_decision(
        self, key: str, round: int, decision: Mapping[str, Any], at: datetime
    ) -> Mapping[str, Any]:
        recorded = to_micros(at)
        return await self._run(
            lambda conn: effects_sql.record_decision(conn, key, round, decision, recorded)
        )

    async def decisions(self, key: str) -> list[Mapping[str, Any]]:
        return list(await self._run(lambda conn: effects_sql.decisions(conn, key)))

    async def effects(self, key: str) -> list[Effect]:
        return await self._run(lambda conn: effects_sql.effects(conn, key))

    async def start_effect(self, ref: EffectRef, at: datetime) -> Effect:
        started = to_micros(at)
        return await self._run(lambda conn: effects_sql.start_effect(conn, ref, started))

    async def finish_effect(self, ref: EffectRef, data: Mapping[str, Any], at: datetime) -> Effect:
        done = to_micros(at)
        return await self._run(lambda conn: effects_sql.finish_effect(conn, ref, data, done))

    async def release_worker(self, worker_id: str) -> int:
        return await self._run(lambda conn: claims.release_worker(conn, worker_id))

    # -- system events --------------------------------------------------------------------------
    async def queue_event(
        self, thread_id: str, text: str, at: datetime, *, source: str = "api"
    ) -> SystemEvent:
        created = to_micros(at)
        return await self._changing(
            lambda conn: tables.queue_event(conn, thread_id, text, created, source)
        )

    async def pending_events(self, thread_id: str) -> list[SystemEvent]:
        return await self._run(lambda conn: tables.pending_events(conn, thread_id))

    async def consume_events(self, event_ids: Sequence[int], at: datetime) -> None:
        consumed = to_micros(at)
        await self._run(lambda conn: tables.consume_events(conn, event_ids, consumed))

    # -- beats ----------------------------------------------------------------------------------
    async def get_beat(self, beat_id: int) -> BeatRecord:
        return await self._run(lambda conn: tables.get_beat(conn, beat_id))

    async def get_beat_by_key(self, key: str) -> BeatRecord | None:
        return await self._read(lambda conn: tables.get_beat_by_key(conn, key))

    async def list_beats(
        self,
        *,
        thread_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcome: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[BeatRecord]:
        filters: dict[str, object | None] = {
            "thread_id = %s": thread_id,
            "due_at >= %s": opt_micros(since),
            "due_at < %s": opt_micros(until),
            "outcome = %s": outcome,
        }
        return await self._run(lambda conn: tables.list_beats(conn, filters, limit, offset))

    async def count_beats(
        self,
        *,
        thread_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcome: str | None = None,
    ) -> int:
        filters: dict[str, object | None] = {
            "thread_id = %s": thread_id,
            "due_at >= %s": opt_micros(since),
            "due_at < %s": opt_micros(until),
            "outcome = %s": outcome,
        }
        return await self._run(lambda conn: tables.count_beats(conn, filters))

    async def prune(self, before: datetime) -> dict[str, int]:
        cut = to_micros(before)
        return await self._run(lambda conn: tables.prune(conn, cut))

    async def search_beats(self, query: BeatQuery, *, limit: int, offset: int) -> BeatPage:
        return await self._run(lambda conn: beat_search.search_beats(conn, query, limit, offset))

    async def beat_buckets(self, query: BeatQuery, bucket: timedelta) -> list[BeatBucket]:
        micros = max(1, int(bucket.total_seconds() * 1_000_000))
        return await self._run(lambda conn: beat_search.beat_buckets(conn, query, micros))

    async def fleet_rows(self) -> list[FleetRow]:
        return await self._run(beat_search.fleet_rows)

    async def thread_facts(
        self, thread_ids: Sequence[str], since: datetime
    ) -> dict[str, ThreadFacts]:
        after = to_micros(since)
        ids = list(thread_ids)
        return await self._run(lambda conn: beat_search.thread_facts(conn, ids, after))

    async def tokens_used(self, thread_id: str, since: datetime) -> int:
        after = to_micros(since)
        return await self._read(lambda conn: tables.tokens_used(conn, thread_id, after))

    async def last_alert(self, thread_id: str, since: datetime) -> str | None:
        after = to_micros(since)
        return await self._run(lambda conn: tables.last_alert(conn, thread_id, after))

    # -- workspace file versions ----------------------------------------------------------------
    async def add_file_version(
        self, agent_id: str, kind: str, content: str, at: datetime, *, source: str
    ) -> FileVersion:
        created = to_micros(at)
        return await self._run(
            lambda conn: tables.add_file_version(conn, agent_id, kind, content, created, source)
        )

    async def file_versions(
        self, agent_id: str, kind: str, *, limit: int | None = None
    ) -> list[FileVersion]:
        return await self._run(lambda conn: tables.file_versions(conn, agent_id, kind, limit))

    async def get_file_version(self, agent_id: str, kind: str, version: int) -> FileVersion:
        return await self._run(lambda conn: tables.get_file_version(conn, agent_id, kind, version))

    # -- memory between beats (migration 008) -----------------------------------------------------
    async def get_scratch(self, thread_id: str) -> Scratch:
        return await self._run(lambda conn: memory_sql.get_scratch(conn, thread_id))

    async def write_scratch(
        self,
        thread_id: str,
        content: str,
        at: datetime,
        *,
        expected_revision: int | None = None,
        beat_key: str | None = None,
        effect: EffectRef | None = None,
    ) -> Scratch:
        written = to_micros(at)
        return await self._run(
            lambda conn: memory_sql.write_scratch(
                conn,
                thread_id,
                content,
                written,
                expected_revision=expected_revision,
                beat_key=beat_key,
                effect=effect,
            )
        )

    async def thread_changes(self, thread_id: str, agent_id: str, after: datetime) -> ThreadChanges:
        since = to_micros(after)
        return await self._run(
            lambda conn: memory_sql.thread_changes(conn, thread_id, agent_id, since)
        )


def _check_lease_args(now: datetime, lease: timedelta) -> None:
    to_micros(now)
    if lease <= timedelta(0):
        raise ValueError(f"lease must be positive, not {lease}")


def _thread_row(thread: Thread) -> tables.ThreadRow:
    """The `threads` row of a record; refuses naive datetimes and non-JSON config (ValueError)."""
    return (
        thread.id,
        thread.agent_id,
        thread.title,
        bool(thread.enabled),
        dump_json(dict(thread.config), what=f"thread {thread.id!r} config"),
        to_micros(thread.created_at),
        opt_micros(thread.last_user_message_at),
        thread.last_channel,
    )


if TYPE_CHECKING:  # mypy checks here that PostgresStore satisfies the protocol

    def _is_a_store(store: PostgresStore) -> Store:
        return store
