"""`SQLiteStore`: the `Store` protocols (see `soulbeat.store.base`) on one SQLite file.

- One connection, opened on a private worker thread. Every method is one job on that thread and
  every job is one transaction: `BEGIN IMMEDIATE` when it writes, `BEGIN` when it only reads. The
  store is meant for one asyncio loop; concurrent calls queue on the thread, so they never
  interleave inside a transaction.
- Two stores on one file (two processes) are safe: a writing transaction takes SQLite's write lock
  when it begins and waits up to `busy_timeout` seconds for the other, so a claim reads and leases
  schedules with nobody else writing in between.
- WAL journal (readers do not block the writer), `foreign_keys=ON`, `synchronous=NORMAL`: a
  commit is in the WAL file (the operating system's page cache) before the call returns, so a
  beat reported finished stays finished across a killed process (kill -9, a crash), which is what
  keeps it from running twice; the WAL is fsync'd at each checkpoint, not at each commit (a power
  cut can lose the last commits, never corrupt the file). `FULL` cost an fsync (about 4 ms here)
  per transaction on the store's one thread, which bounded beats per second (issue 12).
- The schema comes from the numbered migrations applied at `open()`
  (`soulbeat.store.sqlite.migrate`).
  Datetimes are stored as integer microseconds since the epoch (`soulbeat.store.codec`).
- Time filters: `messages(since=)` and `tokens_used` / `last_alert` are inclusive of `since`;
  `list_beats` filters on the beat's due time, `since` inclusive and `until` exclusive.
- Failures of SQLite itself surface as StoreError (NotFoundError for a missing record).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from soulbeat.store import time_sql
from soulbeat.store.base import Store, check_health_of
from soulbeat.store.bulk import paused_gc
from soulbeat.store.codec import dump_json, opt_micros, to_micros
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
from soulbeat.store.search import (
    FLEET_SQL,
    BeatBucket,
    BeatPage,
    BeatQuery,
    FleetRow,
    ThreadFacts,
    fleet_row,
)
from soulbeat.store.sqlite import claims, files, search, tables
from soulbeat.store.sqlite import effects as effects_sql
from soulbeat.store.sqlite import memory as memory_sql
from soulbeat.store.sqlite.actions import SQLiteActions
from soulbeat.store.sqlite.board import SQLiteBoard
from soulbeat.store.sqlite.time import SQLiteTime

_ROLES = frozenset(get_args(Role))


class SQLiteStore(SQLiteBoard, SQLiteActions, SQLiteTime):
    """The `Store` on the SQLite file at `path` (created, with its folder, when missing)."""

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 5.0, group_linger: float = 0.0
    ) -> None:
        super().__init__(path, busy_timeout=busy_timeout, group_linger=group_linger)
        self._seed: str | None = None

    # -- settings -------------------------------------------------------------------------------
    async def install_seed(self) -> str:
        """A random seed made once per database and kept forever (phases derive from it)."""
        if self._seed is None:
            self._seed = await self._write(tables.install_seed)
        return self._seed

    async def get_flag(self, name: str, default: bool) -> bool:
        """A stored boolean flag, e.g. `scheduler.enabled`; `default` when never set."""
        stored = await self._peek(lambda conn: tables.get_flag(conn, name))
        return default if stored is None else stored

    async def set_flag(self, name: str, value: bool) -> None:
        await self._write_small(lambda conn: tables.set_flag(conn, name, value))

    # -- agents and threads ---------------------------------------------------------------------
    async def upsert_agent(self, agent: Agent) -> None:
        """Insert the agent or replace its workspace, config and user timezone."""
        config = dump_json(dict(agent.config), what=f"agent {agent.id!r} config")
        await self._write(lambda conn: tables.upsert_agent(conn, agent, config))

    async def get_agent(self, agent_id: str) -> Agent:
        """Raises NotFoundError."""
        return await self._read(lambda conn: tables.get_agent(conn, agent_id))

    async def list_agents(self) -> list[Agent]:
        """All agents by id."""
        return await self._read(tables.list_agents)

    async def add_thread(self, thread: Thread) -> Thread:
        """Insert a thread; an existing id raises StoreError, an unknown agent NotFoundError."""
        row = _thread_row(thread)

        def job(conn: sqlite3.Connection) -> Thread:
            tables.insert_thread(conn, row)
            return tables.get_thread(conn, thread.id)

        return await self._write(job)

    async def add_threads(self, threads: Iterable[Thread]) -> int:
        """`add_thread` for many threads in one transaction (all or none); returns how many.
        SQLite-only, for seeding and start-up: same checks, same errors."""
        with paused_gc():  # 100,000 acyclic rows: the collector would walk them over and over
            rows = [_thread_row(thread) for thread in threads]

            def job(conn: sqlite3.Connection) -> int:
                with paused_gc():  # the store's thread: the statement's own tuples
                    tables.insert_threads(conn, rows)
                return len(rows)

            return await self._write(job)

    async def threads_changed_since(
        self, revision: int, *, limit: int | None = None
    ) -> list[Thread]:
        """Threads added or changed after `revision`, in revision order (the first `limit`)."""
        return await self._read(lambda conn: tables.threads_changed_since(conn, revision, limit))

    async def thread_revision(self) -> int:
        """The highest thread revision so far (0 with no threads)."""
        return await self._peek(tables.thread_revision)

    async def get_thread(self, thread_id: str) -> Thread:
        """Raises NotFoundError."""
        return await self._peek(lambda conn: tables.get_thread(conn, thread_id))

    async def list_threads(
        self, agent_id: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Thread]:
        """Threads in creation order (then id), all or one agent's; a page with `limit`."""
        return await self._read(lambda conn: tables.list_threads(conn, agent_id, limit, offset))

    async def count_threads(self, agent_id: str | None = None) -> int:
        """How many threads (of one agent), counted in SQL."""
        return await self._read(lambda conn: tables.count_threads(conn, agent_id))

    async def set_thread_enabled(self, thread_id: str, enabled: bool) -> Thread:
        """Raises NotFoundError."""
        return await self._write(
            lambda conn: tables.update_thread(conn, thread_id, "enabled", int(enabled))
        )

    async def set_thread_config(self, thread_id: str, config: Mapping[str, Any]) -> Thread:
        """Replace the thread's stored overrides (already validated and normalised)."""
        text = dump_json(dict(config), what=f"thread {thread_id!r} config")
        return await self._write(lambda conn: tables.update_thread(conn, thread_id, "config", text))

    async def delete_thread(self, thread_id: str) -> None:
        """Remove a thread with its messages, schedules and queued events (beats are kept; one in
        flight becomes `interrupted`). Raises NotFoundError."""
        await self._write(lambda conn: tables.delete_thread(conn, thread_id))

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
        """Append a message. A `user` message that is the thread's newest also sets its last
        activity and (when `channel` is given) its last channel. With `effect`, the message
        recorded under it is returned if there is one, else the message and its record are one
        transaction (`Store.add_message`). Raises NotFoundError for an unknown thread or beat,
        ValueError for an unknown role."""
        if role not in _ROLES:
            raise ValueError(f"role {role!r} is not one of {sorted(_ROLES)}")
        created = to_micros(at)

        def add(conn: sqlite3.Connection) -> Message:
            return tables.add_message(conn, thread_id, role, text, created, channel, beat_id)

        if effect is None:
            return await self._write(add)
        return await self._write(
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
        """Messages oldest first (created at or after `since`); with `limit`, the newest `limit`
        of them, still oldest first. An unknown thread has none."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        after = opt_micros(since)
        run = self._peek if _small(limit) else self._read  # a beat's recent turns: no hop
        return await run(lambda conn: tables.messages(conn, thread_id, after, limit, offset))

    async def count_messages(self, thread_id: str) -> int:
        """How many messages the thread has."""
        return await self._read(lambda conn: tables.count_messages(conn, thread_id))

    # -- schedules and claiming -----------------------------------------------------------------
    async def get_schedule(self, thread_id: str, skill: str) -> Schedule | None:
        return await self._peek(lambda conn: claims.get_schedule(conn, thread_id, skill))

    async def list_schedules(self, thread_id: str | None = None) -> list[Schedule]:
        """Schedules by thread id then skill (the main heartbeat, skill "", first)."""
        if thread_id is None:  # the fleet's: on the store's thread
            return await self._read(lambda conn: claims.list_schedules(conn, None))
        return await self._peek(lambda conn: claims.list_schedules(conn, thread_id))

    async def main_schedules(self, thread_ids: Sequence[str]) -> list[Schedule]:
        """The main schedules of these threads, one query."""
        ids = list(thread_ids)
        return await self._read(lambda conn: claims.main_schedules(conn, ids))

    async def schedules_of(self, thread_ids: Sequence[str]) -> list[Schedule]:
        """Every schedule of these threads, main and skills."""
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
        """Create or re-plan a schedule (keeps its history and lease; clears `not_before`).
        Raises NotFoundError for an unknown thread."""
        due = opt_micros(next_due_at)

        def job(conn: sqlite3.Connection) -> Schedule:
            claims.put_schedule(conn, thread_id, skill, due, phase_seconds, fingerprint, inputs)
            schedule = claims.get_schedule(conn, thread_id, skill)
            assert schedule is not None
            return schedule

        return await self._write(job)

    async def put_schedules(
        self, schedules: Iterable[Schedule], *, keep_slots: bool = False
    ) -> int:
        """`put_schedule` for many schedules in one transaction (all or none), from each record's
        thread_id, skill, next_due_at, phase_seconds, fingerprint and inputs; returns how many.
        With `keep_slots`, existing schedules only take the new `inputs`."""
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

        def job(conn: sqlite3.Connection) -> int:
            claims.put_schedules(conn, plans, keep_slots=keep_slots)
            return len(plans)

        return await self._write(job)

    async def delete_schedule(self, thread_id: str, skill: str) -> None:
        """Delete the schedule if it exists; a beat in flight on it becomes `interrupted`."""
        await self._write(lambda conn: claims.delete_schedules(conn, thread_id, skill))

    async def earliest_due(self) -> datetime | None:
        """The earliest max(next_due_at, not_before) over schedules without a lease, or the
        earliest lease expiry if sooner; None when nothing is scheduled. Two index lookups."""
        return await self._peek(claims.earliest_due)

    async def stale_schedules(self, now: datetime, *, limit: int = 100) -> list[Schedule]:
        """Claimable schedules whose slot key is already finished (see `Store.stale_schedules`)."""
        return await self._peek(lambda conn: claims.stale_schedules(conn, now, limit))

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        *,
        limit: int = 100,
        due_by: datetime | None = None,
    ) -> list[Claim]:
        """Claim up to `limit` due schedules, earliest first (see `soulbeat.store.base`).
        Scheduled beats get the reason `interval`, or `skill:<name>` for a skill schedule."""
        due = _check_due_by(now, lease, limit, due_by)
        return await self._write_small(
            lambda conn: claims.claim_due(conn, now, worker_id, lease, limit, due)
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
        """Claim an out-of-slot beat keyed by `at`; None when the schedule holds a live lease at
        `at` or that key is already finished. A thread without that schedule gets an unscheduled
        one (next_due_at None) to hold the lease; an unknown thread raises NotFoundError."""
        _check_lease_args(at, lease)
        return await self._write_small(
            lambda conn: claims.claim_wake(conn, thread_id, skill, reason, at, worker_id, lease)
        )

    async def renew_lease(self, claim: Claim, until: datetime) -> Claim:
        """Extend the lease; raises LeaseLostError when it is no longer ours."""
        to_micros(until)
        return await self._write_small(lambda conn: claims.renew_lease(conn, claim, until))

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
        """Write the record and release the lease atomically; with `advance=False` the slot
        (`next_due_at`) is left alone and the argument ignored. Raises LeaseLostError, having
        written nothing, when the lease is no longer ours. ``health`` is written in the same
        transaction (`BeatStore.finish_beat`): one commit per beat, not two (issue 12)."""
        runs = dict(task_runs or {})
        check_health_of(claim, health)

        def job(conn: sqlite3.Connection) -> BeatRecord:
            record = claims.finish_beat(conn, claim, result, next_due_at, advance, runs)
            if health is not None:
                conn.execute(time_sql.PUT_HEALTH, time_sql.health_args(health))
            return record

        # A beat that ran may wait to share a commit (issue 12); a guard's skip does not: the
        # scheduler's pass waits for it.
        return await self._write_grouped(job, linger=result.ran_model)

    async def defer_beat(
        self, claim: Claim, until: datetime, reason: str, *, audit: Mapping[str, Any] | None = None
    ) -> BeatRecord:
        """The beat becomes `deferred` with `reason` as its skip reason (and `audit` when given),
        the lease is released and `not_before` set to `until`; the slot is kept."""
        return await self._write_grouped(
            lambda conn: claims.defer_beat(conn, claim, until, reason, audit)
        )

    async def reap_expired(self, now: datetime) -> int:
        """Release expired leases; their beats become `interrupted`. Returns how many. Looks
        first in a read (one index probe), so a pass with nothing expired writes nothing."""
        if not await self._peek(lambda conn: claims.any_expired(conn, now)):
            return 0
        to_micros(now)
        return await self._write_small(lambda conn: claims.reap_expired(conn, now))

    # -- decisions and effects (SPEC §9.4) --------------------------------------------------------
    async def record_decision(
        self, key: str, round: int, decision: Mapping[str, Any], at: datetime
    ) -> Mapping[str, Any]:
        """Keep round `round`'s answer of beat `key` unless kept; the one kept."""
        recorded = to_micros(at)
        return await self._write(
            lambda conn: effects_sql.record_decision(conn, key, round, decision, recorded)
        )

    async def decisions(self, key: str) -> list[Mapping[str, Any]]:
        return list(await self._peek(lambda conn: effects_sql.decisions(conn, key)))

    async def effects(self, key: str) -> list[Effect]:
        return await self._peek(lambda conn: effects_sql.effects(conn, key))

    async def start_effect(self, ref: EffectRef, at: datetime) -> Effect:
        started = to_micros(at)
        return await self._write(lambda conn: effects_sql.start_effect(conn, ref, started))

    async def finish_effect(self, ref: EffectRef, data: Mapping[str, Any], at: datetime) -> Effect:
        done = to_micros(at)
        return await self._write(lambda conn: effects_sql.finish_effect(conn, ref, data, done))

    async def release_worker(self, worker_id: str) -> int:
        """Release every lease the worker holds (see `Store.release_worker`)."""
        return await self._write(lambda conn: claims.release_worker(conn, worker_id))

    # -- system events --------------------------------------------------------------------------
    async def queue_event(
        self, thread_id: str, text: str, at: datetime, *, source: str = "api"
    ) -> SystemEvent:
        """Queue an event for the thread's next beat. Raises NotFoundError for an unknown thread."""
        created = to_micros(at)
        return await self._write(
            lambda conn: tables.queue_event(conn, thread_id, text, created, source)
        )

    async def pending_events(self, thread_id: str) -> list[SystemEvent]:
        """The thread's unconsumed events, oldest first."""
        return await self._peek(lambda conn: tables.pending_events(conn, thread_id))

    async def consume_events(self, event_ids: Sequence[int], at: datetime) -> None:
        """Mark events consumed at `at`. Unknown and already consumed ids are left alone."""
        consumed = to_micros(at)
        await self._write(lambda conn: tables.consume_events(conn, event_ids, consumed))

    # -- beats ----------------------------------------------------------------------------------
    async def get_beat(self, beat_id: int) -> BeatRecord:
        """Raises NotFoundError."""
        return await self._read(lambda conn: tables.get_beat(conn, beat_id))

    async def get_beat_by_key(self, key: str) -> BeatRecord | None:
        return await self._peek(lambda conn: tables.get_beat_by_key(conn, key))

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
        """Newest first by due time (then id), `since` <= due < `until`."""
        filters: dict[str, object | None] = {
            "thread_id = ?": thread_id,
            "due_at >= ?": opt_micros(since),
            "due_at < ?": opt_micros(until),
            "outcome = ?": outcome,
        }
        # One thread's last beats (asked by every beat's gates and context): no hop.
        run = self._peek if thread_id is not None and _small(limit) else self._read
        return await run(lambda conn: tables.list_beats(conn, filters, limit, offset))

    async def count_beats(
        self,
        *,
        thread_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcome: str | None = None,
    ) -> int:
        """How many beats `list_beats` with these filters pages through."""
        filters: dict[str, object | None] = {
            "thread_id = ?": thread_id,
            "due_at >= ?": opt_micros(since),
            "due_at < ?": opt_micros(until),
            "outcome = ?": outcome,
        }
        return await self._read(lambda conn: tables.count_beats(conn, filters))

    async def prune(self, before: datetime) -> dict[str, int]:
        """Delete finished beats, the action log and consumed events older than `before` (see
        `Store.prune`); returns how many rows went, per table."""
        cut = to_micros(before)
        return await self._write(lambda conn: tables.prune(conn, cut))

    async def search_beats(self, query: BeatQuery, *, limit: int, offset: int) -> BeatPage:
        return await self._read(lambda conn: search.search_beats(conn, query, limit, offset))

    async def beat_buckets(self, query: BeatQuery, bucket: timedelta) -> list[BeatBucket]:
        micros = max(1, int(bucket.total_seconds() * 1_000_000))
        return await self._read(lambda conn: search.beat_buckets(conn, query, micros))

    async def fleet_rows(self) -> list[FleetRow]:
        return await self._read(lambda conn: [fleet_row(r) for r in conn.execute(FLEET_SQL)])

    async def thread_facts(
        self, thread_ids: Sequence[str], since: datetime
    ) -> dict[str, ThreadFacts]:
        after = to_micros(since)
        ids = list(thread_ids)
        return await self._read(lambda conn: search.thread_facts(conn, ids, after))

    async def tokens_used(self, thread_id: str, since: datetime) -> int:
        """Prompt + completion tokens of the thread's beats finished at or after `since`."""
        after = to_micros(since)
        return await self._read(lambda conn: tables.tokens_used(conn, thread_id, after))

    async def last_alert(self, thread_id: str, since: datetime) -> str | None:
        """The alert text of the thread's latest beat finished at or after `since` that delivered
        one, for dedupe."""
        after = to_micros(since)
        return await self._read(lambda conn: tables.last_alert(conn, thread_id, after))

    # -- workspace file versions ----------------------------------------------------------------
    async def add_file_version(
        self, agent_id: str, kind: str, content: str, at: datetime, *, source: str
    ) -> FileVersion:
        created = to_micros(at)
        return await self._write(
            lambda conn: files.add_version(conn, agent_id, kind, content, created, source)
        )

    async def file_versions(
        self, agent_id: str, kind: str, *, limit: int | None = None
    ) -> list[FileVersion]:
        return await self._read(lambda conn: files.list_versions(conn, agent_id, kind, limit))

    async def get_file_version(self, agent_id: str, kind: str, version: int) -> FileVersion:
        return await self._read(lambda conn: files.get_version(conn, agent_id, kind, version))

    # -- memory between beats (migration 008) -----------------------------------------------------
    async def get_scratch(self, thread_id: str) -> Scratch:
        return await self._peek(lambda conn: memory_sql.get_scratch(conn, thread_id))

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
        return await self._write(
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
        return await self._read(
            lambda conn: memory_sql.thread_changes(conn, thread_id, agent_id, since)
        )


def _check_due_by(now: datetime, lease: timedelta, limit: int, due_by: datetime | None) -> datetime:
    """`claim_due`'s arguments checked (ValueError); the horizon, `now` when not given."""
    _check_lease_args(now, lease)
    if limit < 1:
        raise ValueError(f"limit must be >= 1, not {limit}")
    if due_by is None:
        return now
    to_micros(due_by)
    if due_by < now:
        raise ValueError(f"due_by ({due_by.isoformat()}) is before now ({now.isoformat()})")
    return due_by


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
        int(thread.enabled),
        dump_json(dict(thread.config), what=f"thread {thread.id!r} config"),
        to_micros(thread.created_at),
        opt_micros(thread.last_user_message_at),
        thread.last_channel,
    )


if TYPE_CHECKING:  # mypy checks here that SQLiteStore satisfies the protocol

    def _is_a_store(store: SQLiteStore) -> Store:
        return store


SMALL_READ = 50
"""Rows a read may ask for and still run on the caller's thread (`SQLiteConnection._peek`)."""


def _small(limit: int | None) -> bool:
    return limit is not None and limit <= SMALL_READ
