"""The bootstrap files put into a ``full``-context prompt, and their caps (SPEC §1.2).

Files are read from the workspace root in ``BOOTSTRAP_ORDER`` (``MEMORY.md``, else ``memory.md``),
spelled exactly (names are case-sensitive). A file is left out *silently* when it is missing or
holds only whitespace, and left out *with a diagnostic* when it is not a regular file, unreadable,
not UTF-8, larger than ``max(10 MB, 4 × per-file cap)`` bytes, or resolves (through a symlink)
outside the workspace — such a link is never followed.

Caps, in characters:

* Per file (default 20,000): a longer file is cut by ``truncate_for_cap``.
* Total (default 150,000): files are taken in order; the one that crosses the remaining budget is
  cut to what remains (one cut, to ``min(per-file cap, remaining)``, never two markers). Once
  fewer than ``MIN_USEFUL_CHARS`` remain, each following file is dropped with a warning.

``truncate_for_cap(name, text, cap)`` keeps the first 70% and the last 20% of the cap and puts a
marker naming the file in the 10% between, choosing the most informative marker that fits. When
even ``[NAME truncated]`` does not fit there (tiny caps, long names), head and tail shrink in the
same 7:2 proportion to make room; a cap shorter than that marker gets the marker cut to the cap.
The result is never longer than the cap. Every cut or drop is a ``TruncationWarning``.

``near_limit`` names the files above 85% of the per-file cap that were not cut (doctor's early
warning); files that were cut already have a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from soulbeat.workspace.files import MISSING, exact_entry, inside, read_text_file

__all__ = [
    "BOOTSTRAP_ORDER",
    "MIN_USEFUL_CHARS",
    "BootstrapFile",
    "BootstrapResult",
    "TruncationWarning",
    "apply_caps",
    "load_bootstrap_files",
    "truncate_for_cap",
]

BOOTSTRAP_ORDER = (
    "AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "MEMORY.md",
)  # fmt: skip
FALLBACKS = {"MEMORY.md": "memory.md"}
MIN_USEFUL_CHARS = 64
NEAR_LIMIT_SHARE = 0.85
_MAX_BYTES = 10_000_000


@dataclass(frozen=True)
class BootstrapFile:
    """One file as it goes into the prompt; ``content`` may be cut (then ``truncated``)."""

    name: str
    path: str
    content: str
    original_chars: int
    truncated: bool


@dataclass(frozen=True)
class TruncationWarning:
    """A file cut to ``limit`` characters (or dropped, with ``limit`` the budget left)."""

    file: str
    limit: int
    original_chars: int
    message: str


@dataclass(frozen=True)
class BootstrapResult:
    """The files in prompt order, the truncation warnings, and other diagnostics."""

    files: tuple[BootstrapFile, ...] = ()
    warnings: tuple[TruncationWarning, ...] = ()
    near_limit: tuple[str, ...] = ()
    diagnostics: tuple[str, ...] = ()


def truncate_for_cap(name: str, text: str, cap: int) -> str:
    """``text`` if it fits in ``cap`` characters, else head + marker + tail (module docstring)."""
    if cap <= 0:
        return ""
    if len(text) <= cap:
        return text
    head, tail = cap * 7 // 10, cap * 2 // 10
    for marker in _markers(name, len(text), head, tail):
        if len(marker) <= cap - head - tail:
            return text[:head] + marker + text[len(text) - tail :]
    marker = f"[{name} truncated]"
    if len(marker) >= cap:
        return marker[:cap]
    room = cap - len(marker)
    head = room * 7 // 9
    tail = room - head
    return text[:head] + marker + text[len(text) - tail :]


def _markers(name: str, total: int, head: int, tail: int) -> tuple[str, ...]:
    """Markers from the most to the least informative."""
    return (
        f"\n\n[... {name} truncated: {total:,} characters; kept the first {head:,} and the "
        f"last {tail:,} ...]\n\n",
        f"\n[... {name} truncated ...]\n",
        f"[{name} truncated]",
    )


def apply_caps(
    files: Sequence[tuple[str, str, str]],
    per_file_cap: int = 20_000,
    total_cap: int = 150_000,
) -> BootstrapResult:
    """Apply both caps to ``(name, path, text)`` triples in order. Pure."""
    kept: list[BootstrapFile] = []
    warnings: list[TruncationWarning] = []
    near: list[str] = []
    remaining = total_cap
    for name, path, text in files:
        if not text.strip():
            continue
        if remaining < MIN_USEFUL_CHARS:
            warnings.append(_dropped(name, len(text), remaining, total_cap))
            continue
        limit = min(per_file_cap, remaining)
        content = truncate_for_cap(name, text, limit)
        cut = content != text
        if cut:
            warnings.append(_cut(name, len(text), limit, per_file_cap, total_cap))
        elif len(text) > per_file_cap * NEAR_LIMIT_SHARE:
            near.append(name)
        kept.append(BootstrapFile(name, path, content, len(text), cut))
        remaining -= len(content)
    return BootstrapResult(tuple(kept), tuple(warnings), tuple(near))


def _cut(name: str, chars: int, limit: int, per_file: int, total: int) -> TruncationWarning:
    why = f"the per-file cap of {per_file:,}" if limit == per_file else (
        f"the {limit:,} characters left of the total cap of {total:,}"
    )  # fmt: skip
    message = f"{name} truncated: {chars:,} characters cut to {why}"
    return TruncationWarning(name, limit, chars, message)


def _dropped(name: str, chars: int, remaining: int, total: int) -> TruncationWarning:
    message = f"{name} left out: the total cap of {total:,} characters is used up"
    return TruncationWarning(name, max(remaining, 0), chars, message)


def load_bootstrap_files(
    workspace: str | Path,
    *,
    per_file_cap: int = 20_000,
    total_cap: int = 150_000,
    names: Sequence[str] = BOOTSTRAP_ORDER,
) -> BootstrapResult:
    """Read the bootstrap files from the workspace root and apply the caps."""
    root = Path(workspace).absolute()
    found: list[tuple[str, str, str]] = []
    diagnostics: list[str] = []
    max_bytes = max(_MAX_BYTES, per_file_cap * 4)
    for wanted in names:
        name = _present_name(root, wanted)
        if name is None:
            continue
        path = root / name
        if not inside(path, root):
            diagnostics.append(f"{path}: refused, it resolves outside the workspace")
            continue
        text, reason = read_text_file(path, max_bytes=max_bytes)
        if text is None:
            if reason != MISSING:
                diagnostics.append(f"{path}: {reason}")
            continue
        found.append((name, str(path), text))
    result = apply_caps(found, per_file_cap, total_cap)
    return BootstrapResult(result.files, result.warnings, result.near_limit, tuple(diagnostics))


def _present_name(root: Path, wanted: str) -> str | None:
    """``wanted`` or its fallback, whichever the root lists with that exact spelling."""
    for name in (wanted, FALLBACKS.get(wanted)):
        if name is not None and exact_entry(root, name):
            return name
    return None
