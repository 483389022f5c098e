"""Settings and heartbeat config: defaults, files, environment, precedence and validation.

* `HeartbeatConfig` — every heartbeat key of SPEC §2 with its default (`heartbeat`, `actions`).
* `normalize_heartbeat_mapping` — any accepted spelling to the canonical one (`normalize`).
* `validate_heartbeat_config`, `validate_thread_overrides` — normalise and check (`normalize`).
* `Settings`, `load_settings` — the service settings from defaults, file, env, CLI
  (`settings`, `loading`).
* `resolve_effective`, `effective_config` — precedence across layers with a source per key
  (`layers`).

Every refusal is an `InvalidConfigError` (a `soulbeat.errors.ConfigError`) that names its source
and lists every problem as ``key: value is ... (expected ...)``.
"""

from soulbeat.config.actions import ActionsConfig, RateLimit
from soulbeat.config.heartbeat import (
    DEFAULT_HEARTBEAT_PROMPT,
    ActiveHoursConfig,
    HeartbeatConfig,
    VisibilityConfig,
)
from soulbeat.config.layers import (
    LAYER_ORDER,
    EffectiveConfig,
    effective_config,
    merge_layers,
    resolve_effective,
)
from soulbeat.config.loading import load_settings, parse_env_bool, read_file
from soulbeat.config.normalize import (
    normalize_heartbeat_mapping,
    validate_heartbeat_config,
    validate_partial_config,
    validate_thread_overrides,
)
from soulbeat.config.problems import InvalidConfigError, Problem
from soulbeat.config.settings import AgentSettings, ChannelSettings, Settings
from soulbeat.errors import ConfigError

__all__ = [
    "DEFAULT_HEARTBEAT_PROMPT",
    "LAYER_ORDER",
    "ActionsConfig",
    "ActiveHoursConfig",
    "AgentSettings",
    "ChannelSettings",
    "ConfigError",
    "EffectiveConfig",
    "HeartbeatConfig",
    "InvalidConfigError",
    "Problem",
    "RateLimit",
    "Settings",
    "VisibilityConfig",
    "effective_config",
    "load_settings",
    "merge_layers",
    "normalize_heartbeat_mapping",
    "parse_env_bool",
    "read_file",
    "resolve_effective",
    "validate_heartbeat_config",
    "validate_partial_config",
    "validate_thread_overrides",
]
