"""Schedules, leases and beat claiming for `SQLiteStore`, as plain functions on a connection.

Every function here runs inside one transaction that `SQLiteStore` opened with `BEGIN IMMEDIATE`
on its worker thread, so what a function reads cannot change before it writes, and two stores on
one file (two processes) take turns: a schedule is claimed by exactly one of them.

The lease lives on the schedule row: `lease_owner` (the worker), `lease_beat_id` (the beat row it
is working on) and `lease_expires_at`. A claim stays this worker's until another claim takes the
schedule or `reap_expired`, `delete_schedule` or `delete_thread` releases it; an expired lease
nobody has taken yet can still be renewed or finished. A claim's attempt must also match the beat
row, so a stale `Claim` of an earlier attempt is refused even when the worker id is the same.

`recent_starts` keeps the start times of the beats that ran the model, oldest first: those within
`RECENT_STARTS_WINDOW` of the newest one, and at most `RECENT_STARTS_MAX` of them. That covers the
flood guard (5 starts in 60 s) and the cooldown (30 s) with room to spare.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from soulbeat.clock import to_utc
from soulbeat.errors import LeaseLostError, NotFoundError
from soulbeat.store.codec import (
    dump_instant_list,
    dump_instants,
    dump_json,
    from_micros,
    load_instant_list,
    load_instants,
    load_mapping,
    opt_micros,
    to_micros,
)
from soulbeat.store.records import (
    MAIN,
    BeatRecord,
    BeatResult,
    Claim,
    Schedule,
    beat_key,
)
from soulbeat.store.rows import beat_from_row, schedule_from_row

RECENT_STARTS_WINDOW = timedelta(minutes=10)
RECENT_STARTS_MAX = 20

# The schedules due by :due and claimable at :now, in the order they are claimed. Walks
# `schedules_by_eligible` (eligible_at = max(next_due_at, not_before)); live leases in that range
# are filtered row by row.
DUE_SQL = """
SELECT * FROM schedules
WHERE eligible_at <= :due AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
ORDER BY eligible_at, thread_id, skill
"""

# The two halves of `earliest_due`, each answered from the first entry of one index.
EARLIEST_FREE_SQL = """
SELECT eligible_at FROM schedules
WHERE eligible_at IS NOT NULL AND lease_expires_at IS NULL
ORDER BY eligible_at LIMIT 1
"""
EARLIEST_LEASE_SQL = """
SELECT lease_expires_at FROM schedules
WHERE lease_expires_at IS NOT NULL
ORDER BY lease_expires_at LIMIT 1
"""

_WHERE_SCHEDULE = "WHERE thread_id = ? AND skill = ?"
ROOM = 64
"""Bytes a new schedule row reserves for its first claim and finish (migration 018): a lease
(a worker name of some 30 characters, a beat id, an expiry) or a result (two instants, a beat
id, one recent start), whichever is larger, with room to spare."""


def scheduled_reason(skill: str) -> str:
    """The reason of a beat claimed by `claim_due`: `interval`, or `skill:<name>` for a skill."""
    return "interval" if skill == MAIN else f"skill:{skill}"


def require_thread(conn: sqlite3.Connection, thread_id: str) -> None:
    """Raise NotFoundError unless the thread exists."""
    if conn.execute("SELECT 1 FROM threads WHERE id = ?", (thread_id,)).fetchone() is None:
        raise NotFoundError(f"thread {thread_id!r} does not exist")


def get_schedule(conn: sqlite3.Connection, thread_id: str, skill: str) -> Schedule | None:
    row = conn.execute(f"SELECT * FROM schedules {_WHERE_SCHEDULE}", (thread_id, skill)).fetchone()
    return None if row is None else schedule_from_row(row)


def list_schedules(conn: sqlite3.Connection, thread_id: str | None) -> list[Schedule]:
    where, args = ("WHERE thread_id = ?", (thread_id,)) if thread_id is not None else ("", ())
    sql = f"SELECT * FROM schedules {where} ORDER BY thread_id, skill"
    return [schedule_from_row(row) for row in conn.execute(sql, args)]


def main_schedules(conn: sqlite3.Connection, thread_ids: list[str]) -> list[Schedule]:
    """The main schedules of `thread_ids` (in chunks under SQLite's variable limit)."""
    return _schedules_in(conn, thread_ids, "skill = '' AND ")


def schedules_of(conn: sqlite3.Connection, thread_ids: list[str]) -> list[Schedule]:
    """Every schedule of `thread_ids`, main and skills (in chunks under the variable limit)."""
    return _schedules_in(conn, thread_ids, "")


def _schedules_in(conn: sqlite3.Connection, thread_ids: list[str], only: str) -> list[Schedule]:
    found: list[Schedule] = []
    for start in range(0, len(thread_ids), 500):
        chunk = thread_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT * FROM schedules WHERE {only}thread_id IN ({marks})"
        found += [schedule_from_row(row) for row in conn.execute(sql, chunk)]
    return found


def put_schedule(
    conn: sqlite3.Connection,
    thread_id: str,
    skill: str,
    next_due_at: int | None,
    phase_seconds: float,
    fingerprint: str,
    inputs: str = "",
    *,
    keep_slot: bool = False,
) -> None:
    """Create the schedule, or re-plan it: keeps history and lease, clears `not_before`.
    `next_due_at` is already encoded (epoch microseconds). With `keep_slot`, an existing
    schedule only takes the new `inputs` (its slot was computed from the same facts)."""
    require_thread(conn, thread_id)
    update = (
        "inputs = excluded.inputs"
        if keep_slot
        else """next_due_at = excluded.next_due_at, phase_seconds = excluded.phase_seconds,
            fingerprint = excluded.fingerprint, inputs = excluded.inputs, not_before = NULL"""
    )
    conn.execute(
        f"""INSERT INTO schedules (thread_id, skill, next_due_at, phase_seconds, fingerprint,
        inputs, room) VALUES (?, ?, ?, ?, ?, ?, zeroblob({ROOM}))
        ON CONFLICT (thread_id, skill) DO UPDATE SET {update}""",
        (thread_id, skill, next_due_at, float(phase_seconds), fingerprint, inputs),
    )


def put_schedules(
    conn: sqlite3.Connection,
    rows: list[tuple[str, str, int | None, float, str, str]],
    *,
    keep_slots: bool,
) -> None:
    """`put_schedule` for many rows in one statement; NotFoundError (nothing written, the
    caller's transaction rolls back) when a thread does not exist."""
    update = (
        "inputs = excluded.inputs"
        if keep_slots
        else """next_due_at = excluded.next_due_at, phase_seconds = excluded.phase_seconds,
            fingerprint = excluded.fingerprint, inputs = excluded.inputs, not_before = NULL"""
    )
    try:
        conn.executemany(
            f"""INSERT INTO schedules (thread_id, skill, next_due_at, phase_seconds, fingerprint,
            inputs, room) VALUES (?, ?, ?, ?, ?, ?, zeroblob({ROOM}))
            ON CONFLICT (thread_id, skill) DO UPDATE SET {update}""",
            rows,
        )
    except sqlite3.IntegrityError:  # the foreign key: find the thread to name it
        for row in rows:
            require_thread(conn, row[0])
        raise


def delete_schedules(conn: sqlite3.Connection, thread_id: str, skill: str | None) -> None:
    """Delete one schedule (or, with skill None, all of the thread's); a beat in flight on one of
    them becomes `interrupted`, so its worker's finish raises LeaseLostError."""
    where, args = ("WHERE thread_id = ?", [thread_id])
    if skill is not None:
        where, args = _WHERE_SCHEDULE, [thread_id, skill]
    conn.execute(
        f"""UPDATE beats SET status = 'interrupted' WHERE status = 'claimed'
        AND id IN (SELECT lease_beat_id FROM schedules {where})""",
        args,
    )
    conn.execute(f"DELETE FROM schedules {where}", args)


def earliest_due(conn: sqlite3.Connection) -> datetime | None:
    """min(earliest free eligible_at, earliest lease expiry), or None when neither exists."""
    found = [
        row[0]
        for row in (
            conn.execute(EARLIEST_FREE_SQL).fetchone(),
            conn.execute(EARLIEST_LEASE_SQL).fetchone(),
        )
        if row is not None
    ]
    return from_micros(min(found)) if found else None


def _beat_of(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    """The beat row keyed `key` (what a claim needs of it), if there is one."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT id, status, attempt, reason FROM beats WHERE key = ?", (key,)
    ).fetchone()
    return row


def _finished(beat: sqlite3.Row | None) -> bool:
    return beat is not None and beat["status"] == "finished"


def _slot_key(row: sqlite3.Row) -> str:
    return beat_key(row["thread_id"], row["skill"], from_micros(row["next_due_at"]))


_Due = tuple[sqlite3.Row, str, "sqlite3.Row | None"]
"""A due schedule row, its slot's beat key and that key's beat row (None: not claimed yet)."""


def _due_rows(
    conn: sqlite3.Connection,
    now: int,
    limit: int,
    *,
    stale: bool,
    scan: int | None = None,
    due: int | None = None,
) -> list[_Due]:
    """Up to `limit` claimable schedule rows whose slot key is not finished (or, with `stale`,
    is finished), in claiming order, each with its key and beat row (read once: the claim
    re-uses it). Reads the due index lazily and stops once it has enough, or (with `scan`)
    once it has looked at that many rows. ``due``: the horizon of due times (default `now`)."""
    cursor = conn.execute(DUE_SQL, {"now": now, "due": now if due is None else due})
    picked: list[_Due] = []
    seen = 0
    try:
        while len(picked) < limit and (scan is None or seen < scan):
            rows = cursor.fetchmany(limit if scan is None else min(limit, scan - seen))
            if not rows:
                break
            seen += len(rows)
            for row in rows:
                key = _slot_key(row)
                beat = _beat_of(conn, key)
                if _finished(beat) == stale:
                    picked.append((row, key, beat))
    finally:
        cursor.close()
    return picked[:limit]


def stale_schedules(conn: sqlite3.Connection, now: datetime, limit: int) -> list[Schedule]:
    """Stale schedules among the first `limit` due ones (the next to be claimed). Looking only
    at the front keeps a pass O(limit) while a backlog of due slots waits (issue 12: walking
    every due row each pass was half the CPU of a busy process); a stale slot further back
    reaches the front as the ones before it are claimed."""
    at = to_micros(now)
    due = _due_rows(conn, at, limit, stale=True, scan=limit)
    return [schedule_from_row(row) for row, _, _ in due]


def claim_due(
    conn: sqlite3.Connection,
    now: datetime,
    worker_id: str,
    lease: timedelta,
    limit: int,
    due_by: datetime | None = None,
) -> list[Claim]:
    """Lease every schedule claimable at `now` and due by `due_by` (default `now`), up to
    `limit`, whose slot is not finished."""
    at, until = to_micros(now), to_micros(now + lease)
    horizon = at if due_by is None else to_micros(due_by)
    claims: list[Claim] = []
    for row, key, beat in _due_rows(conn, at, limit, stale=False, due=horizon):
        due = from_micros(row["next_due_at"])
        reason = scheduled_reason(row["skill"])
        claim = _take(conn, row, due, reason, worker_id, at, until, found=(key, beat))
        if claim is not None:
            claims.append(claim)
    return claims


def claim_wake(
    conn: sqlite3.Connection,
    thread_id: str,
    skill: str,
    reason: str,
    at: datetime,
    worker_id: str,
    lease: timedelta,
) -> Claim | None:
    """Lease the schedule for an out-of-slot beat keyed by `at`; None when the schedule holds a
    live lease at `at` or that key is finished. A missing schedule is created unscheduled."""
    now, until = to_micros(at), to_micros(at + lease)
    row = conn.execute(f"SELECT * FROM schedules {_WHERE_SCHEDULE}", (thread_id, skill)).fetchone()
    if row is None:
        require_thread(conn, thread_id)
        conn.execute("INSERT INTO schedules (thread_id, skill) VALUES (?, ?)", (thread_id, skill))
        row = conn.execute(
            f"SELECT * FROM schedules {_WHERE_SCHEDULE}", (thread_id, skill)
        ).fetchone()
    elif row["lease_expires_at"] is not None and row["lease_expires_at"] > now:
        return None
    return _take(conn, row, from_micros(now), reason, worker_id, now, until)


def _take(
    conn: sqlite3.Connection,
    schedule: sqlite3.Row,
    due_at: datetime,
    reason: str,
    worker_id: str,
    now: int,
    until: int,
    *,
    found: tuple[str, sqlite3.Row | None] | None = None,
) -> Claim | None:
    """Lease `schedule` for the beat keyed by `due_at`: insert its beat row, or re-use an
    unfinished one with attempt + 1. A beat left `claimed` under an expired lease on another key
    becomes `interrupted`. None (and nothing written) when the key is already finished.
    ``found``: the key and its beat row, already read in this transaction."""
    thread_id, skill = schedule["thread_id"], schedule["skill"]
    if found is None:
        key = beat_key(thread_id, skill, due_at)
        beat = _beat_of(conn, key)
    else:
        key, beat = found
    if _finished(beat):
        return None
    old = schedule["lease_beat_id"]
    if old is not None and (beat is None or old != beat["id"]):
        conn.execute(
            "UPDATE beats SET status = 'interrupted' WHERE id = ? AND status = 'claimed'", (old,)
        )
    if beat is None:
        attempt = 1
        beat_id = conn.execute(
            """INSERT INTO beats (key, thread_id, skill, reason, due_at, status, attempt,
            worker_id, claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', 1, ?, ?)""",
            (key, thread_id, skill, reason, to_micros(due_at), worker_id, now),
        ).lastrowid
        assert beat_id is not None
    else:
        beat_id, attempt, reason = beat["id"], beat["attempt"] + 1, beat["reason"]
        conn.execute(
            """UPDATE beats SET status = 'claimed', attempt = ?, worker_id = ?, claimed_at = ?
            WHERE id = ?""",
            (attempt, worker_id, now, beat_id),
        )
    conn.execute(  # the row's room (migration 018) makes way for the lease and the result
        f"""UPDATE schedules SET lease_owner = ?, lease_beat_id = ?, lease_expires_at = ?,
        room = NULL {_WHERE_SCHEDULE}""",
        (worker_id, beat_id, until, thread_id, skill),
    )
    return Claim(
        beat_id=beat_id,
        key=key,
        thread_id=thread_id,
        skill=skill,
        due_at=due_at,
        reason=reason,
        worker_id=worker_id,
        lease_expires_at=from_micros(until),
        attempt=attempt,
    )


def _check_lease(conn: sqlite3.Connection, claim: Claim) -> sqlite3.Row:
    """Raise LeaseLostError unless `claim` still holds its schedule's lease (see module doc).
    Returns the lease's row, with the beat's stored ``reason`` and the schedule's
    ``task_last_run`` and ``recent_starts`` (what a finish writes or returns, read in the same
    statement)."""
    row = conn.execute(
        """SELECT b.status, b.attempt, b.worker_id, b.reason, s.lease_owner, s.lease_beat_id,
        s.task_last_run, s.recent_starts
        FROM beats AS b LEFT JOIN schedules AS s ON s.thread_id = ? AND s.skill = ?
        WHERE b.id = ?""",
        (claim.thread_id, claim.skill, claim.beat_id),
    ).fetchone()
    held = row is not None and (
        row["status"],
        row["attempt"],
        row["worker_id"],
        row["lease_owner"],
        row["lease_beat_id"],
    ) == ("claimed", claim.attempt, claim.worker_id, claim.worker_id, claim.beat_id)
    if not held:
        raise LeaseLostError(
            f"beat {claim.key!r} (attempt {claim.attempt}) is no longer leased to "
            f"{claim.worker_id!r}; another worker or a reap took it, so this result is dropped"
        )
    return row  # type: ignore[no-any-return]


def _release(conn: sqlite3.Connection, claim: Claim, sets: str, args: tuple[Any, ...]) -> None:
    conn.execute(
        f"""UPDATE schedules SET lease_owner = NULL, lease_beat_id = NULL,
        lease_expires_at = NULL, {sets} {_WHERE_SCHEDULE}""",
        (*args, claim.thread_id, claim.skill),
    )


def _beat(conn: sqlite3.Connection, beat_id: int) -> BeatRecord:
    return beat_from_row(conn.execute("SELECT * FROM beats WHERE id = ?", (beat_id,)).fetchone())


def renew_lease(conn: sqlite3.Connection, claim: Claim, until: datetime) -> Claim:
    expires = to_micros(until)
    _check_lease(conn, claim)
    conn.execute(
        f"UPDATE schedules SET lease_expires_at = ? {_WHERE_SCHEDULE}",
        (expires, claim.thread_id, claim.skill),
    )
    return replace(claim, lease_expires_at=from_micros(expires))


def finish_beat(
    conn: sqlite3.Connection,
    claim: Claim,
    result: BeatResult,
    next_due_at: datetime | None,
    advance: bool,
    task_runs: Mapping[str, datetime],
) -> BeatRecord:
    """Record the result, release the lease, and move the schedule on — or raise LeaseLostError
    having written nothing."""
    started, finished = to_micros(result.started_at), to_micros(result.finished_at)
    due, runs = opt_micros(next_due_at), {name: to_utc(at) for name, at in task_runs.items()}
    audit = dump_json(result.audit, what="the beat's audit record")
    row = _check_lease(conn, claim)
    folded = _fold_into(conn, claim, result) if advance else None
    if folded is not None:
        sets = "last_started_at = ?, last_finished_at = ?, not_before = NULL, next_due_at = ?"
        _release(conn, claim, sets, (started, finished, due))
        return _beat(conn, folded)
    conn.execute(
        """UPDATE beats SET status = 'finished', started_at = ?, finished_at = ?, outcome = ?,
        skip_reason = ?, error = ?, audit = ?, prompt_tokens = ?, completion_tokens = ?,
        alert_text = ? WHERE id = ?""",
        (
            started,
            finished,
            result.outcome,
            result.skip_reason,
            result.error,
            audit,
            result.prompt_tokens,
            result.completion_tokens,
            result.alert_text,
            claim.beat_id,
        ),
    )
    sets = "last_started_at = ?, last_finished_at = ?, not_before = NULL"
    args: tuple[Any, ...] = (started, finished)
    if runs:  # only what changes is decoded and written again
        sets += ", task_last_run = ?"
        args += (dump_instants({**load_instants(row["task_last_run"]), **runs}),)
    if result.ran_model:
        starts = (*load_instant_list(row["recent_starts"]), from_micros(started))
        sets += ", recent_starts = ?"
        args += (dump_instant_list(_trim_starts(starts)),)
    if advance:
        sets, args = f"{sets}, next_due_at = ?, last_beat_id = ?", (*args, due, claim.beat_id)
    _release(conn, claim, sets, args)
    return BeatRecord(  # what the row now holds, without reading it back
        id=claim.beat_id,
        key=claim.key,
        thread_id=claim.thread_id,
        skill=claim.skill,
        reason=row["reason"],
        due_at=claim.due_at,
        status="finished",
        attempt=claim.attempt,
        started_at=from_micros(started),
        finished_at=from_micros(finished),
        outcome=result.outcome,
        skip_reason=result.skip_reason,
        error=result.error,
        audit=load_mapping(audit),
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        alert_text=result.alert_text,
    )


def _fold_into(conn: sqlite3.Connection, claim: Claim, result: BeatResult) -> int | None:
    """Fold a skipped slot into the schedule's previous record when that one is a skip of the
    same slot kind for the same reason (SPEC §9.1): the previous record counts one more slot
    and its time range grows to this one, and this slot's own row goes. Returns the folded
    record's id, or None (nothing written) when the skip is not a repeat."""
    if result.outcome != "skipped" or result.skip_reason is None or result.ran_model:
        return None  # only a guard's skip folds: a turn that ran keeps its own record
    row = conn.execute(
        """SELECT b.id FROM schedules AS s JOIN beats AS b ON b.id = s.last_beat_id
        WHERE s.thread_id = ? AND s.skill = ? AND b.status = 'finished'
        AND b.outcome = 'skipped' AND b.skip_reason = ?
        AND b.reason = (SELECT reason FROM beats WHERE id = ?) AND b.id != ?""",
        (claim.thread_id, claim.skill, result.skip_reason, claim.beat_id, claim.beat_id),
    ).fetchone()
    if row is None:
        return None
    conn.execute(
        """UPDATE beats SET repeats = repeats + 1, last_due_at = ?, finished_at = ?
        WHERE id = ?""",
        (to_micros(claim.due_at), to_micros(result.finished_at), row["id"]),
    )
    conn.execute("DELETE FROM beats WHERE id = ?", (claim.beat_id,))
    return int(row["id"])


def _trim_starts(starts: tuple[datetime, ...]) -> tuple[datetime, ...]:
    ordered = sorted(starts)
    newest = ordered[-1]
    return tuple(at for at in ordered if newest - at < RECENT_STARTS_WINDOW)[-RECENT_STARTS_MAX:]


def defer_beat(
    conn: sqlite3.Connection,
    claim: Claim,
    until: datetime,
    reason: str,
    audit: Mapping[str, Any] | None,
) -> BeatRecord:
    """Mark the beat `deferred` with `reason`, release the lease, keep the slot, set
    `not_before` — or raise LeaseLostError having written nothing."""
    not_before = to_micros(until)
    audit_json = None if audit is None else dump_json(audit, what="the beat's audit record")
    _check_lease(conn, claim)
    conn.execute(
        """UPDATE beats SET status = 'deferred', skip_reason = ?, audit = coalesce(?, audit)
        WHERE id = ?""",
        (reason, audit_json, claim.beat_id),
    )
    _release(conn, claim, "not_before = ?", (not_before,))
    return _beat(conn, claim.beat_id)


def any_expired(conn: sqlite3.Connection, now: datetime) -> bool:
    """Whether a lease expired at `now` (the `schedules_by_lease` index)."""
    sql = "SELECT 1 FROM schedules WHERE lease_expires_at <= ? LIMIT 1"
    return conn.execute(sql, (to_micros(now),)).fetchone() is not None


def reap_expired(conn: sqlite3.Connection, now: datetime) -> int:
    """Release the leases expired at `now`; their beats still `claimed` become `interrupted`."""
    at = to_micros(now)
    conn.execute(
        """UPDATE beats SET status = 'interrupted' WHERE status = 'claimed' AND id IN
        (SELECT lease_beat_id FROM schedules WHERE lease_expires_at <= ?)""",
        (at,),
    )
    return conn.execute(
        """UPDATE schedules SET lease_owner = NULL, lease_beat_id = NULL, lease_expires_at = NULL
        WHERE lease_expires_at <= ?""",
        (at,),
    ).rowcount


def release_worker(conn: sqlite3.Connection, worker_id: str) -> int:
    """Release every lease `worker_id` holds; its beats still `claimed` become `interrupted`, and
    the slots stay as they are, so the next claim resumes each beat under its key."""
    conn.execute(
        """UPDATE beats SET status = 'interrupted' WHERE status = 'claimed' AND id IN
        (SELECT lease_beat_id FROM schedules WHERE lease_owner = ?)""",
        (worker_id,),
    )
    return conn.execute(
        """UPDATE schedules SET lease_owner = NULL, lease_beat_id = NULL, lease_expires_at = NULL
        WHERE lease_owner = ?""",
        (worker_id,),
    ).rowcount
