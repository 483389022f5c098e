"""What several soulbeat processes on one database share, beyond the rows themselves.

- `EventJournal` (`base.py`): a durable, ordered log of published events; its ids are what SSE
  sends, so `Last-Event-ID` means the same on every API process and across restarts.
- `ChangeSignals` (`base.py`): notices that something other processes should react to changed
  (the global flag, a thread's config, a schedule that became due earlier, a new journal entry).
- `EventFeed` (`feed.py`): writes this process's events to the journal and serves every
  process's events back to subscribers, in journal order.
- `WakeRequests` (`base.py`): wakes an API-only process hands to the workers.
- `ClusterNode` (`node.py`): runs these for one service: a change wakes the scheduler for a pass
  (and a worker takes the waiting wakes), a journal entry reaches the feed.

PostgreSQL implements the protocols (`soulbeat.store.postgres.signals`) with tables and
LISTEN/NOTIFY. A single process on SQLite has a journal too (`soulbeat.store.sqlite.journal`,
so its event ids survive a restart) with `LocalSignals` (`local.py`) and no wake requests.
"""

from soulbeat.cluster.base import (
    CHANGED,
    EVENTS,
    ChangeSignals,
    EventJournal,
    WakeRequest,
    WakeRequests,
)
from soulbeat.cluster.feed import EventFeed
from soulbeat.cluster.local import LocalSignals
from soulbeat.cluster.node import ClusterNode

__all__ = [
    "CHANGED",
    "EVENTS",
    "ChangeSignals",
    "ClusterNode",
    "EventFeed",
    "EventJournal",
    "LocalSignals",
    "WakeRequest",
    "WakeRequests",
]
