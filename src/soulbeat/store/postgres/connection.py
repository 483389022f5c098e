"""`PostgresConnection`: the pool, the lifecycle and the transaction seam every part of
`PostgresStore` runs its SQL through (its beat, board and action parts inherit it, as the SQLite
store's parts inherit `SQLiteConnection`).

Every call is one transaction on one pooled connection (autocommit connections, an explicit
transaction per job), so concurrent calls run side by side and several processes share the
database. Failures of PostgreSQL or the network surface as StoreError naming the database
without its password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from soulbeat.errors import StoreError
from soulbeat.store.postgres.migrate import apply_migrations, load_postgres_migrations
from soulbeat.store.postgres.signals import notify
from soulbeat.store.postgres.tables import Conn
from soulbeat.store.records_cluster import CHANGED

__all__ = ["Job", "PostgresConnection", "describe"]

T = TypeVar("T")
Job = Callable[[Conn], Awaitable[T]]


def describe(url: str) -> str:
    """`url` without its password, for error messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured PostgreSQL database"
    host, port, name = parts.get("host", "localhost"), parts.get("port", 5432), parts.get("dbname")
    return f"PostgreSQL database {name or '(default)'} at {host}:{port}"


class PostgresConnection:
    """A pool on the PostgreSQL database at `url` (a `postgresql://` URL or conninfo)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self.min_size, self.max_size = min_size, max_size
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._lifecycle = asyncio.Lock()
        self._seed: str | None = None

    @property
    def where(self) -> str:
        return describe(self.url)

    # -- lifecycle ------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect and apply pending migrations. Idempotent."""
        async with self._lifecycle:
            if self._pool is not None:
                return
            pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
                self.url,
                min_size=self.min_size,
                max_size=self.max_size,
                kwargs={"autocommit": True, "row_factory": dict_row},
                open=False,
                name="soulbeat",
            )
            try:
                await pool.open(wait=True, timeout=15)
                async with pool.connection() as conn:
                    await apply_migrations(conn, load_postgres_migrations())
            except BaseException as exc:
                await pool.close()
                if isinstance(exc, psycopg.Error | PoolTimeout):
                    raise StoreError(f"cannot open the {self.where}: {exc}") from exc
                raise
            self._pool = pool

    async def close(self) -> None:
        """Close the pool; calls after this raise StoreError until `open()` again."""
        async with self._lifecycle:
            pool, self._pool = self._pool, None
            if pool is not None:
                await pool.close()

    async def _run(self, job: Job[T]) -> T:
        pool = self._pool
        if pool is None:
            raise StoreError(f"the store on the {self.where} is not open; call open() first")
        try:
            async with pool.connection() as conn, conn.transaction():
                return await job(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"{self.where}: {exc}") from exc

    async def _read(self, job: Job[T]) -> T:
        """`_run` for a job of ONE statement that only reads: no BEGIN and COMMIT around it
        (the autocommit statement is its own snapshot), two round trips fewer. The scheduler's
        hot reads go here: on a busy machine each round trip costs a beat's worth of latency."""
        pool = self._pool
        if pool is None:
            raise StoreError(f"the store on the {self.where} is not open; call open() first")
        try:
            async with pool.connection() as conn:
                return await job(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"{self.where}: {exc}") from exc

    async def _changing(self, job: Job[T]) -> T:
        """`_run` for a write every worker should react to: it also signals `CHANGED`, which
        PostgreSQL delivers to every listening process when the transaction commits."""

        async def signalled(conn: Conn) -> T:
            result = await job(conn)
            await notify(conn, CHANGED)
            return result

        return await self._run(signalled)

    async def run(self, job: Job[T]) -> T:
        """Run `job(connection)` in one transaction: the seam for other folders' tables on the
        same database. `job` must not commit or roll back; raising rolls back."""
        return await self._run(job)
