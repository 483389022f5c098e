"""The store protocols: everything soulbeat remembers, and the claiming of due beats.

`Store` combines three protocols, one per part of the database, so each user asks only for the
part it needs:

- `BeatStore`: lifecycle and flags, agents and threads, messages, schedules and claims, system
  events, beats (the audit trail) and workspace file versions. The scheduler and the turn depend
  on this part alone.
- `BoardStore`: the ledger's tables (submolts, posts, comments, votes).
- `ActionStore`: the action log and the approval queue.
- `TimeStore`: one-shot reminders and each thread's health (issue 16).

Every backend implements all three (`soulbeat.store.sqlite.SQLiteStore` now, PostgreSQL later)
and speaks only the records of `soulbeat.store.records`, so `store/` needs nothing above it. Each
contract is written once, on its protocol, and checked once per backend by its contract suite
under `tests/store/` (`test_store_contract.py` for `BeatStore`).

The `BeatStore` contract:

- All datetimes in and out are aware UTC. Mappings are stored as JSON.
- `open()` applies the numbered migrations it has not applied yet and records them.
- Claiming. `claim_due(now, worker_id, lease)` takes every schedule whose
  max(next_due_at, not_before) <= now and which has no live lease (none, or expired), sets the
  lease, and returns one `Claim` per schedule, its beat row keyed `beat_key(thread, skill,
  next_due_at)` created with status `claimed` or, when a row with that key already exists and is
  not finished (a worker died holding it), re-used with `attempt` + 1. A key already `finished`
  is never returned again: the schedule is stale and is only skipped past by the caller
  (`stale_schedules(now)` lists such schedules, so the caller can find them without a scan).
  `claim_wake(...)` does the same for an out-of-slot beat (manual, event, hook) keyed by its
  wake time, and returns None when the schedule holds a live lease (the thread is busy).
- `finish_beat(claim, result, next_due_at=...)` is one transaction: it writes the audit record
  (status `finished`), releases the lease, sets the next slot, task last-run times and beat-start
  history. It raises `LeaseLostError` when the lease is no longer this worker's (another claim
  took the schedule, or a reap or delete released it; an expired lease nobody took yet is still
  ours), and then writes nothing — so a slot can never be finished twice.
- `defer_beat(claim, until, ...)` records a skip that is retried (busy): the beat row becomes
  `deferred` with the reason, the lease is released and `not_before` set; the slot is kept.
- `reap_expired(now)` releases leases that expired and marks their beats `interrupted`; the
  slot stays due, so the next claim runs it again under the same key.
- `release_worker(worker_id)` does the same at once for every lease one worker holds (a
  restarted worker takes back what its previous life held; a shutdown leaves nothing claimed).
- Effects (SPEC §9.4): `record_decision` keeps the model's answers of a beat before it acts;
  `start_effect` / `finish_effect` record each effect under its `EffectRef` (beat key + index);
  `add_message(effect=...)` writes a delivered message and its record in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

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
from soulbeat.store.records_actions import (
    ActionQuota,
    Approval,
    ApprovalStatus,
    LogEntry,
    LogRow,
    NewApproval,
    Problem,
)
from soulbeat.store.records_board import (
    Actor,
    BoardGuard,
    BoardIds,
    Comment,
    Karma,
    NewActivity,
    NewComment,
    NewPost,
    NewVote,
    Post,
    Sort,
    Submolt,
    VoteOutcome,
)
from soulbeat.store.records_memory import Scratch, ThreadChanges
from soulbeat.store.records_time import NewReminder, Reminder, ReminderStatus, ThreadHealth
from soulbeat.store.search import BeatBucket, BeatPage, BeatQuery, FleetRow, ThreadFacts


@runtime_checkable
class BeatStore(Protocol):
    """Threads, config, schedules, claims, beats, events, messages and file versions (see the
    module docstring for the claiming contract)."""

    # -- lifecycle and settings ---------------------------------------------------------------
    async def open(self) -> None:
        """Connect and apply pending migrations. Idempotent."""

    async def close(self) -> None: ...

    async def install_seed(self) -> str:
        """A random seed made once per store and kept forever (phases derive from it)."""

    async def get_flag(self, name: str, default: bool) -> bool:
        """A stored boolean flag, e.g. `scheduler.enabled`; `default` when never set."""

    async def set_flag(self, name: str, value: bool) -> None: ...

    # -- agents and threads -------------------------------------------------------------------
    async def upsert_agent(self, agent: Agent) -> None: ...

    async def get_agent(self, agent_id: str) -> Agent:
        """Raises NotFoundError."""

    async def list_agents(self) -> list[Agent]: ...

    async def add_thread(self, thread: Thread) -> Thread:
        """Insert a thread; an existing id raises StoreError, an unknown agent NotFoundError."""

    async def add_threads(self, threads: Iterable[Thread]) -> int:
        """`add_thread` for many threads in one transaction (all or none); returns how many."""

    async def threads_changed_since(
        self, revision: int, *, limit: int | None = None
    ) -> list[Thread]:
        """Threads whose `revision` is above `revision` (added, or config, enabled flag or agent
        changed since), in revision order; the first `limit` of them with a limit. Every such
        change takes the next revision of one sequence over all threads, so a caller that keeps
        the highest revision it has seen finds every later change, through an index, whatever
        the number of threads (and pages through all threads from revision 0, issue 12)."""

    async def thread_revision(self) -> int:
        """The highest thread revision so far (0 with no threads)."""

    async def get_thread(self, thread_id: str) -> Thread:
        """Raises NotFoundError."""

    async def list_threads(
        self, agent_id: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Thread]:
        """Threads in creation order (then id), all or one agent's; a page with `limit`."""

    async def count_threads(self, agent_id: str | None = None) -> int:
        """How many threads (of one agent): counted in the database, no rows loaded."""

    async def set_thread_enabled(self, thread_id: str, enabled: bool) -> Thread: ...

    async def set_thread_config(self, thread_id: str, config: Mapping[str, Any]) -> Thread:
        """Replace the thread's stored overrides (already validated and normalised)."""

    async def delete_thread(self, thread_id: str) -> None:
        """Remove a thread with its messages, schedules and queued events (beats are kept)."""

    # -- messages -----------------------------------------------------------------------------
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
        """Append a message. A `user` message also updates the thread's last activity and
        last channel. With `effect` (a beat's delivery) the message and the effect's ``done``
        record (data ``message_id``) are one transaction, and a message already recorded under
        that ref is returned instead of adding another: delivered once, however often asked."""

    async def messages(
        self,
        thread_id: str,
        *,
        since: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Message]:
        """Messages oldest first; with `limit`, the newest `limit` of them (still oldest first)
        after skipping the `offset` newest (a page further back)."""

    async def count_messages(self, thread_id: str) -> int:
        """How many messages the thread has (issue 12: the messages route's total)."""

    # -- schedules and claiming ---------------------------------------------------------------
    async def get_schedule(self, thread_id: str, skill: str) -> Schedule | None: ...

    async def list_schedules(self, thread_id: str | None = None) -> list[Schedule]: ...

    async def main_schedules(self, thread_ids: Sequence[str]) -> list[Schedule]:
        """The main (skill "") schedules of these threads, in one query (for a page of them)."""

    async def schedules_of(self, thread_ids: Sequence[str]) -> list[Schedule]:
        """Every schedule (main and skills) of these threads, in as few queries as the backend
        allows; order unspecified. Planning a page of threads reads its schedules with this
        instead of the whole fleet's (issue 12)."""

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
        """Create or re-plan a schedule (keeps its history and lease; clears `not_before`)."""

    async def put_schedules(
        self, schedules: Iterable[Schedule], *, keep_slots: bool = False
    ) -> int:
        """`put_schedule` for many schedules in one transaction (all or none), from each record's
        thread_id, skill, next_due_at, phase_seconds, fingerprint and inputs. With `keep_slots`,
        a schedule that exists only takes the new `inputs` (its slot stays)."""

    async def delete_schedule(self, thread_id: str, skill: str) -> None: ...

    async def earliest_due(self) -> datetime | None:
        """The earliest max(next_due_at, not_before) over schedules without a live lease, or the
        earliest lease expiry if that is sooner; None when nothing is scheduled. Uses an index."""

    async def stale_schedules(self, now: datetime, *, limit: int = 100) -> list[Schedule]:
        """Schedules claimable at `now` whose slot's beat key is already `finished`, so
        `claim_due` passes them over while `earliest_due` still reports them. The caller moves
        each to its next slot with `put_schedule` (else it would be woken for them forever).
        A store may look only among the first `limit` due schedules (SQLite does, so a pass
        stays O(limit) under a backlog): one further back is found once it reaches the front."""

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        *,
        limit: int = 100,
        due_by: datetime | None = None,
    ) -> list[Claim]:
        """Up to `limit` claims, earliest due first (see module docstring). A new beat's reason
        is `interval`, or `skill:<name>` for a skill's schedule. With `due_by` (not before
        `now`), slots that fall due by then are claimed too, ahead of time (issue 12: one
        transaction for the slots of a short horizon); a lease is still live or expired as of
        `now`, and every lease runs from `now`."""

    async def claim_wake(
        self,
        thread_id: str,
        skill: str,
        reason: str,
        at: datetime,
        worker_id: str,
        lease: timedelta,
    ) -> Claim | None:
        """None when busy at `at` or the wake's key is finished. A thread without that schedule
        gets an unscheduled one (next_due_at None) to hold the lease; no thread: NotFoundError."""

    async def renew_lease(self, claim: Claim, until: datetime) -> Claim:
        """Extend the lease; raises LeaseLostError when it is no longer ours."""

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
        """Write the record and release the lease atomically (see module docstring). With
        `advance=False` the schedule's slot is left alone (out-of-slot wakes). ``health``, when
        given, is the claim's thread's health row after this beat (issue 16), stored as
        `TimeStore.put_health` would, in the same transaction: written only when the beat is;
        a row of another thread raises ValueError, having written nothing."""

    async def defer_beat(
        self, claim: Claim, until: datetime, reason: str, *, audit: Mapping[str, Any] | None = None
    ) -> BeatRecord: ...

    async def reap_expired(self, now: datetime) -> int:
        """Release expired leases; their beats become `interrupted`. Returns how many."""

    async def release_worker(self, worker_id: str) -> int:
        """Release every lease `worker_id` holds, expired or not; its beats still `claimed`
        become `interrupted` and their slots are kept, so the next claim resumes each under its
        beat key. Returns how many leases. For a worker that restarted under the same id (its
        previous life died holding them) and for the end of a shutdown: never while that worker
        still runs beats."""

    # -- system events ------------------------------------------------------------------------
    async def queue_event(
        self, thread_id: str, text: str, at: datetime, *, source: str = "api"
    ) -> SystemEvent: ...

    async def pending_events(self, thread_id: str) -> list[SystemEvent]: ...

    async def consume_events(self, event_ids: Sequence[int], at: datetime) -> None: ...

    # -- beats (the audit trail) --------------------------------------------------------------
    async def get_beat(self, beat_id: int) -> BeatRecord:
        """Raises NotFoundError."""

    async def get_beat_by_key(self, key: str) -> BeatRecord | None: ...

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
        """Newest first."""

    async def prune(self, before: datetime) -> dict[str, int]:
        """Retention: delete the finished beats (audit records), action log rows, consumed
        system events and event-journal entries (``event_log``, behind SSE ids) older than
        `before`, and return how many went per kind. Kept whatever their age: a beat in flight
        or the last record of a schedule (a repeated skip may still fold into it), actions
        waiting for approval or being carried out, and the journal's newest entry (its id is
        where ids go on from after a restart)."""

    async def search_beats(self, query: BeatQuery, *, limit: int, offset: int) -> BeatPage:
        """Beats matching `query` (see `soulbeat.store.search`), newest first by due time, with
        the total number that match."""

    async def beat_buckets(self, query: BeatQuery, bucket: timedelta) -> list[BeatBucket]:
        """Beats matching `query` summed per `bucket` of due time (epoch-aligned), oldest
        first; buckets without beats are left out."""

    async def fleet_rows(self) -> list[FleetRow]:
        """Every thread, lean (see `FleetRow`), ordered by id."""

    async def thread_facts(
        self, thread_ids: Sequence[str], since: datetime
    ) -> dict[str, ThreadFacts]:
        """For each thread (at most 500): its latest finished beat and the tokens of its beats
        finished at or after `since`."""

    async def count_beats(
        self,
        *,
        thread_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcome: str | None = None,
    ) -> int:
        """How many beats `list_beats` with the same filters would page through."""

    async def tokens_used(self, thread_id: str, since: datetime) -> int:
        """Prompt + completion tokens of the thread's beats finished since `since`."""

    async def last_alert(self, thread_id: str, since: datetime) -> str | None:
        """The text of the thread's last delivered alert finished since `since`, for dedupe."""

    # -- decisions and effects (SPEC §9.4) ------------------------------------------------------
    async def record_decision(
        self, key: str, round: int, decision: Mapping[str, Any], at: datetime
    ) -> Mapping[str, Any]:
        """Keep the model's answer for round `round` (from 0) of beat `key`, unless one is kept
        already; returns the one kept (the first writer wins). Durable when it returns: the
        beat acts on it only afterwards."""

    async def decisions(self, key: str) -> list[Mapping[str, Any]]:
        """The kept answers of beat `key`, by round (0, 1, ... with no gap)."""

    async def effects(self, key: str) -> list[Effect]:
        """The effect records of beat `key`, by index."""

    async def start_effect(self, ref: EffectRef, at: datetime) -> Effect:
        """Note that the effect `ref` (outside the database: a webhook call) is about to be
        made: a new record is ``started`` with attempts 1; a ``started`` one counts one more
        attempt; a ``done`` one is returned unchanged."""

    async def finish_effect(self, ref: EffectRef, data: Mapping[str, Any], at: datetime) -> Effect:
        """Record the effect `ref` ``done``, its `data` merged over what the record held
        (created when missing, with attempts 1)."""

    # -- workspace file versions ------------------------------------------------------------
    async def add_file_version(
        self, agent_id: str, kind: str, content: str, at: datetime, *, source: str
    ) -> FileVersion:
        """Record `content` as the next version of the agent's `kind` file (numbered from 1)."""

    async def file_versions(
        self, agent_id: str, kind: str, *, limit: int | None = None
    ) -> list[FileVersion]:
        """Newest first."""

    async def get_file_version(self, agent_id: str, kind: str, version: int) -> FileVersion:
        """Raises NotFoundError."""

    # -- memory between beats (issue 15, migration 008) -----------------------------------------
    async def get_scratch(self, thread_id: str) -> Scratch:
        """The thread's scratch; revision 0 and empty when never written."""

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
        """Replace the scratch, its revision + 1. With `expected_revision` (compare-and-swap) a
        scratch at another revision is left alone and `ScratchConflictError` raised. With
        `effect` (a beat's write, SPEC §9.4) the write and the effect's ``done`` record are one
        transaction, and an effect already recorded returns the scratch without writing again."""

    async def thread_changes(self, thread_id: str, agent_id: str, after: datetime) -> ThreadChanges:
        """What arrived for the thread after `after` (the `unchanged` guard, SPEC §9.1): messages
        not written by the agent, queued (unconsumed) events, scratch writes, versions of the
        agent's workspace files, posts and comments on the built-in board."""


