"""`load_settings`: defaults, then a config file, then the environment, then CLI overrides.

Which file (the first that applies):

1. the ``path`` argument — it must exist;
2. the file named by ``SOULBEAT_CONFIG`` — it must exist;
3. ``soulbeat.toml`` in the current directory, when there is one;
4. the workspace's own ``soulbeat.toml`` (the workspace from ``overrides``, else
   ``SOULBEAT_WORKSPACE``, else ``./workspace``), as the seed templates write one;
5. none: defaults and the environment only.

`find_config_file` is that lookup, for the CLI, ``serve`` and ``doctor`` to agree on.

The format follows the extension: ``.toml`` (tomllib), ``.json``, ``.yaml`` / ``.yml``. Top-level
keys are the `Settings` fields plus a ``heartbeat`` section, so a seed-000 style
``crt_runtime_config.json`` (``{"heartbeat": {...}}``) loads as it is. YAML is read with YAML 1.2
scalars: ``17:00`` stays text (YAML 1.1 would make it the number 1020) and ``on``/``off``/``yes``/
``no`` stay text (only ``true``/``false`` are booleans). Relative paths in a file (``data_dir``,
``workspace``, an agent's ``workspace`` and ``soul_path``) are relative to the file's folder;
relative paths from anywhere else are relative to the current directory.

Environment (``env`` defaults to ``os.environ``; an empty variable counts as unset):
``SOULBEAT_<FIELD>`` for each plain `Settings` field (``SOULBEAT_DATA_DIR``, ``SOULBEAT_PORT``,
``SOULBEAT_LLM_MODEL`` …); ``SOULBEAT_HEARTBEAT_ENABLED`` is the global switch
``heartbeat_enabled`` (seed 000's ``CRT_HEARTBEAT_ENABLED`` too; the ``SOULBEAT_`` one wins);
``SOULBEAT_HEARTBEAT_<KEY>`` sets a heartbeat key (``EVERY``, ``DRY_RUN``, ``ACTIVE_HOURS_START``,
``VISIBILITY_SHOW_OK``, ``ACTIONS_ALLOWED=message,post`` …; rate limits only from a file).
Booleans are true/false/1/0/yes/no/on/off in any case. An unknown ``SOULBEAT_HEARTBEAT_*``
variable is an error; other unknown ``SOULBEAT_*`` variables are left to whoever owns them.

``overrides`` (CLI flags) are `Settings` fields, with ``heartbeat`` a partial heartbeat mapping
(the ``cli`` layer). Each source is checked on its own and refused whole with one
`InvalidConfigError` naming it (the file's path, ``environment`` with variable names, or
``overrides``) and listing every problem; nothing of a refused load is applied.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from soulbeat.config.heartbeat import HeartbeatConfig, VisibilityConfig
from soulbeat.config.normalize import FLAT_KEYS, validate_partial_config
from soulbeat.config.problems import (
    InvalidConfigError,
    Problem,
    problems_from_validation_error,
    quote,
)
from soulbeat.config.settings import Settings

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_NAME",
    "find_config_file",
    "load_settings",
    "parse_env_bool",
    "read_file",
]

CONFIG_ENV_VAR = "SOULBEAT_CONFIG"
DEFAULT_CONFIG_NAME = "soulbeat.toml"
HEARTBEAT_ENV_PREFIX = "SOULBEAT_HEARTBEAT_"

_SECTION_FIELDS = ("heartbeat", "heartbeat_layers", "agents", "channels")
_PLAIN_FIELDS = tuple(name for name in Settings.model_fields if name not in _SECTION_FIELDS)
_FILE_KEYS = tuple(name for name in Settings.model_fields if name != "heartbeat_layers")
_INT_FIELDS = (
    "port",
    "bootstrap_per_file_cap",
    "bootstrap_total_cap",
    "max_concurrent_beats",
    "llm_max_in_flight",
)
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
_BOOL_EXPECTED = "true, false, 1, 0, yes, no, on or off"
_YAML11_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")


def _heartbeat_env_keys() -> dict[str, str]:
    """``SOULBEAT_HEARTBEAT_<SUFFIX>`` suffix → the dotted heartbeat key it sets."""
    keys = {
        name.upper(): name
        for name in (*HeartbeatConfig.model_fields, *FLAT_KEYS)
        if name not in ("enabled", "active_hours", "visibility", "actions")
    }
    for name in VisibilityConfig.model_fields:
        keys[f"VISIBILITY_{name.upper()}"] = f"visibility.{name}"
    keys["ACTIONS_ALLOWED"] = "actions.allowed"
    keys["ACTIONS_REQUIRES_APPROVAL"] = "actions.requires_approval"
    return keys


_HEARTBEAT_ENV = _heartbeat_env_keys()
_VISIBILITY_KEYS = tuple(f"visibility.{name}" for name in VisibilityConfig.model_fields)
_BOOL_KEYS = (
    "heartbeat_enabled",
    "api_read_open",
    "include_reasoning",
    "dry_run",
    *_VISIBILITY_KEYS,
)
_INT_KEYS = (*_INT_FIELDS, "max_tokens", "ack_max_chars", "daily_token_budget", "max_tool_calls")
_NUMBER_KEYS = ("temperature", "every_seconds")
_LIST_KEYS = ("actions.allowed", "actions.requires_approval", "cors_origins")


def parse_env_bool(name: str, text: str) -> bool:
    """An environment boolean; raises `InvalidConfigError` naming the variable."""
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    detail = f"{quote(text)} is not a boolean (expected {_BOOL_EXPECTED})"
    raise InvalidConfigError("environment", [Problem(name, detail, text, _BOOL_EXPECTED)])


def load_settings(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The service settings: defaults < file < environment < overrides (see the module doc)."""
    environ: Mapping[str, str] = os.environ if env is None else env
    fields: dict[str, Any] = {}
    layers: list[tuple[str, dict[str, Any]]] = []
    workspace = (overrides or {}).get("workspace")
    file = find_config_file(path, environ, Path(workspace) if workspace is not None else None)
    if file is not None:
        _apply(fields, layers, "file", _file_source(file))
    _apply(fields, layers, "env", _env_source(environ))
    if overrides:
        _apply(fields, layers, "cli", _checked_source("overrides", dict(overrides), {}))
    try:
        return Settings.model_validate({**fields, "heartbeat_layers": tuple(layers)})
    except ValidationError as error:
        raise InvalidConfigError("settings", problems_from_validation_error(error)) from None


