"""`lazy_names`: a package's names imported from their modules when first asked for (issue 12).

A package ``__init__`` that re-exports its modules' names imports every module the moment any
one of them is imported: ``soulbeat.turn.context`` would bring the whole turn stack, and
``soulbeat.channels.thread`` httpx with the webhook channel. Such a package lists its names under
``TYPE_CHECKING`` (for mypy and readers) and sets ``__getattr__ = lazy_names(__name__, {...})``:
``from soulbeat.turn import TurnRunner`` still works, and imports ``soulbeat.turn.runner`` only
then. The first lookup stores the value in the package, so later ones are plain attributes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from types import ModuleType

__all__ = ["import_httpx", "lazy_names"]


def lazy_names(package: str, modules: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``modules`` maps each name to the submodule
    (relative to ``package``) that defines it. Any other name is an AttributeError."""

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


def import_httpx() -> ModuleType:
    """Import httpx without its own command line, and return it.

    httpx's ``__init__`` imports its command line (``httpx._main``: click, pygments and rich's
    progress and syntax modules, about 4 MiB resident) whenever those happen to be installed;
    soulbeat never runs it and does not ask for it (that is the ``httpx[cli]`` extra). While
    httpx is first imported here, ``httpx._main`` is marked missing in ``sys.modules``, so httpx
    takes its own fallback for a missing extra (``httpx.main`` says the command line cannot run
    here); the mark is removed at once, so an explicit ``import httpx._main`` later still works.
    The process paths that first import httpx (the turn stack, the model clients) call this
    before; once httpx is loaded it is a look-up.
    """
    loaded = sys.modules.get("httpx")
    if loaded is not None:
        return loaded
    had = "httpx._main" in sys.modules
    if not had:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]  # Python's "not here" mark
    try:
        return importlib.import_module("httpx")
    finally:
        if not had and sys.modules.get("httpx._main", ...) is None:
            del sys.modules["httpx._main"]
