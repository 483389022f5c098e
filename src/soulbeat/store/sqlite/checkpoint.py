"""`Checkpointer`: copies the SQLite WAL back into the database file on a thread of its own.

SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages, on the
connection that commits. Since small writes commit on the event loop's thread
(`SQLiteConnection._write_small`), that would hold the loop for the checkpoint's writes and its
fsync (several milliseconds at a fleet's write rate: every beat waiting behind it is late). So
the store's writer turns the automatic checkpoint off and calls `wrote()` after each commit;
at most once per `every` seconds a PASSIVE checkpoint runs here, on a connection of this thread:
it copies what no reader still needs, never waits for a lock and never blocks the writer.

Durability is unchanged: a commit is in the WAL before it returns, whoever checkpoints it later
(the WAL is fsync'd by the checkpoint, as with `synchronous=NORMAL` before). The last
connection to close checkpoints whatever is left.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = ["CHECKPOINT_EVERY", "Checkpointer"]

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1.0
"""Seconds between checkpoints while writes go on (about as often as SQLite's own 1,000 pages
at 50 beats a second)."""


class Checkpointer:
    """Checkpoints the WAL of the database at ``path`` on its own thread (module docstring)."""

    def __init__(self, path: Path, *, every: float = CHECKPOINT_EVERY) -> None:
        self._path = path
        self._every = every
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._next = time.monotonic() + every
        self._pending = False
        self._lock = threading.Lock()
        self.runs = 0
        """How many checkpoints ran (for tests)."""

    def wrote(self) -> None:
        """A write transaction committed: ask for a checkpoint when one is due. Cheap; any
        thread."""
        if self._pending or time.monotonic() < self._next:
            return
        with self._lock:
            if self._pending:
                return
            self._pending = True
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="soulbeat-checkpoint"
                )
            self._executor.submit(self._run)

    def _run(self) -> None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self._path, isolation_level=None)
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error as error:  # the next one copies what this one could not
            log.debug("checkpoint of %s failed: %s", self._path, error)
        finally:
            self._next = time.monotonic() + self._every
            self._pending = False

    def close(self) -> None:
        """Wait for a checkpoint under way and close this thread's connection."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        executor.submit(self._close)
        executor.shutdown(wait=True)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
