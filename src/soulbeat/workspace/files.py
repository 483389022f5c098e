"""Reading workspace files: the one place that turns file-system trouble into reasons.

SOUL.md, SKILL.md, HEARTBEAT.md and the bootstrap files are all read through
``read_text_file``, so a diagnostic says the same thing whoever wrote it. The reasons are:

* ``missing`` — nothing at that path (or only a name differing in case, see ``exact_entry``);
* ``not a file`` — a directory, socket, FIFO … (never opened, so a FIFO cannot block us);
* ``unreadable (…)`` — the OS refused (permissions, I/O error), with the OS message;
* ``not UTF-8`` — the bytes do not decode (a UTF-8 byte-order mark is accepted and dropped);
* ``over the size cap (N bytes > M)`` — checked before reading, so a huge file is never loaded.

Being empty is not a reason here: whether an empty file counts as missing is the caller's rule.
``loader.read_text_file`` re-exports ``read_text_file``; this module exists so that ``loader``
can import the modules that use it without a cycle.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = [
    "MISSING",
    "NOT_A_FILE",
    "NOT_UTF8",
    "exact_entry",
    "inside",
    "read_text_file",
]

MISSING = "missing"
NOT_A_FILE = "not a file"
NOT_UTF8 = "not UTF-8"


def read_text_file(path: Path, *, max_bytes: int) -> tuple[str | None, str | None]:
    """``(text, None)`` when ``path`` is a readable UTF-8 file of at most ``max_bytes`` bytes.

    Otherwise ``(None, reason)`` with one of the reasons in the module docstring. Symlinks are
    followed; callers that must stay inside a folder check ``inside`` first. Never raises.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None, MISSING
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        return None, f"unreadable ({_os_message(exc)})"
    if not stat.S_ISREG(info.st_mode):
        return None, NOT_A_FILE
    if info.st_size > max_bytes:
        return None, f"over the size cap ({info.st_size} bytes > {max_bytes})"
    try:
        with path.open("rb") as handle:
            # One byte more than allowed tells us the file grew past the cap since stat().
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return None, MISSING
    except OSError as exc:
        return None, f"unreadable ({_os_message(exc)})"
    if len(data) > max_bytes:
        return None, f"over the size cap (more than {max_bytes} bytes)"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, NOT_UTF8


def exact_entry(folder: Path, name: str) -> bool:
    """Whether ``folder`` lists an entry spelled exactly ``name``.

    Case-insensitive file systems (macOS, Windows) answer ``exists()`` for ``soul.md`` when asked
    about ``SOUL.md``; the spec says names are case-sensitive, so we compare against the listing.
    """
    try:
        return name in os.listdir(folder)
    except (OSError, ValueError):
        return False


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every symlink resolved, is ``root`` itself or lies under it."""
    try:
        resolved = path.resolve()
        base = root.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
        return False
    return resolved == base or resolved.is_relative_to(base)


def _os_message(exc: BaseException) -> str:
    """The OS's words for an error, without the path (the diagnostic already names it)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