@runtime_checkable
class BoardStore(Protocol):
    """The ledger's tables: submolts, subscriptions, posts, comments and votes, with the
    activity the board's rate limits count. `soulbeat.ledger.LedgerService` keeps the board's
    rules over this part; the records and errors are `soulbeat.store.records_board`'s.

    Contract: posts and comments are numbered from 1 (ids only grow, nothing is deleted); a
    missing submolt, post or comment is `LedgerNotFoundError`; a taken submolt name
    `LedgerConflictError`. Listings are newest first unless ``sort`` says otherwise. Each write is
    one transaction that checks its targets, then runs its `BoardGuard` (the duplicate guard,
    then the rate limit: whatever they raise propagates and nothing is written), writes, and
    counts the write for the guard's key; ``dry_run=True`` does all of it and keeps nothing.
    """

    # -- reads ----------------------------------------------------------------------------------
    async def get_submolt(self, name: str) -> Submolt: ...

    async def list_submolts(self, *, limit: int, offset: int) -> list[Submolt]:
        """By name."""

    async def count_submolts(self) -> int:
        """How many submolts `list_submolts` pages through (issue 12)."""

    async def subscriptions(self, who: Actor) -> list[str]:
        """The submolts ``who`` follows, by name; a thread follows its own and its agent's."""

    async def get_post(self, number: int) -> Post: ...

    async def get_comment(self, number: int) -> Comment: ...

    async def post_comments(self, number: int) -> list[Comment]:
        """Every comment of post ``number``, oldest first; LedgerNotFoundError for no post."""

    async def list_posts(
        self,
        *,
        submolt: str | None,
        subscriber: Actor | None,
        sort: Sort,
        start: datetime | None,
        limit: int,
        offset: int,
    ) -> list[Post]:
        """Posts of one submolt (missing: LedgerNotFoundError), else of ``subscriber``'s
        submolts, else of all, in ``sort`` order (hot by the stored rank, new, top by score),
        created at or after ``start`` when given."""

    async def count_posts(
        self, *, submolt: str | None, subscriber: Actor | None, start: datetime | None
    ) -> int:
        """How many posts `list_posts` with these filters pages through (issue 12)."""

    async def karma(self, author: Actor) -> Karma: ...

    async def new_activity(
        self, subscriber: Actor, since: datetime, *, skip: Actor | None, limit: int
    ) -> NewActivity:
        """Posts and comments in ``subscriber``'s submolts created at or after ``since``, not by
        ``skip``: the newest ``limit`` of each, oldest first, with the totals."""

    async def board_ids_since(self, post: int, comment: int, submolt_mark: int) -> BoardIds:
        """Post and comment numbers above ``post`` / ``comment``, and the submolts whose
        creation mark is above ``submolt_mark`` (for the ledger's id index)."""

    # -- writes ---------------------------------------------------------------------------------
    async def create_submolt(
        self, name: str, display_name: str, description: str, created_by: Actor, at: datetime
    ) -> Submolt: ...

    async def set_subscription(self, who: Actor, submolt: str, at: datetime, on: bool) -> bool:
        """Subscribe (``on``) or unsubscribe; True when that changed something."""

    async def add_post(self, post: NewPost, guard: BoardGuard, *, dry_run: bool = False) -> Post:
        """LedgerNotFoundError for a missing submolt."""

    async def add_comment(
        self, comment: NewComment, guard: BoardGuard, *, dry_run: bool = False
    ) -> Comment:
        """LedgerNotFoundError for a missing post or parent; LedgerInputError when the parent
        belongs to another post or the reply would sit deeper than ``max_depth``."""

    async def cast_vote(
        self, vote: NewVote, guard: BoardGuard, *, dry_run: bool = False
    ) -> VoteOutcome:
        """One vote per (thing, voter): added, flipped, removed (``toggle``) or unchanged; an
        unchanged vote is not counted by the guard."""


