"""Small value checks shared by the config models; each returns the clean value or raises.

Every check takes the key it is checking (for the message), accepts any object (config comes from
files, the environment and the API, so anything can arrive) and raises `ConfigError` worded
``key: value is <what> (expected <form>)``. Booleans are never numbers here: ``true`` is not ``1``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import timedelta

from soulbeat.config.problems import config_error
from soulbeat.contract.interval import format_interval, parse_interval

__all__ = [
    "NAME_PATTERN",
    "check_bool",
    "check_choice",
    "check_int",
    "check_interval",
    "check_name",
    "check_number",
    "check_text",
    "choices_text",
]

#: agent ids and channel names: lower-case letters, digits, `_` and `-`, not starting with `_`/`-`
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


def choices_text(choices: Sequence[str]) -> str:
    """``a, b or c``."""
    if len(choices) == 1:
        return choices[0]
    return f"{', '.join(choices[:-1])} or {choices[-1]}"


def check_bool(key: str, value: object) -> bool:
    """A real boolean (``true`` / ``false``)."""
    if isinstance(value, bool):
        return value
    raise config_error(key, value, "is not a boolean", "true or false")


def check_choice(key: str, value: object, choices: Sequence[str], noun: str) -> str:
    """One of ``choices``, exactly as written."""
    if isinstance(value, str) and value in choices:
        return value
    raise config_error(key, value, f"is not {noun}", choices_text(choices))


def check_text(key: str, value: object, noun: str, expected: str) -> str | None:
    """Text with surrounding whitespace removed; ``None`` or blank text is ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise config_error(key, value, f"is not {noun}", expected)
    return value.strip() or None


def check_name(key: str, value: object, noun: str) -> str:
    """A name matching `NAME_PATTERN` (agent ids, channel names)."""
    if isinstance(value, str) and NAME_PATTERN.fullmatch(value):
        return value
    raise config_error(
        key, value, f"is not {noun}", "lower-case letters, digits, _ and -, such as ops-alerts"
    )


def check_int(
    key: str, value: object, *, minimum: int | None, example: int, maximum: int | None = None
) -> int:
    """A whole number ``>= minimum`` and ``<= maximum`` (an integral float such as ``200.0``
    counts). Numbers too long to quote are shown shortened, with their digit count."""
    bound = {None: "a whole number", 0: "a whole number >= 0", 1: "a positive whole number"}.get(
        minimum, f"a whole number >= {minimum}"
    )
    expected = f"{bound}, such as {example}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise config_error(key, value, "is not a whole number", expected)
    if minimum is not None and value < minimum:
        raise config_error(key, _shown(value), "is too small", expected)
    if maximum is not None and value > maximum:
        top = f"{maximum:_}"
        raise config_error(key, _shown(value), "is too large", f"{bound} up to {top}")
    return value


def _shown(number: int) -> object:
    """A number as a message shows it: huge ones as their first digits and their length (turning
    a 500-digit number into text would also trip Python's int-to-text limit)."""
    if abs(number) < 10**30:
        return number
    return _Shortened(number)


class _Shortened:
    def __init__(self, number: int) -> None:
        digits = number.bit_length() * 30103 // 100000 + 1  # about log10(2) per bit
        self._text = f"a number of about {digits} digits"

    def __repr__(self) -> str:
        return self._text


def check_number(key: str, value: object, *, low: float, high: float) -> float:
    """A finite number in ``[low, high]``."""
    expected = f"a number from {low:g} to {high:g}"
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise config_error(key, value, "is not a number", expected)
    if not (math.isfinite(value) and low <= value <= high):
        raise config_error(key, value, "is out of range", expected)
    return float(value)


def check_interval(
    key: str, value: object, *, positive: bool = False, shortest: timedelta | None = None
) -> str:
    """Interval text in the grammar of SPEC §3.1, trimmed; ``positive`` refuses disabled (``0m``);
    ``shortest`` refuses an enabled interval below it (SPEC §9.2: a heartbeat under 1 s).

    The wording of a text outside the grammar is `parse_interval`'s own.
    """
    if not isinstance(value, str):
        parse_interval(value, key=key)  # type: ignore[arg-type]  # raises with the usual wording
    text = str(value).strip()
    duration = parse_interval(text, key=key)
    if duration is None and positive:
        raise config_error(key, value, "is not a positive duration", "such as 10m, 90s or 1h")
    if duration is not None and shortest is not None and duration < shortest:
        expected = f"at least {format_interval(shortest)}, such as 30s or 5m; 0m disables"
        raise config_error(key, value, "is too short", expected)
    return text