def read_file(path: Path) -> dict[str, Any]:
    """The top-level mapping of a TOML, JSON or YAML file; raises `InvalidConfigError`."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json", ".yaml", ".yml"):
        detail = "is not a config file (expected a .toml, .json, .yaml or .yml file)"
        raise InvalidConfigError(str(path), [Problem("", detail)])
    try:
        text = path.read_text(encoding="utf-8")
        if suffix == ".toml":
            data: object = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise InvalidConfigError(str(path), [Problem("", f"cannot be read ({error})")]) from None
    if data is None and suffix in (".yaml", ".yml"):
        return {}
    if not isinstance(data, dict):
        detail = f"{quote(data)} is not a table (expected a table of settings at the top level)"
        raise InvalidConfigError(str(path), [Problem("", detail)])
    return data


def find_config_file(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    workspace: Path | None = None,
) -> Path | None:
    """The config file `load_settings` reads (module docstring); raises `InvalidConfigError`
    when a file named by ``path`` or ``SOULBEAT_CONFIG`` does not exist."""
    environ: Mapping[str, str] = os.environ if env is None else env
    if path is not None:
        return _existing(Path(path).expanduser(), "config file", "")
    named = environ.get(CONFIG_ENV_VAR, "").strip()
    if named:
        return _existing(Path(named).expanduser(), "environment", CONFIG_ENV_VAR)
    default = Path(DEFAULT_CONFIG_NAME)
    if default.is_file():
        return default
    if workspace is None:
        workspace = Path(environ.get("SOULBEAT_WORKSPACE", "").strip() or "workspace")
    own = workspace.expanduser() / DEFAULT_CONFIG_NAME
    return own if own.is_file() else None


def _existing(path: Path, source: str, key: str) -> Path:
    if not path.is_file():
        detail = f"{quote(str(path))} does not exist (expected a TOML, JSON or YAML file)"
        raise InvalidConfigError(source, [Problem(key, detail, str(path))])
    return path


def _apply(
    fields: dict[str, Any],
    layers: list[tuple[str, dict[str, Any]]],
    layer: str,
    source: tuple[dict[str, Any], dict[str, Any] | None],
) -> None:
    plain, heartbeat = source
    fields.update(plain)
    if heartbeat:
        layers.append((layer, heartbeat))


def _file_source(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    data = read_file(path)
    base = path.parent
    for key in ("data_dir", "workspace"):
        data[key] = _relative_to(base, data.get(key))
    agents = data.get("agents")
    if isinstance(agents, dict):
        for agent in agents.values():
            if isinstance(agent, dict):
                for key in ("workspace", "soul_path"):
                    agent[key] = _relative_to(base, agent.get(key))
    return _checked_source(str(path), {k: v for k, v in data.items() if v is not None}, {})


def _relative_to(base: Path, value: object) -> object:
    if isinstance(value, str) and value.strip():
        given = Path(value.strip()).expanduser()
        return given if given.is_absolute() else base / given
    return value


def _checked_source(
    source: str,
    data: dict[str, Any],
    names: Mapping[str, str],
    earlier: list[Problem] | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Check one source alone and refuse it whole, with ``earlier`` problems found reading it.

    ``names`` maps keys to what the person wrote (environment variable names).
    """
    problems = list(earlier or [])
    broken = _unencodable(data, "")
    if broken:  # such text cannot even be checked (or printed): refuse before anything else
        raise InvalidConfigError(source, [_renamed(issue, names) for issue in broken])
    problems.extend(Problem(str(key), _unknown(key)) for key in data if key not in _FILE_KEYS)
    plain = {k: v for k, v in data.items() if k in _FILE_KEYS and k != "heartbeat"}
    heartbeat: dict[str, Any] | None = None
    if "heartbeat" in data:
        try:
            heartbeat = validate_partial_config(data["heartbeat"], source=source)
        except InvalidConfigError as error:
            problems.extend(issue.under("heartbeat") for issue in error.issues)
    try:
        Settings.model_validate(plain)
    except ValidationError as error:
        problems.extend(problems_from_validation_error(error))
    if problems:
        raise InvalidConfigError(source, [_renamed(issue, names) for issue in problems])
    return plain, heartbeat


