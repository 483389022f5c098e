"""soulbeat: a heartbeat and a soul for AI agents.

The names below are the public API (pinned by tests/test_public_api.py). Everything else is
reachable through its folder (`soulbeat.workspace`, `soulbeat.config`, ...) but may change.
"""

from soulbeat.contract.ack import (
    HEARTBEAT_TOKEN,
    ResponseParse,
    StripResult,
    parse_response,
    strip_heartbeat_token,
)
from soulbeat.contract.active_hours import ActiveHours, is_within_active_hours
from soulbeat.contract.interval import format_interval, parse_interval
from soulbeat.errors import (
    ConfigError,
    InvalidActiveHoursError,
    InvalidIntervalError,
    InvalidTimezoneError,
    SoulbeatError,
    WorkspaceError,
)
from soulbeat.workspace.bootstrap import load_bootstrap_files
from soulbeat.workspace.heartbeat_md import (
    HeartbeatInstructions,
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)
from soulbeat.workspace.skills import Skill, load_skills
from soulbeat.workspace.soul import Soul, SoulLoadResult, format_soul_for_system_prompt, load_soul
from soulbeat.workspace.tasks import due_tasks

__version__ = "0.1.0"

__all__ = [
    "HEARTBEAT_TOKEN",
    "ActiveHours",
    "ConfigError",
    "HeartbeatInstructions",
    "InvalidActiveHoursError",
    "InvalidIntervalError",
    "InvalidTimezoneError",
    "ResponseParse",
    "Skill",
    "Soul",
    "SoulLoadResult",
    "SoulbeatError",
    "StripResult",
    "WorkspaceError",
    "__version__",
    "due_tasks",
    "format_interval",
    "format_soul_for_system_prompt",
    "is_heartbeat_content_effectively_empty",
    "is_within_active_hours",
    "load_bootstrap_files",
    "load_skills",
    "load_soul",
    "parse_heartbeat_md",
    "parse_interval",
    "parse_response",
    "strip_heartbeat_token",
]
