"""Precedence: which layer's value a thread's effective heartbeat config takes (SPEC §2).

Layers, lowest first: ``default`` → ``file`` → ``env`` → ``cli`` → ``agent`` → ``thread`` →
``skill``. ``cli`` (flags given to ``soulbeat serve`` and friends) sits just above ``env``: like
the environment it is service-wide, and a flag typed now should beat a variable set earlier.

How a higher layer's value combines with a lower one, key by key:

* scalars (``every``, ``target``, ``model`` …) replace;
* ``every`` and ``cron`` replace each other: a layer setting one drops the other's lower value;
* ``active_hours`` replaces as a whole, and ``null`` clears a lower layer's window (always
  active) — a window is a pair, mixing bounds from two layers is never what anyone meant;
* ``visibility`` merges sub-key by sub-key: turning ``show_ok`` on in a thread should not
  silently restate or reset ``show_alerts``;
* ``actions`` merges by sub-key too: ``allowed`` and ``requires_approval`` replace (they are
  lists; merging would make an entry impossible to remove) and ``limits`` merges per action
  type, a type's list of limits replacing the lower one.

`EffectiveConfig.sources` says which layer set each top-level key (``default`` when none did) and
each sub-key of the merged sections (``visibility.show_ok``, ``actions.allowed``,
``actions.limits.post``); `EffectiveConfig.rows` is that, ready to print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from soulbeat.config.actions import LIMITED_ACTION_TYPES
from soulbeat.config.heartbeat import HeartbeatConfig, VisibilityConfig
from soulbeat.config.normalize import HEARTBEAT_KEYS, validate_partial_config
from soulbeat.config.problems import (
    InvalidConfigError,
    Problem,
    problems_from_validation_error,
    quote,
)
from soulbeat.config.values import choices_text

if TYPE_CHECKING:
    from soulbeat.config.settings import Settings

__all__ = [
    "LAYER_ORDER",
    "EffectiveConfig",
    "effective_config",
    "merge_layers",
    "resolve_effective",
]

#: the layer names soulbeat uses, lowest precedence first
LAYER_ORDER: tuple[str, ...] = ("default", "file", "env", "cli", "agent", "thread", "skill")
_MERGED_SECTIONS = ("visibility", "actions")
_ALL_KEYS: tuple[str, ...] = (
    *HEARTBEAT_KEYS,
    *(f"visibility.{name}" for name in VisibilityConfig.model_fields),
    "actions.allowed",
    "actions.requires_approval",
    *(f"actions.limits.{action}" for action in LIMITED_ACTION_TYPES),
)


@dataclass(frozen=True)
class EffectiveConfig:
    """A resolved heartbeat config and, per key, the layer that set it.

    ``sources`` has every top-level key and every sub-key of the merged sections
    (``visibility.show_ok``, ``actions.allowed``, ``actions.limits.post`` …); keys no layer set
    say ``default``.
    """

    config: HeartbeatConfig
    sources: Mapping[str, str]

    def source_of(self, key: str) -> str:
        """The layer that set ``key`` (a top-level or dotted sub-key); ``default`` if none did."""
        return self.sources.get(key, "default")

    def rows(self) -> list[tuple[str, Any, str]]:
        """``(key, value, source)`` for display, in the order of SPEC §2.

        ``visibility`` and ``actions`` appear as their dotted sub-keys (``actions.limits.post``
        with limits as ``"1/30m"`` text); values are JSON-ready.
        """
        plain = self.config.model_dump(mode="json")
        plain["actions"] = self.config.actions.as_plain()
        rows: list[tuple[str, Any, str]] = []
        for key in HEARTBEAT_KEYS:
            if key not in _MERGED_SECTIONS:
                rows.append((key, plain[key], self.source_of(key)))
                continue
            for sub, value in plain[key].items():
                if sub == "limits":
                    for action, limits in value.items():
                        dotted = f"{key}.limits.{action}"
                        rows.append((dotted, limits, self.source_of(dotted)))
                else:
                    rows.append((f"{key}.{sub}", value, self.source_of(f"{key}.{sub}")))
        return rows


def merge_layers(
    layers: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge canonical partial mappings (lowest first) by the rules above.

    Returns the merged partial mapping and the sources of the keys it sets. Values are not
    checked here; `resolve_effective` checks each layer first.
    """
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, layer in layers:
        for key, value in layer.items():
            _drop_other_cadence(key, value, merged, sources)
            sources[key] = name
            if key in _MERGED_SECTIONS and isinstance(value, Mapping):
                merged[key] = _merge_section(key, merged.get(key), value, name, sources)
            else:
                merged[key] = value
    return merged, sources