@runtime_checkable
class ActionStore(Protocol):
    """The action log and the approval queue (`soulbeat.actions` keeps their rules; records in
    `soulbeat.store.records_actions`).

    Contract: log entries and approvals are numbered from 1 and never deleted; listings are
    newest first (by id). `admit_action` is one write transaction: it reads what the
    `ActionQuota` asks for, lets ``quota.decide`` choose the row, and inserts it, so two writers
    can never both take the last slot of a limit. An approval is decided once: `claim_approval`
    on one that is not ``pending`` raises `ApprovalDecidedError` and changes nothing. Unknown ids
    are NotFoundError.
    """

    # -- the action log -------------------------------------------------------------------------
    async def record_action(self, row: LogRow, at: datetime) -> int:
        """Insert a final row at ``at``; returns its id."""

    async def admit_action(
        self, row: LogRow, quota: ActionQuota, at: datetime
    ) -> tuple[int, LogRow]:
        """Insert the row ``quota.decide`` makes of ``row`` (see the class docstring); returns its
        id and the row written."""

    async def settle_action(
        self,
        entry_id: int,
        status: str,
        at: datetime,
        *,
        detail: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        """Set the entry's status (and detail, problems when given) and ``updated_at``."""

    async def get_action(self, entry_id: int) -> LogEntry: ...

    async def list_actions(
        self,
        *,
        thread_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[LogEntry]:
        """Newest first, optionally of one thread, type and status."""

    # -- the approval queue ---------------------------------------------------------------------
    async def add_approval(self, new: NewApproval, at: datetime) -> Approval:
        """A new ``pending`` approval created at ``at``."""

    async def get_approval(self, approval_id: int) -> Approval: ...

    async def list_approvals(
        self,
        *,
        status: ApprovalStatus | None = None,
        thread_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Approval]:
        """Newest first, optionally of one status and one thread."""

    async def count_approvals(
        self, *, status: ApprovalStatus | None = None, thread_id: str | None = None
    ) -> int:
        """How many approvals `list_approvals` with these filters pages through (issue 12)."""

    async def claim_approval(
        self, approval_id: int, status: ApprovalStatus, reason: str | None, at: datetime
    ) -> Approval:
        """Decide a pending approval (``approved`` or ``rejected``) at ``at``."""

    async def set_approval_result(self, approval_id: int, result: Mapping[str, Any]) -> Approval:
        """Keep the `ActionResult` record of a decided approval."""


@runtime_checkable
class TimeStore(Protocol):
    """Issue 16's part: one-shot reminders and each thread's health.

    Reminders: `add_reminder` stores one unless the thread already has ``max_pending`` pending
    (then None, nothing stored; the check and the insert are one transaction). A pending reminder
    is `due_reminders` once ``due_at <= now``; `fire_reminder` queues its text as a system event
    once (a second call returns the same event), `settle_reminder` marks it ``done`` with its
    beat's key, `cancel_reminder` marks a pending one ``cancelled`` (a settled one is returned as
    it is). Deleting a thread deletes its reminders and its health row.

    Health: `put_health` replaces a thread's row; `dead_threads(now)` lists the rows that are not
    unhealthy and whose ``dead_at <= now``; `claim_alert` sets ``alerted_at`` of the given
    unhealthy episode only if nobody did before, and says whether this call did it (the one alert
    per episode, across restarts and workers).
    """

    async def add_reminder(self, new: NewReminder, *, max_pending: int) -> Reminder | None: ...

    async def get_reminder(self, reminder_id: int) -> Reminder:
        """Raises NotFoundError when there is no such reminder."""

    async def list_reminders(
        self,
        thread_id: str | None = None,
        *,
        status: ReminderStatus | None = None,
        limit: int = 100,
    ) -> list[Reminder]:
        """Soonest due first."""

    async def cancel_reminder(self, reminder_id: int, at: datetime) -> Reminder: ...

    async def due_reminders(self, now: datetime, *, limit: int = 100) -> list[Reminder]: ...

    async def earliest_reminder(self, *, after: datetime | None = None) -> datetime | None:
        """The earliest ``due_at`` of a pending reminder (only those due after ``after``)."""

    async def fire_reminder(self, reminder_id: int, at: datetime) -> SystemEvent:
        """Queue the reminder's text as a system event once (source ``reminder``)."""

    async def retime_reminder(self, reminder_id: int, due_at: datetime) -> None: ...

    async def settle_reminder(self, reminder_id: int, beat_key: str, at: datetime) -> None: ...

    async def get_health(self, thread_id: str) -> ThreadHealth | None: ...

    async def list_health(self) -> list[ThreadHealth]: ...

    async def unhealthy_health(self, *, limit: int = 1000) -> list[ThreadHealth]:
        """The health rows of unhealthy threads (an open episode), by thread id, at most
        `limit`: read through an index of those rows alone, so a status costs O(unhealthy), not
        O(threads) (issue 12)."""

    async def put_health(self, health: ThreadHealth) -> None: ...

    async def dead_threads(self, now: datetime, *, limit: int = 100) -> list[ThreadHealth]: ...

    async def earliest_dead(self) -> datetime | None:
        """The earliest ``dead_at`` of a thread that is not unhealthy yet."""

    async def claim_alert(self, thread_id: str, episode: int, at: datetime) -> bool: ...


class Store(BeatStore, BoardStore, ActionStore, TimeStore, Protocol):
    """Everything: the three parts on one database, so a beat's record, its delivery and its
    actions can share a transaction. `soulbeat.wiring.build()` takes a `Store`."""


def check_health_of(claim: Claim, health: ThreadHealth | None) -> None:
    """`BeatStore.finish_beat`'s check of its ``health``: the row must be the claim's thread's."""
    if health is not None and health.thread_id != claim.thread_id:
        raise ValueError(
            f"finish_beat got the health row of thread {health.thread_id!r} for a beat of "
            f"thread {claim.thread_id!r}; expected the beat's own thread's row"
        )
