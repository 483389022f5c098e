"""When beats happen: phases and slots, wakes, the guards a beat passes, and the scheduler loop.

Depends on `soulbeat.store.base.BeatStore` alone, and on the turn only through the
`BeatRunner` protocol (`runner`).
"""

from soulbeat.schedule.cadence import (
    next_slot,
    phase_offset,
    plan_fingerprint,
    seek_active_slot,
)
from soulbeat.schedule.plan import BeatPlan, Planner
from soulbeat.schedule.runner import BeatRunner
from soulbeat.schedule.scheduler import ENABLED_FLAG, Scheduler
from soulbeat.schedule.wakes import Wake, WakeQueue

__all__ = [
    "ENABLED_FLAG",
    "BeatPlan",
    "BeatRunner",
    "Planner",
    "Scheduler",
    "Wake",
    "WakeQueue",
    "next_slot",
    "phase_offset",
    "plan_fingerprint",
    "seek_active_slot",
]
