"""`Settings`: how the soulbeat service is set up — folders, the model server, the HTTP edge,
agents, webhook channels and the service-wide heartbeat config.

Defaults are chosen so that ``soulbeat serve`` in a fresh checkout just works: data in
``./data`` and the agent's files in ``./workspace`` (relative to the current directory, so the
README's make target and a container both find them without setup), Ollama on
``http://127.0.0.1:11434`` with ``llama3.2:latest``, the HTTP server on ``127.0.0.1:8420``.
`soulbeat.config.loading.load_settings` reads them from a file and the environment.

Heartbeat config has provenance: ``heartbeat_layers`` holds the service-wide layers that made it
(``file``, ``env``, ``cli``; each a canonical partial mapping, lowest first) and ``heartbeat`` is
always derived from them, never set on its own. Giving ``heartbeat`` (a mapping) without layers
counts as the ``file`` layer. `soulbeat.config.layers.effective_config` adds the agent's,
thread's and skill's layers on top.

Agents: ids are ``[a-z0-9][a-z0-9_-]*``. With none declared there is one, ``default``, using
``workspace``. An agent without a ``workspace`` uses ``workspace`` when it is ``default`` and
``<workspace>/<id>`` otherwise (two personas must not share SOUL.md by accident).

Channels: named webhooks (``kind`` ``json`` [default], ``slack`` or ``discord``) that a
heartbeat ``target`` may name; ``thread``, ``last`` and ``none`` are reserved target words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from soulbeat.config.checks import target_problem
from soulbeat.config.heartbeat import TARGET_KEYWORDS, HeartbeatConfig
from soulbeat.config.layers import resolve_effective
from soulbeat.config.mcp import McpServerSettings
from soulbeat.config.normalize import validate_partial_config
from soulbeat.config.problems import InvalidConfigError, config_error
from soulbeat.config.time_keys import health_target_problem
from soulbeat.config.values import check_bool, check_choice, check_int, check_name, check_text
from soulbeat.contract.active_hours import resolve_timezone
from soulbeat.contract.interval import parse_interval
from soulbeat.errors import ConfigError

__all__ = [
    "DEFAULT_BASE_URLS",
    "AgentSettings",
    "ChannelSettings",
    "HeartbeatLayers",
    "LedgerSettings",
    "Settings",
]

#: where each provider's server is looked for when ``llm_base_url`` is not set
DEFAULT_BASE_URLS: Mapping[str, str] = {
    "ollama": "http://127.0.0.1:11434",
    "openai": "http://127.0.0.1:8000/v1",
}
HeartbeatLayers = tuple[tuple[str, dict[str, Any]], ...]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_URL_EXPECTED = "an http or https URL such as https://hooks.example.com/T000/B000"
_ZONE_EXPECTED = "an IANA timezone name such as Europe/Berlin, or local"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_url(key: str, value: object) -> str:
    """An absolute ``http``/``https`` URL with a host."""
    if isinstance(value, str) and value == value.strip() and value:
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.hostname:
            return value
    raise config_error(key, value, "is not a URL", _URL_EXPECTED)


def check_path(key: str, value: object) -> Path:
    """A non-empty path; ``~`` is expanded."""
    if isinstance(value, Path):
        return value.expanduser()
    if isinstance(value, str) and value.strip():
        return Path(value.strip()).expanduser()
    raise config_error(key, value, "is not a path", "a folder or file path such as ./workspace")


def check_user_timezone(key: str, value: object) -> str | None:
    """``None`` (the host's zone), ``local`` or an IANA name; ``user`` would point at itself."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() != "user":
        resolve_timezone(value, key=key)
        return value.strip()
    raise config_error(key, value, "is not a timezone", _ZONE_EXPECTED)


class ChannelSettings(BaseModel):
    """A webhook a heartbeat can deliver to: JSON POST to ``url`` with ``headers``."""

    model_config = _FROZEN

    url: str
    kind: Literal["json", "slack", "discord"] = "json"
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url", mode="before")
    @classmethod
    def _check_url(cls, value: object) -> str:
        return check_url("url", value)

    @field_validator("kind", mode="before")
    @classmethod
    def _check_kind(cls, value: object) -> str:
        return check_choice("kind", value, ("json", "slack", "discord"), "a channel kind")

    @field_validator("headers", mode="before")
    @classmethod
    def _check_headers(cls, value: object) -> dict[str, str]:
        if isinstance(value, Mapping) and all(
            isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in value.items()
        ):
            return dict(value)
        raise config_error("headers", value, "is not a table of headers", "name = text pairs")


class LedgerSettings(BaseModel):
    """A remote Moltbook-style board an agent acts on instead of the built-in one.

    ``url`` is the server's address (``https://host``; a trailing ``/api/v1`` is dropped, the
    client adds it); ``api_key_env`` names the environment variable that holds the key, so the
    key is never written in a config file (a literal ``api_key`` is refused for that reason).
    """

    model_config = _FROZEN

    url: str
    api_key_env: str

    @model_validator(mode="before")
    @classmethod
    def _no_literal_key(cls, data: object) -> object:
        if isinstance(data, Mapping) and "api_key" in data:
            raise config_error(
                "api_key",
                "***",
                "is not kept in a config file",
                'api_key_env = "NAME_OF_THE_VARIABLE" that holds the key',
            )
        return data

    @field_validator("url", mode="before")
    @classmethod
    def _check_url(cls, value: object) -> str:
        url = check_url("url", value).rstrip("/")
        return url[: -len("/api/v1")] if url.endswith("/api/v1") else url

    @field_validator("api_key_env", mode="before")
    @classmethod
    def _check_env(cls, value: object) -> str:
        if isinstance(value, str) and _ENV_NAME.fullmatch(value):
            return value
        raise config_error(
            "api_key_env", value, "is not an environment variable name", "such as MOLTBOOK_API_KEY"
        )


class AgentSettings(BaseModel):
    """One agent: its workspace, its heartbeat overrides (the ``agent`` layer), its person's
    timezone (``user`` in active hours) and an explicit SOUL.md path."""

    model_config = _FROZEN

    workspace: Path
    heartbeat: dict[str, Any] = Field(default_factory=dict)
    user_timezone: str | None = None
    soul_path: Path | None = None
    ledger: LedgerSettings | None = None
    """A remote board for this agent's actions; None: the built-in ledger."""
    mcp_servers: dict[str, McpServerSettings] = Field(default_factory=dict)
    """Issue 15: MCP servers whose tools this agent's beats may call (`soulbeat.config.mcp`)."""

    @field_validator("mcp_servers", mode="before")
    @classmethod
    def _check_mcp_servers(cls, value: object) -> object:
        return {} if value is None else _check_names("mcp_servers", value, "a server name")

    @field_validator("workspace", "soul_path", mode="before")
    @classmethod
    def _check_paths(cls, value: object, info: ValidationInfo) -> Path | None:
        if value is None and info.field_name == "soul_path":
            return None
        return check_path(str(info.field_name), value)

    @field_validator("heartbeat", mode="before")
    @classmethod
    def _check_heartbeat(cls, value: object) -> dict[str, Any]:
        if value is None:
            return {}
        return validate_partial_config(value, source="agent")  # type: ignore[arg-type]

    @field_validator("user_timezone", mode="before")
    @classmethod
    def _check_zone(cls, value: object) -> str | None:
        return check_user_timezone("user_timezone", value)


class Settings(BaseModel):
    """The service settings; see the module docstring for defaults and derived fields."""

    model_config = _FROZEN

    data_dir: Path = Path("data")
    workspace: Path = Path("workspace")
    database_url: str | None = None
    """Where soulbeat remembers: ``postgresql://…`` (PostgreSQL, several workers may share it) or
    ``sqlite:///path``; unset, the SQLite file ``<data_dir>/soulbeat.db``."""
    api_token: str | None = None
    hook_token: str | None = None
    """The webhook-wake token (else `<data_dir>/hook-token`, made at first start)."""
    api_read_open: bool = False
    """True lets GET requests through without the API token (writes always need it)."""
    cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the API from other pages; none by default."""
    heartbeat_enabled: bool = True
    llm_provider: Literal["ollama", "openai"] = "ollama"
    llm_base_url: str = DEFAULT_BASE_URLS["ollama"]
    llm_model: str = "llama3.2:latest"
    llm_api_key: str | None = None
    llm_fallback_model: str | None = None
    host: str = "127.0.0.1"
    port: int = 8420
    user_timezone: str | None = None
    bootstrap_per_file_cap: int = 20_000
    bootstrap_total_cap: int = 150_000
    max_concurrent_beats: int | None = None
    """Beats in flight at once (claimed and running); unset: twice the model server's call
    limit, so the next beats are ready as soon as a model slot frees (issue 12)."""
    llm_max_in_flight: int | None = None
    """Model calls in flight at once to ``llm_base_url`` (`soulbeat.llm.slots`); unset: 4 for a
    server on this machine, 64 for any other."""
    retention: str = "30d"
    """How long beats (the audit trail), the action log and consumed system events are kept;
    `soulbeat prune` and a daily pass delete what is older. ``0`` keeps everything."""
    heartbeat: HeartbeatConfig = Field(default_factory=HeartbeatConfig)
    heartbeat_layers: HeartbeatLayers = ()
    agents: dict[str, AgentSettings] = Field(default_factory=dict)
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: object) -> object:
        if not isinstance(data, Mapping):
            return data
        derived = dict(data)
        provider = derived.get("llm_provider", "ollama")
        if derived.get("llm_base_url") is None and isinstance(provider, str):
            derived["llm_base_url"] = DEFAULT_BASE_URLS.get(provider)
        derived["heartbeat_layers"], derived["heartbeat"] = _heartbeat_from(derived)
        derived["agents"] = _agents_with_workspaces(derived)
        return derived

    @field_validator("data_dir", "workspace", mode="before")
    @classmethod
    def _check_paths(cls, value: object, info: ValidationInfo) -> Path:
        return check_path(str(info.field_name), value)

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: object) -> str | None:
        return check_database_url("database_url", value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _check_origins(cls, value: object) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise config_error(
                "cors_origins",
                value,
                "is not a list of origins",
                'a list such as ["http://127.0.0.1:5173"]',
            )
        origins: list[str] = []
        for item in items:
            if (
                not isinstance(item, str)
                or not item.startswith(("http://", "https://"))
                or item.rstrip("/") != item
                or item.count("/") != 2
            ):
                raise config_error(
                    "cors_origins",
                    item,
                    "is not an origin",
                    "scheme://host[:port] such as http://127.0.0.1:5173",
                )
            origins.append(item)
        return tuple(origins)

    @field_validator("heartbeat_enabled", "api_read_open", mode="before")
    @classmethod
    def _check_flag(cls, value: object, info: ValidationInfo) -> bool:
        return check_bool(info.field_name or "flag", value)

    @field_validator("llm_provider", mode="before")
    @classmethod
    def _check_provider(cls, value: object) -> str:
        return check_choice("llm_provider", value, ("ollama", "openai"), "a provider")

    @field_validator("llm_base_url", mode="before")
    @classmethod
    def _check_base_url(cls, value: object) -> str:
        return check_url("llm_base_url", value)

    @field_validator("llm_model", "host", mode="before")
    @classmethod
    def _check_required_text(cls, value: object, info: ValidationInfo) -> str:
        key = str(info.field_name)
        example = "llama3.2:latest" if key == "llm_model" else "127.0.0.1"
        text = check_text(key, value, "a name", f"a name such as {example}")
        if text is None or any(char.isspace() for char in text):
            raise config_error(key, value, "is not a name", f"a name such as {example}")
        return text

    @field_validator("api_token", "hook_token", "llm_api_key", "llm_fallback_model", mode="before")
    @classmethod
    def _check_optional_text(cls, value: object, info: ValidationInfo) -> str | None:
        return check_text(str(info.field_name), value, "text", "text, or nothing")

    @field_validator("port", mode="before")
    @classmethod
    def _check_port(cls, value: object) -> int:
        port = check_int("port", value, minimum=1, example=8420)
        if port > 65_535:
            raise config_error("port", value, "is not a port", "a whole number from 1 to 65535")
        return port

    @field_validator(
        "bootstrap_per_file_cap", "bootstrap_total_cap", "max_concurrent_beats", mode="before"
    )
    @classmethod
    def _check_counts(cls, value: object, info: ValidationInfo) -> int | None:
        if value is None and info.field_name == "max_concurrent_beats":
            return None
        return check_int(str(info.field_name), value, minimum=1, example=4)

    @field_validator("llm_max_in_flight", mode="before")
    @classmethod
    def _check_in_flight(cls, value: object) -> int | None:
        if value is None:
            return None
        return check_int("llm_max_in_flight", value, minimum=1, example=4)

    @field_validator("retention", mode="before")
    @classmethod
    def _check_retention(cls, value: object) -> str:
        text = value if isinstance(value, str) else str(value)
        try:
            parse_interval(text, key="retention")
        except ConfigError:
            raise config_error(
                "retention",
                value,
                "is not a duration",
                "a duration such as 30d, 12h or 0 (keep all)",
            ) from None
        return text

    @property
    def retention_period(self) -> timedelta | None:
        """`retention` as a duration; None keeps everything."""
        return parse_interval(self.retention, key="retention")

    @field_validator("user_timezone", mode="before")
    @classmethod
    def _check_zone(cls, value: object) -> str | None:
        return check_user_timezone("user_timezone", value)

    @field_validator("agents", mode="before")
    @classmethod
    def _check_agents(cls, value: object) -> object:
        return _check_names("agents", value, "an agent id")

    @field_validator("channels", mode="before")
    @classmethod
    def _check_channels(cls, value: object) -> object:
        channels = _check_names("channels", value, "a channel name")
        for name in channels:
            if name in TARGET_KEYWORDS:
                raise config_error(
                    f"channels.{name}", name, "is a reserved target word", "another channel name"
                )
        return channels

    @model_validator(mode="after")
    def _check_targets(self) -> Settings:
        """A ``target`` in the file, environment or an agent's heartbeat must go somewhere: a
        keyword or a configured channel (`soulbeat.config.checks.target_problem`)."""
        where = [("heartbeat.target", self.heartbeat.target)]
        for agent_id, agent in self.agents.items():
            target = agent.heartbeat.get("target")
            if isinstance(target, str):
                where.append((f"agents.{agent_id}.heartbeat.target", target))
        for key, target in where:
            problem = target_problem(target, self.channels)
            if problem is not None:
                raise ConfigError(f"{key}: {problem}", key=key, value=target)
        # issue 16: the dead-man's alert must go somewhere too
        alerts = [("heartbeat.health_target", self.heartbeat.health_target)]
        for agent_id, agent in self.agents.items():
            target = agent.heartbeat.get("health_target")
            if isinstance(target, str):
                alerts.append((f"agents.{agent_id}.heartbeat.health_target", target))
        for key, target in alerts:
            problem = health_target_problem(target, self.channels)
            if problem is not None:
                raise ConfigError(f"{key}: {problem}", key=key, value=target)
        return self

    def agent(self, agent_id: str = "default") -> AgentSettings:
        """The agent ``agent_id``; raises `KeyError` when it is not configured."""
        return self.agents[agent_id]

    def user_timezone_for(self, agent_id: str = "default") -> str | None:
        """The zone ``user`` means for ``agent_id``: the agent's, else the service's, else None
        (the host's)."""
        agent = self.agents.get(agent_id)
        zone = agent.user_timezone if agent is not None else None
        return zone if zone is not None else self.user_timezone


DATABASE_SCHEMES = ("postgresql://", "postgres://", "sqlite:///")
_DATABASE_EXPECTED = "postgresql://user@host:5432/dbname, or sqlite:///path/to/soulbeat.db"


def check_database_url(key: str, value: object) -> str | None:
    """A database URL soulbeat can open (see `Settings.database_url`); None when unset."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not value.strip().startswith(DATABASE_SCHEMES):
        raise config_error(key, value, "is not a database URL soulbeat knows", _DATABASE_EXPECTED)
    text = value.strip()
    if text.startswith("sqlite:///") and not text.removeprefix("sqlite:///").strip():
        raise config_error(key, value, "names no SQLite file", _DATABASE_EXPECTED)
    return text


def _heartbeat_from(data: Mapping[str, Any]) -> tuple[HeartbeatLayers, HeartbeatConfig]:
    """The checked service-wide layers and the config they make (keys prefixed ``heartbeat.``)."""
    layers = data.get("heartbeat_layers")
    if layers is None:
        given = data.get("heartbeat")
        if isinstance(given, HeartbeatConfig):
            given = given.model_dump(mode="json", include=given.model_fields_set)
        layers = () if given is None else (("file", given),)
    if not isinstance(layers, list | tuple) or not all(
        isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str)
        for item in layers
    ):
        raise config_error("heartbeat_layers", layers, "is not a list", "(source, mapping) pairs")
    try:
        checked = tuple(
            (name, validate_partial_config(layer, source=name)) for name, layer in layers
        )
    except InvalidConfigError as error:
        raise InvalidConfigError(
            error.source, [issue.under("heartbeat") for issue in error.issues]
        ) from None
    return checked, resolve_effective(checked).config


def _agents_with_workspaces(data: Mapping[str, Any]) -> object:
    agents = data.get("agents")
    if agents is None or (isinstance(agents, Mapping) and not agents):
        agents = {"default": {}}
    if not isinstance(agents, Mapping):
        return agents
    workspace = data.get("workspace", Path("workspace"))
    if not isinstance(workspace, str | Path):
        return agents
    filled: dict[Any, Any] = {}
    for agent_id, agent in agents.items():
        if isinstance(agent, Mapping) and agent.get("workspace") is None:
            own = Path(workspace) if agent_id == "default" else Path(workspace) / str(agent_id)
            agent = {**agent, "workspace": own}
        filled[agent_id] = agent
    return filled


def _check_names(key: str, value: object, noun: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise config_error(key, value, "is not a table", f"a table of {key} by name")
    for name in value:
        check_name(f"{key}.{name}", name, noun)
    return dict(value)
