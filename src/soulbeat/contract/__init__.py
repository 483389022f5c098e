"""The heartbeat contract as pure functions: intervals, active hours and the HEARTBEAT_OK token.

Nothing here reads the clock, the disk or the network: time and text come in as arguments.
"""

from soulbeat.contract.ack import (
    HEARTBEAT_TOKEN,
    Position,
    ResponseParse,
    StripResult,
    parse_response,
    strip_heartbeat_token,
)
from soulbeat.contract.active_hours import (
    ActiveHours,
    is_within_active_hours,
    parse_hhmm,
    resolve_timezone,
    validate_active_hours,
)
from soulbeat.contract.interval import format_interval, interval_or_disabled, parse_interval

__all__ = [
    "HEARTBEAT_TOKEN",
    "ActiveHours",
    "Position",
    "ResponseParse",
    "StripResult",
    "format_interval",
    "interval_or_disabled",
    "is_within_active_hours",
    "parse_hhmm",
    "parse_interval",
    "parse_response",
    "resolve_timezone",
    "strip_heartbeat_token",
    "validate_active_hours",
]
