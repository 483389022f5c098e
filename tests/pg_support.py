"""The PostgreSQL the tests run against: one server per test session, one database per test.

`postgres_server` (session) is a `PostgresDatabases`: with `SOULBEAT_TEST_DATABASE_URL` set, the
server that URL points at (its user needs the CREATEDB right); otherwise a private server started
in a temporary directory (`soulbeat.testing.postgres`) and stopped when the session ends. It is
started on first use only, so a run without PostgreSQL tests never starts it.

`postgres_url` (function) is an empty, migrated database for one test: a copy of a template
database that holds the store's migrations, made once and then re-used — after a test its tables
are emptied (TRUNCATE, identities restarted), which is much faster than a new copy.

Without a server or binaries the PostgreSQL tests are skipped — unless
`SOULBEAT_REQUIRE_POSTGRES_TESTS=1` (set by `.ci/run`), where that is a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from soulbeat.store.postgres import PostgresStore
from soulbeat.testing.postgres import PostgresServer, PostgresUnavailable

URL_ENV = "SOULBEAT_TEST_DATABASE_URL"
REQUIRE_ENV = "SOULBEAT_REQUIRE_POSTGRES_TESTS"
TEMPLATE = f"soulbeat_template_{os.getpid()}"


def with_database(url: str, dbname: str) -> str:
    """`url` pointing at database `dbname` instead."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


class PostgresDatabases:
    """Makes and drops databases on one server, reached through `admin_url`."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._names = itertools.count(1)
        self._template_ready = False
        self._free: list[str] = []
        self._shape: tuple[list[str], list[int]] = ([], [])

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        self._admin(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {TEMPLATE}")
        migrate_in_thread(with_database(self.admin_url, TEMPLATE))
        with psycopg.connect(with_database(self.admin_url, TEMPLATE)) as conn:
            self._shape = _shape(conn)
        self._template_ready = True

    def create(self) -> str:
        """An empty database holding the migrated schema; returns its URL."""
        if self._free:
            return self._free.pop()
        self._ensure_template()
        name = f"soulbeat_test_{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def release(self, url: str) -> None:
        """Empty the database for the next test; drop it instead when the test changed its
        schema (a migration test) or emptying fails."""
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                shape = _shape(conn)
                if shape != self._shape:
                    raise psycopg.DataError(f"schema changed: {shape} != {self._shape}")
                names = ", ".join(f'"{name}"' for name in shape[0] if name != "schema_migrations")
                conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        except psycopg.Error:
            self.drop(url)
            return
        self._free.append(url)

    def close(self) -> None:
        for url in self._free:
            self.drop(url)
        if self._template_ready:
            self._admin(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


def _shape(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[list[str], list[int]]:
    """The database's tables and applied migration versions."""
    tables = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ).fetchall()
    versions = conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    return [str(row[0]) for row in tables], [int(str(row[0])) for row in versions]


def migrate_in_thread(url: str) -> None:
    """Open (and so migrate) a store on `url`, on a thread of its own: the caller may be inside
    a running event loop."""
    failure: list[BaseException] = []

    async def migrate() -> None:
        store = PostgresStore(url, max_size=1)
        await store.open()
        await store.close()

    def target() -> None:
        try:
            asyncio.run(migrate())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"PostgreSQL tests are required ({REQUIRE_ENV}=1) but {reason}")
    pytest.skip(f"no PostgreSQL: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresDatabases]:
    given = os.environ.get(URL_ENV)
    server: PostgresServer | None = None
    if given:
        databases = PostgresDatabases(given)
    else:
        server = PostgresServer()
        try:
            server.start()
        except PostgresUnavailable as exc:
            _unavailable(str(exc))
        databases = PostgresDatabases(server.url())
    try:
        yield databases
    finally:
        try:
            databases.close()
        finally:
            if server is not None:
                server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresDatabases) -> Iterator[str]:
    """The URL of a fresh, migrated database for this test."""
    url = postgres_server.create()
    yield url
    postgres_server.release(url)
