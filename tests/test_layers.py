"""The storage door, checked on the source: SQL drivers only under `soulbeat/store/`, the
scheduler free of the turn, and the SQLite backend needing nothing above `store/`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import soulbeat

PACKAGE = Path(soulbeat.__file__).parent
DRIVERS = ("sqlite3", "aiosqlite", "psycopg", "psycopg_pool")


def modules(folder: Path = PACKAGE) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def named(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_sql_drivers_are_imported_under_store_only() -> None:
    store = PACKAGE / "store"
    outside = {
        named(path): sorted(i for i in imports(path) if i.split(".")[0] in DRIVERS)
        for path in modules()
        if store not in path.parents
    }
    assert {name: found for name, found in outside.items() if found} == {}


def test_the_scheduler_does_not_import_the_turn() -> None:
    found = {
        named(path): sorted(i for i in imports(path) if i.startswith("soulbeat.turn"))
        for path in modules(PACKAGE / "schedule")
    }
    assert {name: turn for name, turn in found.items() if turn} == {}


def test_the_backends_need_nothing_above_the_store() -> None:
    allowed = ("soulbeat.store", "soulbeat.errors", "soulbeat.clock")
    found = {
        named(path): sorted(
            i for i in imports(path) if i.startswith("soulbeat") and not i.startswith(allowed)
        )
        for path in [
            *modules(PACKAGE / "store" / "sqlite"),
            *modules(PACKAGE / "store" / "postgres"),
            *(PACKAGE / "store").glob("*.py"),
        ]
    }
    assert {name: above for name, above in found.items() if above} == {}
