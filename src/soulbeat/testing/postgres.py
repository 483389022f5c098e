"""`PostgresServer`: a throw-away PostgreSQL server in a temporary directory, for tests and benches.

`PostgresServer.start()` runs Debian's (or any) `initdb` into a fresh temporary directory with
`-A trust`, then `pg_ctl start` on a free port of 127.0.0.1 with the Unix socket in the same
directory; `stop()` stops it and removes the directory. `initdb` and `pg_ctl` refuse to run as
root, so when this process is root the directory is given to the `postgres` system user and both
commands run as that user (the server never needs root).

The binaries are looked up on PATH, then in `/usr/lib/postgresql/<version>/bin` (newest first);
`find_binaries()` returns None when there are none, so callers can skip or fail as they choose.

`durable=False` (the default, for tests) turns off fsync and synchronous commit: the data does
not have to survive a power cut, and the suite runs faster. Benches pass `durable=True`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailable", "find_binaries", "free_port"]

SYSTEM_USER = "postgres"
"""The account that runs the server when this process is root."""

_DEBIAN_ROOT = Path("/usr/lib/postgresql")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the server would not start (the message says)."""


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    if on_path is not None and shutil.which("pg_ctl") is not None:
        return Path(on_path).parent
    if _DEBIAN_ROOT.is_dir():
        versions = sorted(
            (p for p in _DEBIAN_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
            reverse=True,
        )
        if versions:
            return versions[0] / "bin"
    return None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class _RunAs:
    uid: int
    gid: int


class PostgresServer:
    """One private server; `url(dbname)` gives a `postgresql://` URL for the user `postgres`."""

    def __init__(self, *, durable: bool = False, base_dir: Path | None = None) -> None:
        self.durable = durable
        self._base_parent = base_dir
        self.port = 0
        self.directory: Path | None = None
        self._bin: Path | None = None
        self._run_as: _RunAs | None = None

    @property
    def data_dir(self) -> Path:
        if self.directory is None:
            raise PostgresUnavailable("the server is not started")
        return self.directory / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SYSTEM_USER}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        """initdb + pg_ctl start (about 3-5 s). Raises PostgresUnavailable naming the cause."""
        binaries = find_binaries()
        if binaries is None:
            raise PostgresUnavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in "
                f"{_DEBIAN_ROOT}/*/bin; install the `postgresql` package"
            )
        self._bin = binaries
        self.directory = Path(tempfile.mkdtemp(prefix="soulbeat-pg-", dir=self._base_parent))
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(SYSTEM_USER)
            except KeyError as exc:
                raise PostgresUnavailable(
                    f"running as root, and there is no {SYSTEM_USER!r} user to run PostgreSQL as"
                ) from exc
            self._run_as = _RunAs(account.pw_uid, account.pw_gid)
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        try:
            self._initdb()
            self.port = free_port()
            self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.directory / "server.log"))
        except BaseException:
            self._remove()
            raise

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-A",
            "trust",
            "-U",
            SYSTEM_USER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _options(self) -> str:
        assert self.directory is not None
        options = [
            f"-p {self.port}",
            f"-k {self.directory}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=200",
            "-c timezone=UTC",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(options)

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", self._options(), *extra, action)

    def _run(self, program: str, *args: str) -> None:
        assert self._bin is not None
        run_as = self._run_as
        done = subprocess.run(
            [str(self._bin / program), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.directory,
            user=None if run_as is None else run_as.uid,
            group=None if run_as is None else run_as.gid,
            extra_groups=None if run_as is None else [],
        )
        if done.returncode != 0:
            log = ""
            if self.directory is not None and (self.directory / "server.log").exists():
                log = (self.directory / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(
                f"{program} {' '.join(args[:1])} failed ({done.returncode}): "
                f"{done.stderr.strip() or done.stdout.strip()}\n{log}".strip()
            )

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory. Safe to call twice."""
        if self.directory is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "fast", "-w")
        finally:
            self._remove()

    def _remove(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
