"""How CLI commands show their results: JSON with `--json`, rich text otherwise.

`console` (stdout) and `errors` (stderr) are rich consoles made on first use, so a command that
prints nothing for a person (`soulbeat worker` past its one start line) never imports rich.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    console: Console
    errors: Console

_STDERR = {"console": False, "errors": True}  # the consoles, and whether each writes to stderr


def __getattr__(name: str) -> Console:
    """`console` and `errors`, made on first use (PEP 562)."""
    if name not in _STDERR:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _console(name)


def _console(name: str) -> Console:
    made: Console | None = globals().get(name)
    if made is None:
        from rich.console import Console

        made = Console(stderr=_STDERR[name], highlight=False, soft_wrap=True)
        globals()[name] = made  # later look-ups find the attribute, not `__getattr__`
    return made


ROOT_JSON: ContextVar[bool] = ContextVar("soulbeat_root_json", default=False)
"""`--json` given before the command (`soulbeat --json status`); set by the root callback on
every invocation."""


def wants_json(as_json: bool = False) -> bool:
    """Whether to print JSON: the command's own `--json`, or the one before the command."""
    return as_json or ROOT_JSON.get()


def emit_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout (datetimes and paths as strings)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(v) for v in row))
    _console("console").print(grid)


def pairs(title: str, data: Mapping[str, Any]) -> None:
    table(title, ("key", "value"), data.items())


def warn(message: str) -> None:
    """Print a warning for a person on stderr (the command goes on)."""
    _console("errors").print(f"[yellow]warning:[/] {_escape(message)}")


def fail(message: str) -> None:
    """Print an error for a person on stderr (the caller exits)."""
    _console("errors").print(f"[bold red]error:[/] {_escape(message)}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list, tuple)):
        return _escape(json.dumps(value, ensure_ascii=False, default=str))
    return _escape(str(value))


def _escape(text: str) -> str:
    # Workspace and model text may contain [brackets]; rich would read them as markup.
    return text.replace("[", r"\[")