_CADENCE_KEYS = {"every": "cron", "cron": "every"}


def _drop_other_cadence(
    key: str, value: object, merged: dict[str, Any], sources: dict[str, str]
) -> None:
    """``every`` and ``cron`` replace each other (issue 16): a higher layer setting one drops
    the other from the lower layers, so the two never meet in the merged config."""
    other = _CADENCE_KEYS.get(key)
    if other is not None and value is not None and other in merged:
        del merged[other]
        sources.pop(other, None)


def _merge_section(
    key: str, lower: object, higher: Mapping[str, Any], name: str, sources: dict[str, str]
) -> dict[str, Any]:
    section: dict[str, Any] = dict(lower) if isinstance(lower, Mapping) else {}
    for sub, value in higher.items():
        if sub == "limits" and isinstance(value, Mapping):
            limits = section.get("limits")
            combined: dict[str, Any] = dict(limits) if isinstance(limits, Mapping) else {}
            for action, entries in value.items():
                combined[action] = entries
                sources[f"{key}.limits.{action}"] = name
            section["limits"] = combined
        else:
            section[sub] = value
            sources[f"{key}.{sub}"] = name
    return section


def resolve_effective(layers: Sequence[tuple[str, Mapping[str, Any]]]) -> EffectiveConfig:
    """The effective config of ``layers`` — ``(source name, partial mapping)``, lowest first.

    Each layer is normalised and checked on its own first, so a refusal names the layer it came
    from (an `InvalidConfigError` whose source is the layer's name). A ``default`` layer is
    implied: keys no layer sets keep `HeartbeatConfig`'s defaults.
    """
    checked = [(name, validate_partial_config(layer, source=name)) for name, layer in layers]
    merged, sources = merge_layers(checked)
    try:
        config = HeartbeatConfig.model_validate(merged)
    except ValidationError as error:  # pragma: no cover - every layer was valid on its own
        problems = problems_from_validation_error(error)
        raise InvalidConfigError("effective config", problems) from None
    complete = dict.fromkeys(_ALL_KEYS, "default") | sources
    return EffectiveConfig(config=config, sources=MappingProxyType(complete))


def effective_config(
    settings: Settings,
    *,
    agent_id: str = "default",
    thread: Mapping[str, Any] | None = None,
    skill: Mapping[str, Any] | None = None,
) -> EffectiveConfig:
    """The effective config of a thread of ``agent_id``, with its ``thread`` overrides and, for a
    skill's own schedule, the ``skill``'s heartbeat block on top.

    Uses the service-wide layers recorded in ``settings.heartbeat_layers`` (file, env, cli), then
    the agent's ``heartbeat`` overrides. Raises `InvalidConfigError` for an unknown agent id or
    an invalid thread or skill mapping (the error's source says which).
    """
    agent = settings.agents.get(agent_id)
    if agent is None:
        known = choices_text(sorted(settings.agents)) if settings.agents else "no agents"
        detail = f"{quote(agent_id)} is not a configured agent (expected {known})"
        raise InvalidConfigError("agents", [Problem("agent", detail)])
    layers: list[tuple[str, Mapping[str, Any]]] = list(settings.heartbeat_layers)
    for name, layer in (("agent", agent.heartbeat), ("thread", thread), ("skill", skill)):
        if layer:
            layers.append((name, layer))
    return resolve_effective(layers)
