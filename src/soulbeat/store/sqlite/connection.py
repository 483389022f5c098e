"""`SQLiteConnection`: one SQLite file, its connection thread and its transactions.

The base of `SQLiteStore` (and of its board and action parts): every method of the store is one
job on the connection's private worker thread, and every job is one transaction (module
docstring of `soulbeat.store.sqlite.store`). Only the store's parts under `store/sqlite/` run
jobs: `_write(job)` / `_read(job)` take ``job(connection)``, which must not await, commit or roll
back; raising rolls back.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from soulbeat.errors import StoreError
from soulbeat.store.sqlite.migrate import apply_migrations, load_migrations

__all__ = ["MIN_SQLITE_VERSION", "Job", "SQLiteConnection"]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]

MIN_SQLITE_VERSION = (3, 31, 0)
"""Generated columns (the indexed `schedules.eligible_at`) need SQLite 3.31."""


class SQLiteConnection:
    """The SQLite file at `path` (created, with its folder, when missing), opened by `open()`."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._conn: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lifecycle = asyncio.Lock()
        self._grouped: list[tuple[Job[Any], asyncio.Future[Any]]] = []
        self._grouped_lock = threading.Lock()

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
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the SQLite store at {self.path}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            apply_migrations(conn, load_migrations())
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
            self._conn, self._executor, self._reader = None, None, None
            if reader is not None:
                reader.close()
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
            executor.shutdown(wait=False)

    async def _run(self, job: Job[T], *, write: bool) -> T:
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, self._transaction, conn, job, write)

    def _transaction(self, conn: sqlite3.Connection, job: Job[T], write: bool) -> T:
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = job(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store at {self.path}: {exc}") from exc
        return result

    async def _write(self, job: Job[T]) -> T:
        return await self._run(job, write=True)

    async def _write_grouped(self, job: Job[T]) -> T:
        """A write that may share its transaction (and its fsync) with other grouped writes
        queued meanwhile: each runs in its own savepoint, so one that raises is undone alone
        and raises to its own caller; every caller hears back only after the COMMIT."""
        conn, executor = self._conn, self._executor
        if conn is None or executor is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._grouped_lock:  # the store's thread takes the group under the same lock
            self._grouped.append((job, future))
            first = len(self._grouped) == 1
        if first:
            loop.run_in_executor(executor, self._flush_group, conn, loop)
        result: T = await future
        return result

    def _flush_group(self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop) -> None:
        with self._grouped_lock:
            group, self._grouped = self._grouped, []
        done: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        if len(group) == 1:  # alone: its own transaction, no savepoint (two statements fewer)
            job, future = group[0]
            try:
                done.append((future, self._transaction(conn, job, True), None))
            except BaseException as error:  # rolled back; raised to its caller as in a group
                failure = error if isinstance(error, Exception) else StoreError(f"{error!r}")
                done.append((future, None, failure))
            loop.call_soon_threadsafe(_settle, done)
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, future in group:
                conn.execute("SAVEPOINT grouped")
                try:
                    done.append((future, job(conn), None))
                except Exception as error:
                    conn.execute("ROLLBACK TO grouped")
                    failure = StoreError(f"SQLite store at {self.path}: {error}")
                    done.append(
                        (future, None, failure if isinstance(error, sqlite3.Error) else error)
                    )
                conn.execute("RELEASE grouped")
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            failure = StoreError(f"SQLite store at {self.path}: {error}")
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
        reader = self._reader
        if reader is None:
            raise StoreError(f"the SQLite store at {self.path} is not open; call open() first")
        try:
            return job(reader)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store at {self.path}: {exc}") from exc


def _settle(done: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in done:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
