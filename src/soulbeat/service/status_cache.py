"""`StatusCache`: the scheduler's status, computed once and served as encoded JSON until
something changes (issue 12).

Every open panel and monitor asks for the status (50 clients in the issue 12 benchmark). The
answer costs store reads and a JSON encoding, yet between two changes it is the same answer. So
it is kept, already encoded, together with a *stamp*: a cheap in-memory value that moves on
every change this process can see (the event bus's last id — a beat started or finished, the
scheduler started or stopped, a thread turned unhealthy —, and the scheduler's generation — a
pass, a wake, a re-plan after a thread was added, deleted or reconfigured). A request whose
stamp differs from the kept one computes afresh; so does one that finds the answer older than
`max_age` seconds, which bounds what this process cannot see (another process writing to a
shared database without an event). Callers arriving while an answer is computed share it
(`SingleFlight`).

``now`` is the one field that moves without a change: it is added to each answer as it is
served, so every answer tells the time of its request.

The age is read from ``monotonic`` (the event loop's clock by default), not from the service's
`Clock`: it is the age of a cache entry in real time, and a test's frozen `FakeClock` must not
make an entry live forever.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import Any

from soulbeat.service.coalesce import SingleFlight

__all__ = ["MAX_AGE", "StatusCache"]

_Answer = tuple[Hashable, float, dict[str, Any], bytes]
"""(stamp, began, the status without ``now``, its encoding without the closing brace)"""

MAX_AGE = 1.0
"""Seconds an answer is served while its stamp has not moved."""


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class StatusCache:
    """A status dict (without ``now``) from ``compute()``, kept while ``stamp()`` is unchanged
    and younger than `max_age` seconds; ``now()`` is added to each answer served."""

    def __init__(
        self,
        compute: Callable[[], Awaitable[dict[str, Any]]],
        *,
        stamp: Callable[[], Hashable],
        now: Callable[[], datetime],
        max_age: float = MAX_AGE,
        monotonic: Callable[[], float] = _loop_time,
    ) -> None:
        self._stamp, self._now = stamp, now
        self._max_age, self._monotonic = max_age, monotonic
        self._compute = compute
        self._kept: _Answer | None = None
        self._running: tuple[Hashable, SingleFlight[_Answer]] | None = None

    def clear(self) -> None:
        """Forget the kept answer (a change the stamp does not show)."""
        self._kept = None

    async def value(self) -> dict[str, Any]:
        """The status as a dict, ``now`` last."""
        _, _, status, _ = await self._current()
        return {**status, "now": self._now().isoformat()}

    async def body(self) -> bytes:
        """The status as UTF-8 JSON, ``now`` last: the kept encoding and the time appended."""
        _, _, _, head = await self._current()
        comma = b"" if head == b"{" else b","
        return head + comma + b'"now":' + json.dumps(self._now().isoformat()).encode() + b"}"

    async def _current(self) -> _Answer:
        kept, stamp = self._kept, self._stamp()
        if kept is not None and kept[0] == stamp and self._monotonic() - kept[1] < self._max_age:
            return kept
        # Join a computation only when it began after the last change: one begun before would
        # answer a caller who asked after the change with what was true before it.
        running = self._running
        if running is None or running[0] != stamp:
            running = self._running = (stamp, SingleFlight(lambda: self._fill(stamp)))
        try:
            return await running[1]()
        finally:
            if self._running is running:
                self._running = None

    async def _fill(self, stamp: Hashable) -> _Answer:
        began = self._monotonic()
        status = await self._compute()
        status.pop("now", None)
        encoded = json.dumps(status, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        # The object without its closing brace: `body()` appends ``now`` and closes it.
        fresh = (stamp, began, status, encoded[:-1].encode())
        if stamp == self._stamp():  # nothing changed while it was computed: keep it
            self._kept = fresh
        return fresh
