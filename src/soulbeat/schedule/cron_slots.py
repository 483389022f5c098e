"""Cron as a source of slots (issue 16): a cron plan's next due time, for `SlotBook`.

A plan with ``cron`` set has no interval grid and no phase: its slots are the expression's fire
times on the wall clock of ``cron_timezone`` (``user`` = the service's ``user_timezone``), found
by `soulbeat.contract.cron.next_fires` with its DST rules (a time skipped by spring-forward fires
once at the first minute after the gap; a repeated time fires once, at its first occurrence).
Active hours are not sought into: a fire time outside them is skipped ``quiet-hours`` by the
guard like any slot, and the next fire is planned from it. The change-driven planner is what
re-plans: a new expression or zone changes the plan's fingerprint.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, tzinfo

from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.contract.cron import next_fires
from soulbeat.errors import ConfigError
from soulbeat.schedule.plan import BeatPlan

__all__ = ["cron_slot", "cron_zone", "upcoming"]

log = logging.getLogger(__name__)


def cron_zone(plan: BeatPlan) -> tzinfo:
    """The zone the plan's cron is read in; UTC when it cannot be resolved (config refused it)."""
    try:
        return resolve_timezone(plan.cron_timezone, plan.user_timezone, key="timezone")
    except ConfigError:
        return UTC


def cron_slot(plan: BeatPlan, now: datetime) -> datetime | None:
    """The plan's first fire time strictly after ``now``; None when disabled or it never fires."""
    if plan.cron is None or not plan.enabled:
        return None
    fires = upcoming(plan.cron, now, cron_zone(plan), 1)
    return fires[0] if fires else None


def upcoming(expr: str, now: datetime, zone: tzinfo, count: int) -> list[datetime]:
    """The next ``count`` fire times; empty (and logged) for an expression cronsim refuses."""
    try:
        return next_fires(expr, now, zone, count)
    except ConfigError:
        log.warning("cron %r cannot be read; the schedule has no slot", expr)
        return []
