"""How CLI commands show their results: JSON with `--json`, rich text otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


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
    grid = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(v) for v in row))
    console.print(grid)


def pairs(title: str, data: Mapping[str, Any]) -> None:
    table(title, ("key", "value"), data.items())


def warn(message: str) -> None:
    """Print a warning for a person on stderr (the command goes on)."""
    errors.print(f"[yellow]warning:[/] {_escape(message)}")


def fail(message: str) -> None:
    """Print an error for a person on stderr (the caller exits)."""
    errors.print(f"[bold red]error:[/] {_escape(message)}")


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
