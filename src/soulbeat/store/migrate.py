"""Numbered SQL migrations, as files: what every backend's migrations have in common.

A backend keeps its migrations as `NNN_name.sql` files in a folder of the package
(`store/sqlite/migrations/`, `store/postgres/migrations/`), read through importlib.resources so
they work from a wheel or a zip; `load_migrations(folder)` reads them in version order. Applying
them is the backend's (`soulbeat.store.sqlite.migrate`, `soulbeat.store.postgres.migrate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from soulbeat.errors import StoreError

__all__ = ["Migration", "load_migrations"]

_FILE_NAME = re.compile(r"^(?P<version>\d{3})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One `NNN_name.sql` file: its version number, its name and its SQL text."""

    version: int
    name: str
    sql: str


def load_migrations(folder: Traversable) -> list[Migration]:
    """The migrations in `folder`, in version order.

    Files not ending in `.sql` are ignored; a `.sql` file not named `NNN_name.sql` or a version
    used twice raises StoreError, since either is a packaging mistake.
    """
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise StoreError(f"migration file {entry.name!r} is not named NNN_name.sql")
        version = int(match["version"])
        if version in found:
            raise StoreError(f"migration version {version:03d} is used twice ({entry.name!r})")
        found[version] = Migration(version, match["name"], entry.read_text(encoding="utf-8"))
    return [found[version] for version in sorted(found)]
