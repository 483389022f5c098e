"""`SQLiteConnection`: one SQLite file, its connection thread and its transactions.

The base of `SQLiteStore` (and of its board and action parts): every method of the store is one
job, and every job is one transaction (module docstring of `soulbeat.store.sqlite.store`). Only
the store's parts under `store/sqlite/` run jobs: `_write(job)` / `_read(job)` take
``job(connection)``, which must not await, commit or roll back; raising rolls back. A job may run
more than once (a transaction that met another process's lock is rolled back and run again), so
it must only touch the database.

Where a job runs (issue 12): a large job runs on the connection's private worker thread, so the
event loop is never held for long. A small one (`_write_small`, `_write_grouped`, `_peek`) runs at
once on the caller's thread, on the same connection, when nothing else is using it — the hop to
the worker thread and back (its wake-up, the GIL hand-over, the event loop's self-pipe) cost more
CPU than the transaction itself. The connection is the writer's either way: `_owner` (a lock)
says who holds it, and the caller's thread only ever tries it, never waits. That connection's own
busy timeout is 0: the caller's thread never waits for another process's lock either; a job that
meets one is rolled back and goes to the worker thread, which waits for the lock for up to
``busy_timeout`` seconds (`_transaction`), as SQLite's own busy handler would.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from soulbeat.errors import StoreError
from soulbeat.store.sqlite.checkpoint import Checkpointer
from soulbeat.store.sqlite.migrate import apply_migrations, load_migrations

__all__ = ["GROUP_FULL", "GROUP_LINGER", "MIN_SQLITE_VERSION", "Job", "SQLiteConnection"]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]

GROUP_LINGER = 0.1
"""Seconds a serving store (`soulbeat.wiring`) holds a grouped write (a beat's finish) for
others to share its commit, unless `GROUP_FULL` of them are waiting first."""
GROUP_FULL = 8
"""A lingering group commits as soon as it has this many writes: the last one's own turn of the
event loop commits it, so a group costs no wake-up of its own unless it waits the whole linger.
At 50 beats a second, 100 ms gather about five finishes: eight lets them all share the commit
and the pages every finish touches (indexes, the health table), about 0.3 commits per beat
where three gave 0.5 (issue 12, session 6)."""

MIN_SQLITE_VERSION = (3, 31, 0)
"""Generated columns (the indexed `schedules.eligible_at`) need SQLite 3.31."""


class SQLiteConnection:
    """The SQLite file at `path` (created, with its folder, when missing), opened by `open()`."""

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 5.0, group_linger: float = 0.0
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.group_linger = group_linger
        """Seconds a grouped write waits for others to share its commit (`_write_grouped`)."""
        self._linger: asyncio.TimerHandle | None = None
        self._conn: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lifecycle = asyncio.Lock()
        self._grouped: list[tuple[Job[Any], asyncio.Future[Any]]] = []
        self._grouped_lock = threading.Lock()
        self._owner = threading.Lock()
        """Held by whoever uses the writer connection now: the worker thread or the caller's."""
        self._checkpoints = Checkpointer(self.path)

    # -- lifecycle ------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect and apply pending migrations. Idempotent."""
        async with self._lifecycle:
            if self._conn is not None:
                return
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="soulbeat-sqlite")
            try:
                self._conn = await asyncio.get_running_loop().run_in_executor(
                    executor, self._connect
                )
            except BaseException:
                executor.shutdown(wait=False)
                raise
            try:
                self._reader = self._open_reader()
            except BaseException:
                conn, self._conn = self._conn, None
                await asyncio.get_running_loop().run_in_executor(executor, conn.close)
                executor.shutdown(wait=False)
                raise
            self._executor = executor

    def _open_reader(self) -> sqlite3.Connection:
        """The second connection, for `_peek`: read-only, used on the event loop's thread."""
        try:
            reader = sqlite3.connect(
                self.path, isolation_level=None, timeout=self.busy_timeout, check_same_thread=False
            )
            reader.row_factory = sqlite3.Row
            reader.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            reader.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        return reader

    def _connect(self) -> sqlite3.Connection:
        if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
            raise StoreError(f"SQLite {sqlite3.sqlite_version} is too old; soulbeat needs 3.31+")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=self.busy_timeout, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            apply_migrations(conn, load_migrations())
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # `Checkpointer`'s, off the loop
            conn.execute("PRAGMA busy_timeout = 0")  # waits are `_transaction`'s (module doc)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
            raise
        return conn

    async def close(self) -> None:
        """Close the connection; calls after this raise StoreError until `open()` again."""
        async with self._lifecycle:
            conn, executor, reader = self._conn, self._executor, self._reader
            if conn is None or executor is None:
                return
            group = self._take_group()  # lingering writes commit before the connection goes
            if group:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(executor, self._flush_group, conn, loop, group)
                await asyncio.sleep(0)  # their callers hear back (`_settle`)
            self._conn, self._executor, self._reader = None, None, None
            if reader is not None:
                reader.close()
            await asyncio.get_running_loop().run_in_executor(None, self._checkpoints.close)
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
            executor.shutdown(wait=False)

    async def _run(self, job: Job[T], *, write: bool) -> T:
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, self._transaction, conn, job, write)

    def _transaction(self, conn: sqlite3.Connection, job: Job[T], write: bool) -> T:
        """Run ``job`` in a transaction on the worker thread, waiting for the connection and
        for another process's lock: a transaction that meets that lock is rolled back and run
        again until ``busy_timeout`` has passed."""
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.001
        with self._owner:
            while True:
                try:
                    result = _attempt(conn, job, write)
                    if write:
                        self._checkpoints.wrote()
                    return result
                except sqlite3.Error as exc:
                    if not _busy(exc) or time.monotonic() >= deadline:
                        raise StoreError(f"SQLite store at {self.path}: {exc}") from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.05)

    def _inline(self, conn: sqlite3.Connection, job: Job[T], write: bool) -> tuple[bool, T | None]:
        """Run ``job`` in a transaction at once on the caller's thread when the connection is
        free and no other process holds the lock: (True, its result); else (False, None), with
        nothing done, and the caller sends the job to the worker thread."""
        if not self._owner.acquire(blocking=False):
            return False, None
        try:
            result = _attempt(conn, job, write)
            if write:
                self._checkpoints.wrote()
            return True, result
        except sqlite3.Error as exc:
            if _busy(exc):
                return False, None
            raise StoreError(f"SQLite store at {self.path}: {exc}") from exc
        finally:
            self._owner.release()

    async def _write(self, job: Job[T]) -> T:
        return await self._run(job, write=True)

    async def _write_small(self, job: Job[T]) -> T:
        """A write of a few rows (a claim, a lease, a flag): at once on the caller's thread when
        the connection is free (module docstring), else on the worker thread."""
        conn = self._conn
        if conn is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        done, result = self._inline(conn, job, True)
        if done:
            return result  # type: ignore[return-value]
        return await self._run(job, write=True)

    async def _write_grouped(self, job: Job[T], *, linger: bool = False) -> T:
        """A write that may share its transaction (and its commit) with other grouped writes
        queued meanwhile: each runs in its own savepoint, so one that raises is undone alone
        and raises to its own caller; every caller hears back only after the COMMIT. With no
        group waiting and the connection free, it runs at once like `_write_small`.

        With ``linger`` (the finish of a beat that ran) and `group_linger` (seconds, a serving
        process: `soulbeat.wiring`), the first write of a group waits up to that long for others
        to join it, and `GROUP_FULL` writes commit at once (issue 12: the finishes of beats a
        few milliseconds apart share one commit and the pages they all touch). A write without
        ``linger`` (an event appended to the journal) never waits: it commits a lingering group
        with it. Nothing is reported
        written before its commit: a process killed meanwhile loses the unreported writes only
        (a beat's finish: its slot runs again under its key, its recorded effects kept)."""
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        lingering = linger and self.group_linger > 0
        if not self._grouped and not lingering:
            done, ran = self._inline(conn, job, True)
            if done:
                return ran  # type: ignore[return-value]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._grouped_lock:  # the store's thread takes the group under the same lock
            self._grouped.append((job, future))
            first = len(self._grouped) == 1
        if self._linger is not None:  # a group lingers: commit it now when full or urgent
            if not lingering or len(self._grouped) >= GROUP_FULL:
                self._flush_lingered(loop)
        elif first and lingering:
            self._linger = loop.call_later(self.group_linger, self._flush_lingered, loop)
        elif first:
            loop.run_in_executor(executor, self._flush_group, conn, loop)
        result: T = await future
        return result

    def _take_group(self) -> list[tuple[Job[Any], asyncio.Future[Any]]]:
        with self._grouped_lock:
            group, self._grouped = self._grouped, []
        return group

    def _flush_lingered(self, loop: asyncio.AbstractEventLoop) -> None:
        """A lingering group's time is up, or it is full: it commits here, on the event loop's
        thread, when the connection is free, else on the worker thread."""
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            return  # closed meanwhile: `close` committed the group
        group = self._take_group()
        if not group:
            return
        try:
            done, settled = self._inline(conn, _grouped_job(group, self.path), True)
        except Exception as error:  # a lone job's own error, or BEGIN / COMMIT failed
            _settle([(future, None, error) for _, future in group])
            return
        if done:
            _settle(settled or [])
        else:
            loop.run_in_executor(executor, self._flush_group, conn, loop, group)

    def _flush_group(
        self,
        conn: sqlite3.Connection,
        loop: asyncio.AbstractEventLoop,
        group: list[tuple[Job[Any], asyncio.Future[Any]]] | None = None,
    ) -> None:
        """Commit a group on the worker thread (the one queued now unless one is given)."""
        group = self._take_group() if group is None else group
        if not group:
            return
        try:
            done = self._transaction(conn, _grouped_job(group, self.path), True)
        except BaseException as error:
            failure = error if isinstance(error, Exception) else StoreError(f"{error!r}")
            done = [(future, None, failure) for _, future in group]
        loop.call_soon_threadsafe(_settle, done)

    async def _read(self, job: Job[T]) -> T:
        return await self._run(job, write=False)

    async def _peek(self, job: Job[T]) -> T:
        """A small read (an index probe, one thread's rows) run at once on the caller's thread,
        on the reader connection: no hop to the store's thread and back, which cost more than
        the query itself on the scheduler's hot path. Under WAL a reader never waits for the
        writer, and it sees every transaction committed before it begins (so every write
        already awaited). Large reads (lists of a fleet) stay on the store's thread (`_read`),
        so the event loop is never held for long.

        No BEGIN and COMMIT around it (they were a third of a beat's statements): on the
        autocommit reader each statement reads one snapshot of its own, and a cursor still open
        keeps its snapshot while the job asks more. A peek's statements must not rely on seeing
        the same snapshot as each other."""
        reader, conn = self._reader, self._conn
        if reader is None or conn is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        if self._owner.acquire(blocking=False):  # the writer's connection, when free: its
            try:  # page cache is warm (a commit of the writer empties the reader's)
                return job(conn)
            except sqlite3.Error as exc:
                if not _busy(exc):
                    raise StoreError(f"SQLite store at {self.path}: {exc}") from exc
            finally:
                self._owner.release()
        try:
            return job(reader)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store at {self.path}: {exc}") from exc