def _unencodable(value: object, path: str) -> list[Problem]:
    """Every key or text in ``value`` that is not valid Unicode: a lone UTF-16 surrogate, which
    a JSON ``\\ud800`` escape or an undecodable byte in the environment can produce. Such text
    cannot be written as UTF-8, so it is named by its path with the text escaped."""
    found: list[Problem] = []
    if isinstance(value, str):
        if not _encodes(value):
            shown = value.encode("utf-8", "backslashreplace").decode("ascii", "replace")
            detail = (
                f'"{shown[:60]}" is not valid text (it holds a lone surrogate; expected UTF-8 text)'
            )
            found.append(Problem(path or "(top level)", detail))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and not _encodes(key):
                shown = key.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                detail = (
                    f'has a key "{shown[:60]}" that is not valid text (a lone surrogate; '
                    "expected UTF-8 text)"
                )
                found.append(Problem(path or "(top level)", detail))
                continue
            found.extend(_unencodable(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(_unencodable(item, f"{path}[{index}]"))
    return found


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unknown(key: object) -> str:
    close = difflib.get_close_matches(str(key), _FILE_KEYS, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"is not a known key (expected one of: {', '.join(_FILE_KEYS)}{hint})"


def _renamed(issue: Problem, names: Mapping[str, str]) -> Problem:
    """``heartbeat.every`` → ``SOULBEAT_HEARTBEAT_EVERY``: the longest known prefix is renamed."""
    for key in sorted(names, key=len, reverse=True):
        if issue.key == key or issue.key.startswith((f"{key}.", f"{key}[")):
            return replace(issue, key=names[key] + issue.key[len(key) :])
    return issue


def _env_source(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    data: dict[str, Any] = {}
    names: dict[str, str] = {}
    problems: list[Problem] = []
    for field in _PLAIN_FIELDS:
        found = _first_set(environ, _env_names(field))
        if found is not None:
            names[field], text = found
            _collect(problems, data, field, names[field], text)
    heartbeat: dict[str, Any] = {}
    for suffix, dotted in _HEARTBEAT_ENV.items():
        names[f"heartbeat.{dotted}"] = HEARTBEAT_ENV_PREFIX + suffix
    for var in sorted(environ):
        value = environ[var].strip()
        if not var.startswith(HEARTBEAT_ENV_PREFIX) or var in _env_names("heartbeat_enabled"):
            continue
        key = _HEARTBEAT_ENV.get(var[len(HEARTBEAT_ENV_PREFIX) :])
        if key is None:
            problems.append(Problem(var, _unknown_variable()))
        elif value:
            _collect(problems, heartbeat, key, var, value)
    for bound in ("start", "end", "timezone"):
        names[f"heartbeat.active_hours.{bound}"] = names[f"heartbeat.active_hours_{bound}"]
    if heartbeat:
        data["heartbeat"] = heartbeat
    return _checked_source("environment", data, names, problems)


def _env_names(field: str) -> tuple[str, ...]:
    own = f"SOULBEAT_{field.upper()}"
    return (own, "CRT_HEARTBEAT_ENABLED") if field == "heartbeat_enabled" else (own,)


def _first_set(environ: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        text = environ.get(name, "").strip()
        if text:
            return name, text
    return None


def _unknown_variable() -> str:
    known = ", ".join(sorted(_HEARTBEAT_ENV))
    return f"is not a known variable (expected {HEARTBEAT_ENV_PREFIX}<KEY>, KEY one of: {known})"


def _collect(problems: list[Problem], into: dict[str, Any], key: str, var: str, text: str) -> None:
    """Put the typed value of ``var`` at the dotted ``key`` of ``into``, or record why not."""
    try:
        value = _env_value(var, key, text)
    except InvalidConfigError as error:
        problems.extend(error.issues)
        return
    *parents, last = key.split(".")
    for parent in parents:
        into = into.setdefault(parent, {})
    into[last] = value


def _env_value(var: str, key: str, text: str) -> object:
    """The typed value of a variable: booleans, whole numbers, numbers, comma lists or text."""
    if key in _BOOL_KEYS:
        return parse_env_bool(var, text)
    try:
        if key in _INT_KEYS:
            return int(text)
        if key in _NUMBER_KEYS:
            return float(text)
    except ValueError:
        noun = "whole number" if key in _INT_KEYS else "number"
        detail = f"{quote(text)} is not a {noun} (expected a {noun})"
        raise InvalidConfigError("environment", [Problem(var, detail)]) from None
    if key in _LIST_KEYS:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


class _Yaml12Loader(yaml.SafeLoader):
    """A safe loader with YAML 1.2 booleans and integers (no ``on``/``off``, no base-60)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
