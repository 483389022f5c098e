"""`HeartbeatConfig`: every key of a heartbeat config (SPEC §2), its default and its checks.

The model is frozen and refuses unknown keys. It expects the canonical snake_case shape; other
spellings (seed 000's ``every_seconds`` and whole-hour ``active_hours_start``, seed 004's
PascalCase, camelCase) are turned into it by `soulbeat.config.normalize` first, and
`soulbeat.config.normalize.validate_heartbeat_config` does both steps and turns every refusal
into one `InvalidConfigError`.

Intervals (``every``, ``idle_pause``, ``timeout``, rate-limit windows) are kept as the text the
person wrote, trimmed, so that showing the config shows what was written; the properties
``interval``, ``idle_pause_interval`` and ``effective_timeout()`` give the durations.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from soulbeat.config.actions import ActionsConfig
from soulbeat.config.memory import (
    DEFAULT_SCRATCH_BYTES,
    EDIT_POLICIES,
    MAX_SCRATCH_BYTES,
    EditPolicy,
    check_tool_patterns,
)
from soulbeat.config.problems import config_error
from soulbeat.config.time_keys import (
    check_health_target,
    check_one_cadence,
    check_zone_name,
    dead_after_of,
)
from soulbeat.config.values import (
    NAME_PATTERN,
    check_bool,
    check_choice,
    check_int,
    check_interval,
    check_number,
    check_text,
)
from soulbeat.contract.active_hours import (
    EXPECTED_END,
    EXPECTED_HHMM,
    ActiveHours,
    parse_hhmm,
    resolve_timezone,
)
from soulbeat.contract.cron import check_cron
from soulbeat.contract.interval import parse_interval

__all__ = [
    "DEFAULT_HEARTBEAT_PROMPT",
    "MAX_DEFAULT_TIMEOUT",
    "MIN_EVERY",
    "SHORT_EVERY",
    "TARGET_KEYWORDS",
    "ActiveHoursConfig",
    "HeartbeatConfig",
    "VisibilityConfig",
]

#: the user message of a beat when no ``prompt`` is configured (SPEC §5.1)
DEFAULT_HEARTBEAT_PROMPT = (
    "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or "
    "repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK."
)
#: the timeout of a beat when none is configured is ``min(every, MAX_DEFAULT_TIMEOUT)``
MAX_DEFAULT_TIMEOUT = timedelta(minutes=10)
TARGET_KEYWORDS = ("thread", "last", "none")
#: SPEC §9.2: a heartbeat interval under `MIN_EVERY` is refused; under `SHORT_EVERY` it is
#: accepted with a warning (every beat is a model call)
MIN_EVERY = timedelta(seconds=1)
SHORT_EVERY = timedelta(seconds=30)
#: upper bounds of the counts: far above any real use, low enough that a typo such as 10^500
#: is refused rather than passed on to a model server or a budget sum
MAX_TOKENS = 1_000_000
MAX_DAILY_TOKENS = 10**12
MAX_CHARS = 1_000_000

_TARGET_EXPECTED = "thread, last, none or a channel name"
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ActiveHoursConfig(BaseModel):
    """The daily window (SPEC §3.2): ``start`` inclusive, ``end`` exclusive, ``HH:MM``.

    ``timezone`` is an IANA name, ``local`` or ``user`` [default]; an unknown name is refused.
    """

    model_config = _FROZEN

    start: str
    end: str
    timezone: str = "user"

    @model_validator(mode="before")
    @classmethod
    def _require_bounds(cls, data: object) -> object:
        if isinstance(data, Mapping):
            for bound, expected in (("start", EXPECTED_HHMM), ("end", EXPECTED_END)):
                if bound not in data:
                    raise config_error(bound, None, "is missing", expected)
        return data

    @field_validator("start", "end", mode="before")
    @classmethod
    def _check_bound(cls, value: object, info: ValidationInfo) -> str:
        key = str(info.field_name)
        parse_hhmm(value, allow_24=key == "end", key=key)  # type: ignore[arg-type]
        return str(value).strip()

    @field_validator("timezone", mode="before")
    @classmethod
    def _check_timezone(cls, value: object) -> str:
        resolve_timezone(value, key="timezone")  # type: ignore[arg-type]
        text = str(value).strip()
        return text.lower() if text.lower() in ("local", "user") else text

    def to_active_hours(self) -> ActiveHours:
        """The contract's `ActiveHours` for this window."""
        return ActiveHours(start=self.start, end=self.end, timezone=self.timezone)


