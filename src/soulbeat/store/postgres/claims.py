"""Schedules, claims and leases of `PostgresStore`: the SQLite store's rules (`sqlite.claims`) on
row locks instead of one database-wide writer.

- A claim locks the schedule rows it takes with `FOR UPDATE SKIP LOCKED`: two workers claiming
  at once take disjoint sets and neither waits for the other. A row whose lease another worker
  set in the meantime fails the re-checked WHERE and is passed over.
- Every transaction that touches a lease locks the schedule row first and the beat row second
  (claim, finish, defer, renew, reap, delete), so no two of them can deadlock.
- "Is this slot finished?" is answered in the claim query itself, from the beat with the slot's
  (thread, skill, due time) — the parts its key is made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from soulbeat.clock import to_utc
from soulbeat.errors import LeaseLostError
from soulbeat.store.codec import (
    dump_instant_list,
    dump_instants,
    dump_json,
    from_micros,
    load_instant_list,
    load_instants,
    opt_micros,
    to_micros,
)
from soulbeat.store.postgres.tables import Conn, many, one, require_thread
from soulbeat.store.records import MAIN, BeatRecord, BeatResult, Claim, Schedule, beat_key
from soulbeat.store.rows import Row, beat_from_row, schedule_from_row

RECENT_STARTS_WINDOW = timedelta(minutes=10)
RECENT_STARTS_MAX = 20

_FINISHED = """EXISTS (SELECT 1 FROM beats AS b WHERE b.thread_id = s.thread_id
    AND b.skill = s.skill AND b.due_at = s.next_due_at AND b.status = 'finished')"""

_CLAIMABLE = """s.eligible_at <= %(due)s
    AND (s.lease_expires_at IS NULL OR s.lease_expires_at <= %(now)s)"""

DUE_SQL = f"""
SELECT s.* FROM schedules AS s
WHERE {_CLAIMABLE} AND NOT {_FINISHED}
ORDER BY s.eligible_at, s.thread_id, s.skill
LIMIT %(limit)s
FOR UPDATE OF s SKIP LOCKED
"""

STALE_SQL = f"""
SELECT s.* FROM schedules AS s
WHERE {_CLAIMABLE} AND {_FINISHED}
ORDER BY s.eligible_at, s.thread_id, s.skill
LIMIT %(limit)s
"""

EARLIEST_SQL = """
SELECT least(
    (SELECT eligible_at FROM schedules WHERE eligible_at IS NOT NULL AND lease_expires_at IS NULL
     ORDER BY eligible_at LIMIT 1),
    (SELECT lease_expires_at FROM schedules WHERE lease_expires_at IS NOT NULL
     ORDER BY lease_expires_at LIMIT 1)) AS at
