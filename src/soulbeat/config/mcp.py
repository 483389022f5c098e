"""One MCP server of an agent (issue 15 item 3): its tools become tools of the agent's beats.

Shape (TOML)::

    [agents.default.mcp_servers.weather]
    command = ["python", "-m", "weather_server"]   # stdio: the program and its arguments
    env = { WEATHER_API_KEY = "..." }              # added to the program's environment
    cwd = "/srv/weather"                           # optional

    [agents.default.mcp_servers.builds]
    url = "http://127.0.0.1:9000/mcp"              # streamable HTTP
    headers = { Authorization = "Bearer ..." }

Exactly one of ``command`` and ``url``. ``connect_timeout`` (an interval, default 10s) bounds
starting the server and listing its tools; a server that does not answer in time is left out of
the beat (and shown as missing, with the reason, by ``soulbeat doctor`` and the API).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from soulbeat.config.problems import config_error
from soulbeat.config.values import check_interval
from soulbeat.contract.interval import parse_interval

__all__ = ["McpServerSettings"]

_URL_EXPECTED = "an http or https URL such as http://127.0.0.1:9000/mcp"


class McpServerSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command: tuple[str, ...] | None = None
    url: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    cwd: Path | None = None
    connect_timeout: str = "10s"

    @field_validator("command", mode="before")
    @classmethod
    def _check_command(cls, value: object) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip():
            return (value.strip(),)
        if (
            isinstance(value, list | tuple)
            and value
            and all(isinstance(part, str) and part for part in value)
        ):
            return tuple(value)
        raise config_error(
            "command", value, "is not a command", 'a list such as ["python", "-m", "my_server"]'
        )

    @field_validator("url", mode="before")
    @classmethod
    def _check_url(cls, value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and value.startswith(("http://", "https://")) and value[8:]:
            return value
        raise config_error("url", value, "is not a URL", _URL_EXPECTED)

    @field_validator("env", "headers", mode="before")
    @classmethod
    def _check_pairs(cls, value: object, info: ValidationInfo) -> dict[str, str]:
        key = str(info.field_name)
        if value is None:
            return {}
        if isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return dict(value)
        raise config_error(
            key, value, "is not a table of text", 'a table such as { NAME = "value" }'
        )

    @field_validator("connect_timeout", mode="before")
    @classmethod
    def _check_timeout(cls, value: object) -> str:
        return check_interval("connect_timeout", value, positive=True)

    @model_validator(mode="after")
    def _one_way_in(self) -> McpServerSettings:
        if (self.command is None) == (self.url is None):
            raise config_error(
                "command", None, "and url: exactly one is needed", "a command (stdio) or a url"
            )
        return self

    @property
    def transport(self) -> str:
        return "stdio" if self.command is not None else "http"

    @property
    def connect_seconds(self) -> float:
        found = parse_interval(self.connect_timeout, key="connect_timeout")
        assert found is not None
        return found.total_seconds()

    def describe(self) -> str:
        """Where the server is, without env values or headers (they may hold secrets)."""
        return " ".join(self.command) if self.command is not None else str(self.url)
