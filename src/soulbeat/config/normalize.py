"""One shape for heartbeat configs written in any of the accepted spellings (SPEC §2).

`normalize_heartbeat_mapping` is pure and only reshapes; it does not check values. It accepts:

* snake_case (the canonical shape), seed 004's PascalCase (``Every``, ``AckMaxChars``,
  ``ActiveHours: {Start, End, Timezone}``, ``DryRun`` …) and camelCase (``ackMaxChars``,
  ``activeHours``), at every level (``visibility.showOk``, ``actions.requiresApproval``);
* seed 000's ``every_seconds: 86400``, written as ``every: "24h"``;
* flat ``active_hours_start`` / ``active_hours_end`` (whole hours 0–24 such as ``9``, or
  ``"HH:MM"``) and optional ``active_hours_timezone``, gathered into ``active_hours``. Both bounds
  are needed: a window is replaced whole (SPEC §2), so half a window is refused. Whole hours are
  also accepted inside ``active_hours`` (``{start: 9, end: 17}``).

Refused, each naming the keys: an unknown key (with the known ones listed), a key written twice in
two spellings with different values, and two spellings of one setting that disagree (``every``
and ``every_seconds``, ``active_hours`` and ``active_hours_start``). Every problem is reported,
not just the first.

`validate_heartbeat_config` (a whole config) and `validate_partial_config` /
`validate_thread_overrides` (only the keys given, for storing a layer) normalise and then check
values with `HeartbeatConfig`, raising one `InvalidConfigError` that lists every problem.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from soulbeat.config.actions import ActionsConfig, RateLimit
from soulbeat.config.heartbeat import ActiveHoursConfig, HeartbeatConfig, VisibilityConfig
from soulbeat.config.problems import InvalidConfigError, Problem, problems_from_validation_error
from soulbeat.config.problems import quote as _q
from soulbeat.contract.interval import format_interval, parse_interval
from soulbeat.errors import InvalidIntervalError

__all__ = [
    "FLAT_KEYS",
    "HEARTBEAT_KEYS",
    "normalize_heartbeat_mapping",
    "snake_case",
    "validate_heartbeat_config",
    "validate_partial_config",
    "validate_thread_overrides",
]

#: the canonical top-level keys, in the order of SPEC §2
HEARTBEAT_KEYS: tuple[str, ...] = tuple(HeartbeatConfig.model_fields)
#: seed 000's flat spellings, rewritten into canonical keys
FLAT_KEYS: tuple[str, ...] = (
    "every_seconds",
    "active_hours_start",
    "active_hours_end",
    "active_hours_timezone",
)
_SECTIONS: dict[str, tuple[str, ...]] = {
    "active_hours": tuple(ActiveHoursConfig.model_fields),
    "visibility": tuple(VisibilityConfig.model_fields),
    "actions": tuple(ActionsConfig.model_fields),
}
_LIMIT_KEYS: tuple[str, ...] = tuple(RateLimit.model_fields)
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_HOUR_EXPECTED = 'a whole hour from 0 to 24, or "HH:MM"'
_MAX_SECONDS = timedelta.max.total_seconds()  # a float: the exact edge may still overflow


def snake_case(name: str) -> str:
    """``AckMaxChars`` / ``ackMaxChars`` / ``ack_max_chars`` → ``ack_max_chars``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def normalize_heartbeat_mapping(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical snake_case mapping meaning the same as ``raw``; values are not checked.

    Raises `InvalidConfigError` (source ``heartbeat``) listing every shape problem.
    """
    normalized, problems = _normalize(raw)
    if problems:
        raise InvalidConfigError("heartbeat", problems)
    return normalized


def validate_heartbeat_config(mapping: Mapping[str, Any], *, source: str) -> HeartbeatConfig:
    """A whole `HeartbeatConfig` from ``mapping`` (keys not given take their defaults).

    Raises one `InvalidConfigError` naming ``source`` and listing every problem.
    """
    config, _, problems = _checked(mapping)
    if config is None or problems:
        raise InvalidConfigError(source, problems)
    return config


def validate_partial_config(mapping: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """Only the keys ``mapping`` sets, normalised, checked and in canonical JSON-ready form.

    This is what a layer (a file section, a thread's overrides, a skill's block) is stored as:
    ``model`` trimmed, whole-hour bounds as ``HH:MM``, rate limits as ``{max, per}``; for
    ``visibility`` and ``actions`` only the sub-keys given (and, in ``actions.limits``, only the
    action types given) are kept, so that a layer never restates defaults it did not set.
    """
    config, normalized, problems = _checked(mapping)
    if config is None or problems:
        raise InvalidConfigError(source, problems)
    return config.model_dump(mode="json", include=_include_spec(normalized))


def validate_thread_overrides(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A thread's overrides (from the API, CLI or panel) ready to store; see
    `validate_partial_config`. Raises `InvalidConfigError` with source ``thread``."""
    return validate_partial_config(raw, source="thread")


def _checked(
    mapping: Mapping[str, Any],
) -> tuple[HeartbeatConfig | None, dict[str, Any], list[Problem]]:
    normalized, problems = _normalize(mapping)
    try:
        config = HeartbeatConfig.model_validate(normalized)
    except ValidationError as error:
        return None, normalized, [*problems, *problems_from_validation_error(error)]
    return config, normalized, problems


def _include_spec(normalized: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for key, value in normalized.items():
        if key in ("visibility", "actions") and isinstance(value, Mapping):
            sub: dict[str, Any] = {name: True for name in value}
            limits = value.get("limits") if key == "actions" else None
            if isinstance(limits, Mapping):
                sub["limits"] = {action: True for action in limits}
            spec[key] = sub
        else:
            spec[key] = True
    return spec


def _normalize(raw: object) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    if not isinstance(raw, Mapping):
        detail = f"{_q(raw)} is not a table (expected a table of heartbeat keys)"
        return {}, [Problem("", detail, raw)]
    known = HEARTBEAT_KEYS + FLAT_KEYS
    result = _recase(raw, known, "", problems)
    _fold_every_seconds(result, problems)
    _fold_flat_active_hours(result, problems)
    for section, names in _SECTIONS.items():
        value = result.get(section)
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, Mapping):
            result[section] = _recase(value, names, section, problems)
    _fix_section_values(result, problems)
    return result, problems


def _recase(
    raw: Mapping[Any, Any], known: tuple[str, ...], where: str, problems: list[Problem]
) -> dict[str, Any]:
    """Keys of ``raw`` in snake_case; unknown keys and disagreeing duplicates become problems."""
    result: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in raw.items():
        path = f"{where}.{key}" if where else str(key)
        name = snake_case(key) if isinstance(key, str) else None
        if name is None or name not in known:
            problems.append(Problem(path, _unknown_detail(key, known)))
            continue
        if name in result and result[name] != value:
            first = f"{where}.{spelled[name]}" if where else spelled[name]
            detail = f"{_q(value)} conflicts with {first}: {_q(result[name])} (expected one)"
            problems.append(Problem(path, detail))
            continue
        result[name], spelled[name] = value, str(key)
    return result


def _unknown_detail(key: object, known: tuple[str, ...]) -> str:
    hint = ""
    if isinstance(key, str):
        close = difflib.get_close_matches(snake_case(key), known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
    return f"is not a known key (expected one of: {', '.join(known)}{hint})"


def _fold_every_seconds(result: dict[str, Any], problems: list[Problem]) -> None:
    if "every_seconds" not in result:
        return
    seconds = result.pop("every_seconds")
    number = _as_number(seconds)
    if number is None or not 0 <= number <= _MAX_SECONDS:
        detail = f"{_q(seconds)} is not a number of seconds (expected a number such as 86400)"
        problems.append(Problem("every_seconds", detail))
        return
    try:
        text = format_interval(timedelta(seconds=number))
    except OverflowError:
        detail = f"{_q(seconds)} is too many seconds (expected a number such as 86400)"
        problems.append(Problem("every_seconds", detail))
        return
    if "every" in result:
        try:
            same = parse_interval(result["every"]) == parse_interval(text)
        except InvalidIntervalError:
            same = False
        if not same:
            detail = (
                f"{_q(seconds)} conflicts with every: {_q(result['every'])} "
                "(expected only one of every and every_seconds, or both meaning the same)"
            )
            problems.append(Problem("every_seconds", detail))
        return
    result["every"] = text


def _fold_flat_active_hours(result: dict[str, Any], problems: list[Problem]) -> None:
    flat = {
        bound: result.pop(f"active_hours_{bound}")
        for bound in ("start", "end", "timezone")
        if f"active_hours_{bound}" in result
    }
    if not flat:
        return
    if "active_hours" in result:
        detail = "conflicts with active_hours (expected either active_hours or its flat keys)"
        problems.extend(Problem(f"active_hours_{bound}", detail) for bound in flat)
        return
    missing = [bound for bound in ("start", "end") if bound not in flat]
    for bound in missing:
        detail = "is missing (expected both active_hours_start and active_hours_end)"
        problems.append(Problem(f"active_hours_{bound}", detail))
    if not missing:
        result["active_hours"] = flat


def _fix_section_values(result: dict[str, Any], problems: list[Problem]) -> None:
    window = result.get("active_hours")
    if isinstance(window, dict):
        for bound in ("start", "end"):
            if bound in window:
                window[bound] = _hour_bound(bound, window[bound], problems)
    actions = result.get("actions")
    limits = actions.get("limits") if isinstance(actions, dict) else None
    if isinstance(actions, dict) and isinstance(limits, Mapping):
        actions["limits"] = {
            action: _recase_limits(action, entries, problems) for action, entries in limits.items()
        }


def _hour_bound(bound: str, value: object, problems: list[Problem]) -> object:
    """A whole hour (``9``, ``9.0``, ``"9"``) as ``"09:00"``; anything else unchanged."""
    hour = _as_number(value) if not isinstance(value, str) or value.strip().isdigit() else None
    if hour is None:
        return value
    if not (hour.is_integer() and 0 <= hour <= 24):
        detail = f"{_q(value)} is not an hour (expected {_HOUR_EXPECTED})"
        problems.append(Problem(f"active_hours.{bound}", detail))
        return value
    return f"{int(hour):02d}:00"


def _recase_limits(action: object, entries: object, problems: list[Problem]) -> object:
    items = entries if isinstance(entries, list | tuple) else [entries]
    fixed = [
        _recase(item, _LIMIT_KEYS, f"actions.limits.{action}", problems)
        if isinstance(item, Mapping)
        else item
        for item in items
    ]
    return fixed if isinstance(entries, list | tuple) else fixed[0]


def _as_number(value: object) -> float | None:
    """A finite number from a number or numeric text; ``None`` otherwise (``true`` is no number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    return None