def _attempt(conn: sqlite3.Connection, job: Job[T], write: bool) -> T:
    """One transaction around ``job``: committed, or rolled back and raised."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = job(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _busy(error: sqlite3.Error) -> bool:
    """Whether SQLite said another connection holds a lock (SQLITE_BUSY and its variants)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


_Done = list[tuple[asyncio.Future[Any], Any, BaseException | None]]


def _grouped_job(group: list[tuple[Job[Any], asyncio.Future[Any]]], path: Path) -> Job[_Done]:
    """One job for a group: a lone job as it is (its error rolls the transaction back and goes to
    its caller), several each in a savepoint (`_savepoints`)."""
    if len(group) > 1:
        return lambda conn: _savepoints(conn, group, path)
    job, future = group[0]

    def alone(conn: sqlite3.Connection) -> _Done:
        return [(future, job(conn), None)]

    return alone


def _savepoints(
    conn: sqlite3.Connection, group: list[tuple[Job[Any], asyncio.Future[Any]]], path: Path
) -> _Done:
    """A group's jobs in one transaction, each in its own savepoint: one that raises is undone
    alone, its error kept for its own caller. A busy error undoes the whole group (raised)."""
    done: _Done = []
    for job, future in group:
        conn.execute("SAVEPOINT grouped")
        try:
            done.append((future, job(conn), None))
        except Exception as error:
            conn.execute("ROLLBACK TO grouped")
            if isinstance(error, sqlite3.Error) and _busy(error):
                raise
            failure = StoreError(f"SQLite store at {path}: {error}")
            done.append((future, None, failure if isinstance(error, sqlite3.Error) else error))
        conn.execute("RELEASE grouped")
    return done


def _settle(done: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in done:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
