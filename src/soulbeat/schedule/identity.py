"""A worker's identity that survives its own restart (fast takeover, issue 11).

Leases are held in a worker's name. If that name changed with every start (host:pid), a server
killed with kill -9 would come back as a stranger and wait for its own leases to expire. So the
name is kept in the data directory (`WORKER_ID_FILE`, made once: ``<host>:<random>``); a restarted
server reads it back and releases what its previous life held at once (`Store.release_worker`).

Two live processes must never share a name (the second would release the first's leases). The
first holds an exclusive `flock` on ``worker-id.lock`` for as long as it lives (the kernel drops
it when the process dies, kill -9 included); a process that cannot take the lock runs under a
fresh name of its own (``<host>:<pid>:<random>``), as a second worker would. Without `fcntl`
(not POSIX) every process gets a fresh name: correct, only without the fast takeover.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import IO

__all__ = ["WORKER_ID_FILE", "worker_identity"]

WORKER_ID_FILE = "worker-id"
_LOCK_FILE = "worker-id.lock"
_held: dict[Path, tuple[str, IO[bytes]]] = {}
"""The names this process holds, by data directory (one process builds several services in
tests: they share the name, as they share the process)."""


def _fresh() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def worker_identity(data_dir: Path) -> str:
    """The worker name of this process for `data_dir` (module docstring). Creates the directory
    and the file when missing; never raises for a lock another process holds."""
    root = data_dir.expanduser().resolve()
    if root in _held:
        return _held[root][0]
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, so no shared name
        return _fresh()
    root.mkdir(parents=True, exist_ok=True)
    lock = (root / _LOCK_FILE).open("ab")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return _fresh()
    path = root / WORKER_ID_FILE
    name = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    if not name:
        name = f"{socket.gethostname()}:{secrets.token_hex(6)}"
        path.write_text(name + "\n", encoding="utf-8")
    _held[root] = (name, lock)
    return name