"""

_WHERE_SCHEDULE = "WHERE thread_id = %s AND skill = %s"


def scheduled_reason(skill: str) -> str:
    return "interval" if skill == MAIN else f"skill:{skill}"


async def get_schedule(conn: Conn, thread_id: str, skill: str) -> Schedule | None:
    row = await one(conn, f"SELECT * FROM schedules {_WHERE_SCHEDULE}", (thread_id, skill))
    return None if row is None else schedule_from_row(row)


async def list_schedules(conn: Conn, thread_id: str | None) -> list[Schedule]:
    where, args = ("WHERE thread_id = %s", (thread_id,)) if thread_id is not None else ("", ())
    rows = await many(conn, f"SELECT * FROM schedules {where} ORDER BY thread_id, skill", args)
    return [schedule_from_row(row) for row in rows]


async def main_schedules(conn: Conn, thread_ids: list[str]) -> list[Schedule]:
    rows = await many(
        conn,
        "SELECT * FROM schedules WHERE skill = '' AND thread_id = ANY(%s)",
        (thread_ids,),
    )
    return [schedule_from_row(row) for row in rows]


async def schedules_of(conn: Conn, thread_ids: list[str]) -> list[Schedule]:
    rows = await many(conn, "SELECT * FROM schedules WHERE thread_id = ANY(%s)", (thread_ids,))
    return [schedule_from_row(row) for row in rows]


async def put_schedule(
    conn: Conn,
    thread_id: str,
    skill: str,
    next_due_at: int | None,
    phase_seconds: float,
    fingerprint: str,
    inputs: str = "",
    *,
    keep_slot: bool = False,
) -> Schedule:
    await require_thread(conn, thread_id)
    update = (
        "inputs = excluded.inputs"
        if keep_slot
        else """next_due_at = excluded.next_due_at, phase_seconds = excluded.phase_seconds,
            fingerprint = excluded.fingerprint, inputs = excluded.inputs, not_before = NULL"""
    )
    row = await one(
        conn,
        f"""INSERT INTO schedules (thread_id, skill, next_due_at, phase_seconds, fingerprint,
        inputs) VALUES (%s, %s, %s, %s, %s, %s)
        ON CONFLICT (thread_id, skill) DO UPDATE SET {update}
        RETURNING *""",
        (thread_id, skill, next_due_at, float(phase_seconds), fingerprint, inputs),
    )
    assert row is not None
    return schedule_from_row(row)


async def delete_schedules(conn: Conn, thread_id: str, skill: str | None) -> None:
    """Delete one schedule (or, with skill None, all of the thread's); a beat in flight on one of
    them becomes `interrupted`, so its worker's finish raises LeaseLostError."""
    where, args = ("WHERE thread_id = %s", [thread_id])
    if skill is not None:
        where, args = _WHERE_SCHEDULE, [thread_id, skill]
    locked = await many(conn, f"SELECT lease_beat_id FROM schedules {where} FOR UPDATE", args)
    leased = [row["lease_beat_id"] for row in locked if row["lease_beat_id"] is not None]
    if leased:
        await conn.execute(
            "UPDATE beats SET status = 'interrupted' WHERE status = 'claimed' AND id = ANY(%s)",
            (leased,),
        )
    await conn.execute(f"DELETE FROM schedules {where}", args)


async def delete_thread(conn: Conn, thread_id: str) -> None:
    await require_thread(conn, thread_id)
    await delete_schedules(conn, thread_id, None)
    await conn.execute("DELETE FROM threads WHERE id = %s", (thread_id,))


async def earliest_due(conn: Conn) -> datetime | None:
    row = await one(conn, EARLIEST_SQL)
    return None if row is None or row["at"] is None else from_micros(row["at"])


async def stale_schedules(conn: Conn, now: datetime, limit: int) -> list[Schedule]:
    at = to_micros(now)
    rows = await many(conn, STALE_SQL, {"now": at, "due": at, "limit": limit})  # type: ignore[arg-type]
    return [schedule_from_row(row) for row in rows]


async def claim_due(
    conn: Conn,
    now: datetime,
    worker_id: str,
    lease: timedelta,
    limit: int,
    due_by: datetime | None = None,
) -> list[Claim]:
    """Lease the schedules claimable at `now` and due by `due_by` (default `now`)."""
    at, until = to_micros(now), to_micros(now + lease)
    horizon = at if due_by is None else to_micros(due_by)
    rows = await many(conn, DUE_SQL, {"now": at, "due": horizon, "limit": limit})  # type: ignore[arg-type]
    claims: list[Claim] = []
    for row in rows:
        due = from_micros(row["next_due_at"])
        claim = await _take(conn, row, due, scheduled_reason(row["skill"]), worker_id, at, until)
        if claim is not None:
            claims.append(claim)
    return claims


async def claim_wake(
    conn: Conn,
    thread_id: str,
    skill: str,
    reason: str,
    at: datetime,
    worker_id: str,
    lease: timedelta,
) -> Claim | None:
    now, until = to_micros(at), to_micros(at + lease)
    select = f"SELECT * FROM schedules {_WHERE_SCHEDULE} FOR UPDATE"
    row = await one(conn, select, (thread_id, skill))
    if row is None:
        await require_thread(conn, thread_id)
        await conn.execute(
            """INSERT INTO schedules (thread_id, skill) VALUES (%s, %s)
            ON CONFLICT DO NOTHING""",
            (thread_id, skill),
        )
        row = await one(conn, select, (thread_id, skill))
        assert row is not None
    elif row["lease_expires_at"] is not None and row["lease_expires_at"] > now:
        return None
    return await _take(conn, row, from_micros(now), reason, worker_id, now, until)


async def _take(
    conn: Conn, schedule: Row, due_at: datetime, reason: str, worker_id: str, now: int, until: int
) -> Claim | None:
    """Lease the (locked) `schedule` for the beat keyed by `due_at` (see `sqlite.claims._take`)."""
    thread_id, skill = schedule["thread_id"], schedule["skill"]
    key = beat_key(thread_id, skill, due_at)
    beat = await one(
        conn, "SELECT id, status, attempt, reason FROM beats WHERE key = %s FOR UPDATE", (key,)
    )
    if beat is not None and beat["status"] == "finished":
        return None
    old = schedule["lease_beat_id"]
    if old is not None and (beat is None or old != beat["id"]):
        await conn.execute(
            "UPDATE beats SET status = 'interrupted' WHERE id = %s AND status = 'claimed'", (old,)
        )
    if beat is None:
        attempt = 1
        inserted = await one(
            conn,
            """INSERT INTO beats (key, thread_id, skill, reason, due_at, status, attempt,
            worker_id, claimed_at) VALUES (%s, %s, %s, %s, %s, 'claimed', 1, %s, %s)
            RETURNING id""",
            (key, thread_id, skill, reason, to_micros(due_at), worker_id, now),
        )
        assert inserted is not None
        beat_id = int(inserted["id"])
    else:
        beat_id, attempt, reason = beat["id"], beat["attempt"] + 1, beat["reason"]
        await conn.execute(
            """UPDATE beats SET status = 'claimed', attempt = %s, worker_id = %s,
            claimed_at = %s WHERE id = %s""",
            (attempt, worker_id, now, beat_id),
        )
    await conn.execute(
        f"""UPDATE schedules SET lease_owner = %s, lease_beat_id = %s, lease_expires_at = %s
        {_WHERE_SCHEDULE}""",
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


async def _check_lease(conn: Conn, claim: Claim) -> Row | None:
    """Lock the claim's schedule row and raise LeaseLostError unless `claim` still holds its
    lease; returns the locked schedule row."""
    schedule = await one(
        conn,
        f"SELECT * FROM schedules {_WHERE_SCHEDULE} FOR UPDATE",
        (claim.thread_id, claim.skill),
    )
    beat = await one(
        conn, "SELECT status, attempt, worker_id FROM beats WHERE id = %s", (claim.beat_id,)
    )
    held = (
        schedule is not None
        and beat is not None
        and (
            beat["status"],
            beat["attempt"],
            beat["worker_id"],
            schedule["lease_owner"],
            schedule["lease_beat_id"],
        )
        == ("claimed", claim.attempt, claim.worker_id, claim.worker_id, claim.beat_id)
    )
    if not held:
        raise LeaseLostError(
            f"beat {claim.key!r} (attempt {claim.attempt}) is no longer leased to "
            f"{claim.worker_id!r}; another worker or a reap took it, so this result is dropped"
        )
    return schedule


async def _release(conn: Conn, claim: Claim, sets: str, args: tuple[Any, ...]) -> None:
    await conn.execute(
        f"""UPDATE schedules SET lease_owner = NULL, lease_beat_id = NULL,
        lease_expires_at = NULL, {sets} {_WHERE_SCHEDULE}""",
        (*args, claim.thread_id, claim.skill),
    )


async def _beat(conn: Conn, beat_id: int) -> BeatRecord:
    row = await one(conn, "SELECT * FROM beats WHERE id = %s", (beat_id,))
    assert row is not None
    return beat_from_row(row)


async def renew_lease(conn: Conn, claim: Claim, until: datetime) -> Claim:
    expires = to_micros(until)
    await _check_lease(conn, claim)
    await conn.execute(
        f"UPDATE schedules SET lease_expires_at = %s {_WHERE_SCHEDULE}",
        (expires, claim.thread_id, claim.skill),
    )
    return replace(claim, lease_expires_at=from_micros(expires))


async def finish_beat(
    conn: Conn,
    claim: Claim,
    result: BeatResult,
    next_due_at: datetime | None,
    advance: bool,
    task_runs: Mapping[str, datetime],
) -> BeatRecord:
    started, finished = to_micros(result.started_at), to_micros(result.finished_at)
    due, runs = opt_micros(next_due_at), {name: to_utc(at) for name, at in task_runs.items()}
    audit = dump_json(result.audit, what="the beat's audit record")
    schedule = await _check_lease(conn, claim)
    assert schedule is not None
    folded = await _fold_into(conn, claim, result) if advance else None
    if folded is not None:
        sets = """last_started_at = %s, last_finished_at = %s, not_before = NULL,
            next_due_at = %s"""
        await _release(conn, claim, sets, (started, finished, due))
        return await _beat(conn, folded)
    await conn.execute(
        """UPDATE beats SET status = 'finished', started_at = %s, finished_at = %s,
        outcome = %s, skip_reason = %s, error = %s, audit = %s, prompt_tokens = %s,
        completion_tokens = %s, alert_text = %s WHERE id = %s""",
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
    starts = load_instant_list(schedule["recent_starts"])
    if result.ran_model:
        starts = _trim_starts((*starts, from_micros(started)))
    sets = """last_started_at = %s, last_finished_at = %s, task_last_run = %s,
        recent_starts = %s, not_before = NULL"""
    args: tuple[Any, ...] = (
        started,
        finished,
        dump_instants({**load_instants(schedule["task_last_run"]), **runs}),
        dump_instant_list(starts),
    )
    if advance:
        sets, args = f"{sets}, next_due_at = %s, last_beat_id = %s", (*args, due, claim.beat_id)
    await _release(conn, claim, sets, args)
    return await _beat(conn, claim.beat_id)


async def _fold_into(conn: Conn, claim: Claim, result: BeatResult) -> int | None:
    """The SQLite store's fold of a repeated skip (SPEC §9.1): the previous record of the
    schedule, a skip of the same reason and wake reason, counts this slot too; this slot's row
    goes. None (nothing written) when the skip is not a repeat."""
    if result.outcome != "skipped" or result.skip_reason is None or result.ran_model:
        return None  # only a guard's skip folds: a turn that ran keeps its own record
    row = await one(
        conn,
        """SELECT b.id FROM schedules AS s JOIN beats AS b ON b.id = s.last_beat_id
        WHERE s.thread_id = %s AND s.skill = %s AND b.status = 'finished'
        AND b.outcome = 'skipped' AND b.skip_reason = %s
        AND b.reason = (SELECT reason FROM beats WHERE id = %s) AND b.id <> %s""",
        (claim.thread_id, claim.skill, result.skip_reason, claim.beat_id, claim.beat_id),
    )
    if row is None:
        return None
    await conn.execute(
        """UPDATE beats SET repeats = repeats + 1, last_due_at = %s, finished_at = %s
        WHERE id = %s""",
        (to_micros(claim.due_at), to_micros(result.finished_at), row["id"]),
    )
    await conn.execute("DELETE FROM beats WHERE id = %s", (claim.beat_id,))
    return int(row["id"])


def _trim_starts(starts: tuple[datetime, ...]) -> tuple[datetime, ...]:
    ordered = sorted(starts)
    newest = ordered[-1]
    return tuple(at for at in ordered if newest - at < RECENT_STARTS_WINDOW)[-RECENT_STARTS_MAX:]


async def defer_beat(
    conn: Conn, claim: Claim, until: datetime, reason: str, audit: Mapping[str, Any] | None
) -> BeatRecord:
    not_before = to_micros(until)
    audit_json = None if audit is None else dump_json(audit, what="the beat's audit record")
    await _check_lease(conn, claim)
    await conn.execute(
        """UPDATE beats SET status = 'deferred', skip_reason = %s,
        audit = coalesce(%s, audit) WHERE id = %s""",
        (reason, audit_json, claim.beat_id),
    )
    await _release(conn, claim, "not_before = %s", (not_before,))
    return await _beat(conn, claim.beat_id)


async def reap_expired(conn: Conn, now: datetime) -> int:
    """Release the leases expired at `now` (skipping rows another transaction holds: they are
    being finished or claimed right now); their beats still `claimed` become `interrupted`."""
    at = to_micros(now)
    rows = await many(
        conn,
        """SELECT thread_id, skill, lease_beat_id FROM schedules
        WHERE lease_expires_at <= %s FOR UPDATE SKIP LOCKED""",
        (at,),
    )
    if not rows:
        return 0
    await conn.execute(
        "UPDATE beats SET status = 'interrupted' WHERE status = 'claimed' AND id = ANY(%s)",
        ([row["lease_beat_id"] for row in rows if row["lease_beat_id"] is not None],),
    )
    await conn.execute(
        """UPDATE schedules SET lease_owner = NULL, lease_beat_id = NULL, lease_expires_at = NULL
        WHERE (thread_id, skill) IN (SELECT * FROM unnest(%s::text[], %s::text[]))""",
        ([row["thread_id"] for row in rows], [row["skill"] for row in rows]),
    )
    return len(rows)


async def release_worker(conn: Conn, worker_id: str) -> int:
    """Release every lease `worker_id` holds; its beats still `claimed` become `interrupted`, and
    the slots stay as they are, so the next claim resumes each beat under its key."""
    # Schedule rows first, beat rows second: the lock order of every other lease transaction.
    rows = await many(
        conn, "SELECT lease_beat_id FROM schedules WHERE lease_owner = %s FOR UPDATE", (worker_id,)
    )
    await conn.execute(
        "UPDATE beats SET status = 'interrupted' WHERE status = 'claimed' AND id = ANY(%s)",
        ([row["lease_beat_id"] for row in rows if row["lease_beat_id"] is not None],),
    )
    cursor = await conn.execute(
        """UPDATE schedules SET lease_owner = NULL, lease_beat_id = NULL, lease_expires_at = NULL
        WHERE lease_owner = %s""",
        (worker_id,),
    )
    return cursor.rowcount