class VisibilityConfig(BaseModel):
    """What a beat shows (SPEC §7.2): acks, alerts, and an ok/alert/error indicator."""

    model_config = _FROZEN

    show_ok: bool = False
    show_alerts: bool = True
    use_indicator: bool = True

    @field_validator("show_ok", "show_alerts", "use_indicator", mode="before")
    @classmethod
    def _check_flag(cls, value: object, info: ValidationInfo) -> bool:
        return check_bool(str(info.field_name), value)


class HeartbeatConfig(BaseModel):
    """One heartbeat config; every key has the default of SPEC §2.

    ``prompt`` None means `DEFAULT_HEARTBEAT_PROMPT`; ``timeout`` None means ``min(every, 10m)``;
    ``active_hours`` None means always active; ``model``, ``temperature``, ``max_tokens`` None
    mean the provider's settings. ``max_tool_calls`` caps the tool calls of one beat.
    ``decision_mode`` is how the model is asked for its decision (`soulbeat.turn.modes`):
    ``auto`` (default: ``tools`` for a beat with MCP tools, else ``schema`` where the server
    honours it), ``tools``, ``schema`` (structured output) or ``text``.
    ``prompt_profile`` is how much prompt a beat sends (`soulbeat.turn.profile`): ``full``,
    ``compact`` (small models) or ``auto`` (by the model's context window, which the server
    reports or else ``context_tokens`` gives).
    """

    model_config = _FROZEN

    enabled: bool = True
    every: str = "30m"
    target: str = "thread"
    to: str | None = None
    prompt: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    ack_max_chars: int = 300
    active_hours: ActiveHoursConfig | None = None
    include_reasoning: bool = False
    dry_run: bool = False
    context: Literal["light", "full"] = "light"
    decision_mode: Literal["tools", "schema", "text", "auto"] = "auto"
    prompt_profile: Literal["full", "compact", "auto"] = "auto"
    context_tokens: int | None = None
    visibility: VisibilityConfig = Field(default_factory=VisibilityConfig)
    actions: ActionsConfig = Field(default_factory=ActionsConfig)
    dedupe: Literal["exact", "fuzzy", "off"] = "exact"
    idle_pause: str = "14d"
    daily_token_budget: int | None = None
    timeout: str | None = None
    max_tool_calls: int = 8
    # -- time as people mean it (issue 16; `soulbeat.config.time_keys` checks these) ----------
    cron: str | None = None
    timezone: str = "user"
    quiet_after_message: str = "0"
    dead_after: str | None = None
    health_target: str = "none"
    max_pending_reminders: int = 10
    reminder_min_delay: str = "5m"

    @model_validator(mode="before")
    @classmethod
    def _one_cadence(cls, data: object) -> object:
        return check_one_cadence(data)

    @field_validator("cron", mode="before")
    @classmethod
    def _check_cron(cls, value: object) -> str | None:
        return None if value is None else check_cron(value, key="cron")

    @field_validator("timezone", mode="before")
    @classmethod
    def _check_zone(cls, value: object) -> str:
        return check_zone_name(value)

    @field_validator("quiet_after_message", "reminder_min_delay", mode="before")
    @classmethod
    def _check_quiet(cls, value: object, info: ValidationInfo) -> str:
        return check_interval(str(info.field_name), value)

    @field_validator("dead_after", mode="before")
    @classmethod
    def _check_dead_after(cls, value: object) -> str | None:
        return None if value is None else check_interval("dead_after", value, positive=True)

    @field_validator("health_target", mode="before")
    @classmethod
    def _check_health_target(cls, value: object) -> str:
        return check_health_target(value)

    @field_validator("max_pending_reminders", mode="before")
    @classmethod
    def _check_max_pending(cls, value: object) -> int:
        return check_int("max_pending_reminders", value, minimum=0, example=10, maximum=1000)

    # -- issue 15: memory between beats, tools, the `unchanged` guard (soulbeat.config.memory) --
    skip_unchanged: bool = True
    scratch_max_bytes: int = DEFAULT_SCRATCH_BYTES
    memory_edits: bool = True
    soul_edits: EditPolicy = "off"
    heartbeat_edits: EditPolicy = "off"
    tools: tuple[str, ...] = ("*",)
    tool_timeout: str = "20s"
    mcp_max_calls: int = 5
    tool_result_chars: int = 8_000
    mcp_result_chars: int = 32_000

    @field_validator("skip_unchanged", "memory_edits", mode="before")
    @classmethod
    def _check_memory_flag(cls, value: object, info: ValidationInfo) -> bool:
        return check_bool(str(info.field_name), value)

    @field_validator("soul_edits", "heartbeat_edits", mode="before")
    @classmethod
    def _check_edit_policy(cls, value: object, info: ValidationInfo) -> str:
        return check_choice(str(info.field_name), value, EDIT_POLICIES, "an edit policy")

    @field_validator(
        "scratch_max_bytes", "mcp_max_calls", "tool_result_chars", "mcp_result_chars", mode="before"
    )
    @classmethod
    def _check_memory_count(cls, value: object, info: ValidationInfo) -> int:
        key = str(info.field_name)
        example, top = {
            "scratch_max_bytes": (DEFAULT_SCRATCH_BYTES, MAX_SCRATCH_BYTES),
            "mcp_max_calls": (5, 100),
            "tool_result_chars": (8_000, MAX_CHARS),
            "mcp_result_chars": (32_000, MAX_CHARS),
        }[key]
        low = 0 if key == "mcp_max_calls" else 1
        return check_int(key, value, minimum=low, example=example, maximum=top)

    @field_validator("tools", mode="before")
    @classmethod
    def _check_tools(cls, value: object) -> tuple[str, ...]:
        return check_tool_patterns(value)

    @field_validator("tool_timeout", mode="before")
    @classmethod
    def _check_tool_timeout(cls, value: object) -> str:
        return check_interval("tool_timeout", value, positive=True)

    @property
    def tool_timeout_seconds(self) -> float:
        """``tool_timeout`` in seconds."""
        found = parse_interval(self.tool_timeout, key="tool_timeout")
        assert found is not None  # checked positive when built
        return found.total_seconds()

    @field_validator("enabled", "include_reasoning", "dry_run", mode="before")
    @classmethod
    def _check_flag(cls, value: object, info: ValidationInfo) -> bool:
        return check_bool(str(info.field_name), value)

    @field_validator("every", mode="before")
    @classmethod
    def _check_every(cls, value: object) -> str:
        return check_interval("every", value, shortest=MIN_EVERY)

    @field_validator("idle_pause", mode="before")
    @classmethod
    def _check_interval(cls, value: object) -> str:
        return check_interval("idle_pause", value)

    @field_validator("timeout", mode="before")
    @classmethod
    def _check_timeout(cls, value: object) -> str | None:
        return None if value is None else check_interval("timeout", value, positive=True)

    @field_validator("target", mode="before")
    @classmethod
    def _check_target(cls, value: object) -> str:
        if isinstance(value, str) and (value in TARGET_KEYWORDS or NAME_PATTERN.fullmatch(value)):
            return value
        raise config_error("target", value, "is not a target", _TARGET_EXPECTED)

    @field_validator("to", mode="before")
    @classmethod
    def _check_to(cls, value: object) -> str | None:
        return check_text("to", value, "a recipient", "text such as +15551234567 or a user id")

    @field_validator("prompt", mode="before")
    @classmethod
    def _check_prompt(cls, value: object) -> str | None:
        return check_text("prompt", value, "a prompt", "text, or nothing for the default prompt")

    @field_validator("model", mode="before")
    @classmethod
    def _check_model(cls, value: object) -> str | None:
        name = check_text("model", value, "a model name", "a name such as llama3.2:1b")
        if name is not None and any(char.isspace() for char in name):
            raise config_error("model", value, "is not a model name", "a name such as llama3.2:1b")
        return name

    @field_validator("temperature", mode="before")
    @classmethod
    def _check_temperature(cls, value: object) -> float | None:
        return None if value is None else check_number("temperature", value, low=0, high=2)

    @field_validator("max_tokens", "daily_token_budget", mode="before")
    @classmethod
    def _check_positive(cls, value: object, info: ValidationInfo) -> int | None:
        key = str(info.field_name)
        example, top = (200, MAX_TOKENS) if key == "max_tokens" else (50_000, MAX_DAILY_TOKENS)
        if value is None:
            return None
        return check_int(key, value, minimum=1, example=example, maximum=top)

    @field_validator("ack_max_chars", mode="before")
    @classmethod
    def _check_ack_max_chars(cls, value: object) -> int:
        # SPEC §6: a negative ack_max_chars behaves as 0.
        checked = check_int("ack_max_chars", value, minimum=None, example=300, maximum=MAX_CHARS)
        return max(0, checked)

    @field_validator("max_tool_calls", mode="before")
    @classmethod
    def _check_max_tool_calls(cls, value: object) -> int:
        return check_int("max_tool_calls", value, minimum=0, example=8, maximum=100)

    @field_validator("context", mode="before")
    @classmethod
    def _check_context(cls, value: object) -> str:
        return check_choice("context", value, ("light", "full"), "a context")

    @field_validator("decision_mode", mode="before")
    @classmethod
    def _check_decision_mode(cls, value: object) -> str:
        modes = ("tools", "schema", "text", "auto")
        return check_choice("decision_mode", value, modes, "a decision mode")

    @field_validator("prompt_profile", mode="before")
    @classmethod
    def _check_prompt_profile(cls, value: object) -> str:
        profiles = ("full", "compact", "auto")
        return check_choice("prompt_profile", value, profiles, "a prompt profile")

    @field_validator("context_tokens", mode="before")
    @classmethod
    def _check_context_tokens(cls, value: object) -> int | None:
        if value is None:
            return None
        return check_int("context_tokens", value, minimum=256, example=8192, maximum=10_000_000)

    @field_validator("dedupe", mode="before")
    @classmethod
    def _check_dedupe(cls, value: object) -> str:
        if value is False:  # YAML 1.1 reads an unquoted `off` as false
            return "off"
        return check_choice("dedupe", value, ("exact", "fuzzy", "off"), "a dedupe mode")

    @field_validator("active_hours", "visibility", "actions", mode="before")
    @classmethod
    def _check_section(cls, value: object, info: ValidationInfo) -> object:
        key = str(info.field_name)
        if value is None and key == "active_hours":
            return None
        if isinstance(value, Mapping | BaseModel):
            return value
        raise config_error(key, value, "is not a table", f"a table of {key} keys")

    @property
    def interval(self) -> timedelta | None:
        """``every`` as a duration; ``None`` when disabled (``0m``)."""
        return parse_interval(self.every)

    @property
    def idle_pause_interval(self) -> timedelta | None:
        """``idle_pause`` as a duration; ``None`` when idle pausing is off (``0``)."""
        return parse_interval(self.idle_pause, key="idle_pause")

    @property
    def active_window(self) -> ActiveHours | None:
        """The contract's `ActiveHours`, or ``None`` for always active."""
        return None if self.active_hours is None else self.active_hours.to_active_hours()

    @property
    def effective_prompt(self) -> str:
        """The configured prompt, else `DEFAULT_HEARTBEAT_PROMPT`."""
        return self.prompt if self.prompt is not None else DEFAULT_HEARTBEAT_PROMPT

    def effective_timeout(self) -> timedelta:
        """``timeout`` when set, else ``min(every, 10m)`` (10 min when ``every`` is disabled)."""
        if self.timeout is not None:
            configured = parse_interval(self.timeout, key="timeout")
            assert configured is not None  # checked positive when built
            return configured
        interval = self.interval
        if self.cron is not None:  # a cron beat's timeout does not follow the unused `every`
            return MAX_DEFAULT_TIMEOUT
        return MAX_DEFAULT_TIMEOUT if interval is None else min(interval, MAX_DEFAULT_TIMEOUT)

    @property
    def quiet_after(self) -> timedelta | None:
        """``quiet_after_message`` as a duration; None when off (``0``, the default)."""
        return parse_interval(self.quiet_after_message, key="quiet_after_message")

    @property
    def min_reminder_delay(self) -> timedelta:
        """``reminder_min_delay`` as a duration (zero when ``0``)."""
        return parse_interval(self.reminder_min_delay, key="reminder_min_delay") or timedelta(0)

    def dead_after_interval(self) -> timedelta | None:
        """``dead_after`` when set, else 3 x the interval and at least 1 h (SPEC §9.2); a cron
        thread, whose gaps vary, uses 3 x its longest gap over the next week (`time_keys`)."""
        return dead_after_of(self)
