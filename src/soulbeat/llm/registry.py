"""Model providers by name, registered the way a plug-in would be.

A provider is a name and a factory: ``factory(base_url=..., api_key=..., **options)`` returns an
`LLMProvider`. The built-ins (``ollama``, ``openai``) register through `register_provider` like
anyone else, and other packages add theirs through the ``soulbeat.providers`` entry-point group::

    [project.entry-points."soulbeat.providers"]
    mybackend = "mypackage.provider:MyBackendProvider"

Factories are imported on first use, so naming a provider never imports a client library that is
not used. Entry points are read once, the first time a name is looked up; a plug-in cannot replace
a provider that is already registered.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from soulbeat.errors import ConfigError
from soulbeat.llm.base import LLMProvider

__all__ = [
    "ENTRY_POINT_GROUP",
    "ProviderFactory",
    "create_provider",
    "provider_names",
    "register_provider",
    "unregister_provider",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "soulbeat.providers"

ProviderFactory = Callable[..., LLMProvider]
"""``factory(base_url=..., api_key=..., **options) -> LLMProvider``; `base_url` is left out when
the configuration names none, so the factory's own default applies."""

_factories: dict[str, ProviderFactory] = {}
_discovered = False


def register_provider(name: str, factory: ProviderFactory, *, replace: bool = False) -> None:
    """Make `factory` available as `name`. A name already taken is refused unless `replace`."""
    if not name or name != name.strip().lower():
        raise ValueError(f"provider name {name!r} must be lower-case and non-empty")
    if name in _factories and not replace:
        raise ValueError(f"a provider named {name!r} is already registered")
    _factories[name] = factory


def unregister_provider(name: str) -> None:
    """Forget `name` (for tests and plug-ins that withdraw); unknown names are ignored."""
    _factories.pop(name, None)


def provider_names() -> tuple[str, ...]:
    """Every registered provider name, sorted."""
    _discover()
    return tuple(sorted(_factories))


def create_provider(
    name: str, *, base_url: str | None = None, api_key: str | None = None, **options: Any
) -> LLMProvider:
    """A new provider `name` talking to `base_url` (the provider's default when ``None``).

    Raises `ConfigError` naming the value and the known names when `name` is not registered.
    """
    _discover()
    factory = _factories.get(name)
    if factory is None:
        known = ", ".join(sorted(_factories)) or "none"
        raise ConfigError(
            f"provider: {name!r} is not a registered model provider (expected one of: {known})",
            key="provider",
            value=name,
            expected=f"one of: {known}",
        )
    if base_url is not None:
        options["base_url"] = base_url
    provider = factory(api_key=api_key, **options)
    if not isinstance(provider, LLMProvider):
        raise TypeError(f"the factory of provider {name!r} returned {provider!r}, not a provider")
    return provider


def _lazy(module: str, attribute: str) -> ProviderFactory:
    """A factory that imports ``module.attribute`` when first called."""

    def factory(**options: Any) -> LLMProvider:
        target: ProviderFactory = getattr(importlib.import_module(module), attribute)
        return target(**options)

    factory.__qualname__ = f"lazy({module}:{attribute})"
    return factory


def _from_entry_point(entry_point: EntryPoint) -> ProviderFactory:
    def factory(**options: Any) -> LLMProvider:
        try:
            target: ProviderFactory = entry_point.load()
        except Exception as exc:
            raise ConfigError(
                f"provider: {entry_point.name!r} from {entry_point.value!r} cannot be loaded: "
                f"{exc}",
                key="provider",
                value=entry_point.name,
            ) from exc
        return target(**options)

    return factory


def _discover() -> None:
    """Register the providers other packages declare, once."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in _factories:
            log.warning(
                "ignoring provider %r from %s: the name is taken",
                entry_point.name,
                entry_point.value,
            )
            continue
        try:
            register_provider(entry_point.name, _from_entry_point(entry_point))
        except ValueError as exc:
            log.warning("ignoring provider from %s: %s", entry_point.value, exc)


register_provider("ollama", _lazy("soulbeat.llm.ollama", "OllamaProvider"))
register_provider("openai", _lazy("soulbeat.llm.openai_compat", "OpenAICompatProvider"))
