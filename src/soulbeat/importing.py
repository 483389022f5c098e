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

__all__ = ["lazy_names"]


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
