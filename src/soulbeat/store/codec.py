"""How the SQL stores write datetimes and mappings, and read them back.

Datetimes are stored as INTEGER microseconds since 1970-01-01T00:00:00Z. Integers order correctly
in SQL (so `ORDER BY`, `<=` and the scalar `max()` over them are time order), compare fast in
indexes, and convert without loss in both directions. Every value read back is an aware UTC
datetime; a naive datetime handed in is refused with ValueError (its zone would be a guess).

Mappings and lists are stored as JSON text. Datetimes nested in caller mappings (the audit record)
are written as ISO-8601 text; anything else JSON cannot hold is refused with ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from soulbeat.clock import to_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime. Raises ValueError when it is naive."""
    return (to_utc(moment) - EPOCH) // _MICROSECOND


def opt_micros(moment: datetime | None) -> int | None:
    """`to_micros`, passing None through."""
    return None if moment is None else to_micros(moment)


def from_micros(value: int) -> datetime:
    """The aware UTC datetime `value` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=value)


def opt_datetime(value: int | None) -> datetime | None:
    """`from_micros`, passing None (SQL NULL) through."""
    return None if value is None else from_micros(value)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return to_utc(value).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_json(value: Mapping[str, Any] | list[Any], *, what: str) -> str:
    """JSON text of `value`; `what` names the field in the ValueError raised for bad content."""
    if not value and isinstance(value, dict):  # an empty config or audit: no encoder
        return "{}"
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} cannot be stored as JSON: {exc}") from exc


def load_mapping(text: str) -> dict[str, Any]:
    """The JSON object stored in `text`."""
    if text == "{}":  # most configs and many audits: no parse (100,000 threads are listed)
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value


def dump_instants(values: Mapping[str, datetime]) -> str:
    """JSON text of a name → datetime mapping, the datetimes as epoch microseconds."""
    return json.dumps({name: to_micros(moment) for name, moment in values.items()})


def load_instants(text: str) -> dict[str, datetime]:
    """The inverse of `dump_instants`."""
    return {name: from_micros(int(value)) for name, value in load_mapping(text).items()}


def dump_instant_list(values: tuple[datetime, ...] | list[datetime]) -> str:
    """JSON text of a list of datetimes, as epoch microseconds."""
    return json.dumps([to_micros(moment) for moment in values])


def load_instant_list(text: str) -> tuple[datetime, ...]:
    """The inverse of `dump_instant_list`."""
    if text == "[]":  # a schedule that never ran the model: no parse (read on every beat)
        return ()
    values = json.loads(text)
    if not isinstance(values, list):
        raise ValueError(f"expected a JSON array, found {type(values).__name__}")
    return tuple(from_micros(int(value)) for value in values)
