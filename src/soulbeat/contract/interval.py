"""Heartbeat intervals (SPEC §3.1): text such as ``30m`` or ``2h30m`` to a ``timedelta`` and back.

The grammar, after trimming and lower-casing: one or more ``<number><unit>`` pieces written
together, units ``ms`` ``s`` ``m`` ``h`` ``d``, or a bare number meaning minutes. Numbers are
unsigned and may have a decimal part (``1.5`` = 90 s, ``0.5h`` = 30 min). Spaces between pieces,
signs and a trailing number without a unit (``1h30``) are invalid.

* ``parse_interval`` is for config validation: a total of zero or less means *disabled* and
  returns ``None``; text outside the grammar raises ``InvalidIntervalError`` naming the key, the
  value and the expected form.
* ``interval_or_disabled`` is for the runtime: it never raises, invalid text is disabled.
* ``format_interval`` writes the compact form back (``2h30m``, ``90s``, ``1d``, ``500ms``, ``0m``
  for disabled) so that ``parse_interval(format_interval(x)) == x`` for every positive ``x``.

Arithmetic is done in ``Decimal`` microseconds so ``0.1s`` is exactly 100 ms, not a float's guess.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal

from soulbeat.errors import InvalidIntervalError

__all__ = ["format_interval", "interval_or_disabled", "parse_interval"]

EXPECTED_INTERVAL = "a duration (examples: 30m, 2h30m, 90s, 0m to disable)"

_MICROS_PER_UNIT: dict[str, int] = {
    "d": 86_400_000_000,
    "h": 3_600_000_000,
    "m": 60_000_000,
    "s": 1_000_000,
    "ms": 1_000,
}
# ASCII digits only: `\d` would also accept other scripts' digits, which nobody types on purpose.
_NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
# `ms` comes first so that `5ms` is not read as five minutes followed by a stray `s`.
_PIECE = re.compile(rf"({_NUMBER})(ms|s|m|h|d)")
_PIECES = re.compile(rf"(?:{_NUMBER}(?:ms|s|m|h|d))+")
_BARE_NUMBER = re.compile(_NUMBER)
_QUOTE_LIMIT = 60
_MAX_MICROS = (timedelta.max.days * 86_400 + 86_399) * 1_000_000 + 999_999
# Wide exponents so that absurd inputs (a million digits) compare as "too long" instead of
# tripping decimal's Overflow trap; 50 digits keep every realistic sum exact to the microsecond.
_ARITHMETIC = Context(prec=50, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_EVEN)


def parse_interval(text: str, *, key: str = "every") -> timedelta | None:
    """Read an interval; ``None`` means disabled. Raises ``InvalidIntervalError`` when invalid."""
    if not isinstance(text, str):
        raise _invalid(key, text)
    micros = _total_micros(text.strip().lower())
    if micros is None:
        raise _invalid(key, text)
    if micros > _MAX_MICROS:
        raise InvalidIntervalError(
            f"{key}: {quote_value(text)} is too long a duration (at most {timedelta.max.days}d)",
            key=key,
            value=text,
            expected=EXPECTED_INTERVAL,
        )
    whole = int(micros.to_integral_value(rounding=ROUND_HALF_EVEN))
    if whole <= 0:
        return None
    return timedelta(microseconds=whole)


def interval_or_disabled(text: str | None) -> timedelta | None:
    """The runtime's reading: like ``parse_interval``, but missing or invalid text is disabled."""
    if text is None:
        return None
    try:
        return parse_interval(text)
    except InvalidIntervalError:
        return None


def format_interval(delta: timedelta | None) -> str:
    """The compact text of an interval; ``0m`` for ``None`` or anything not positive.

    Units are taken largest first, except that a leading single unit followed by a non-zero next
    unit is folded into that next unit, the way people say it: ``90s`` rather than ``1m30s``,
    ``36h`` rather than ``1d12h``, but ``2h30m`` and ``1d``. Sub-millisecond parts are written as
    a decimal number of milliseconds (``1.5ms``), which the grammar reads back exactly.
    """
    if delta is None or delta <= timedelta(0):
        return "0m"
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return "".join(f"{number}{unit}" for unit, number in _split_units(micros) if number)


def _total_micros(text: str) -> Decimal | None:
    """The sum of the pieces in microseconds, or ``None`` when ``text`` is not in the grammar."""
    if _BARE_NUMBER.fullmatch(text):
        return _ARITHMETIC.multiply(Decimal(text), _MICROS_PER_UNIT["m"])
    if not _PIECES.fullmatch(text):
        return None
    total = Decimal(0)
    for match in _PIECE.finditer(text):
        piece = _ARITHMETIC.multiply(Decimal(match.group(1)), _MICROS_PER_UNIT[match.group(2)])
        total = _ARITHMETIC.add(total, piece)
    return total


def _split_units(micros: int) -> list[tuple[str, str]]:
    """``(unit, number text)`` pairs, largest unit first, with the leading-one fold applied.

    The text is "" for a unit that does not appear.
    """
    counts: list[tuple[str, int]] = []
    rest = micros
    for unit, size in _MICROS_PER_UNIT.items():
        count, rest = divmod(rest, size)
        counts.append((unit, count))
    leading = next(i for i, (_, count) in enumerate(counts) if count or i == len(counts) - 1)
    if leading + 1 < len(counts) and counts[leading][1] == 1 and counts[leading + 1][1]:
        unit, _ = counts[leading]
        next_unit, next_count = counts[leading + 1]
        ratio = _MICROS_PER_UNIT[unit] // _MICROS_PER_UNIT[next_unit]
        counts[leading : leading + 2] = [(unit, 0), (next_unit, next_count + ratio)]
    texts = [(unit, str(count) if count else "") for unit, count in counts]
    if rest:
        # Whatever is below a millisecond rides on the ms piece as a decimal part.
        ms_count = counts[-1][1]
        texts[-1] = ("ms", f"{ms_count}.{rest:03d}".rstrip("0"))
    return texts


def quote_value(value: object) -> str:
    """The value as a message shows it: JSON-quoted, shortened so a pasted essay stays legible."""
    if not isinstance(value, str):
        return repr(value)
    if len(value) > _QUOTE_LIMIT:
        value = value[:_QUOTE_LIMIT] + "…"
    return json.dumps(value, ensure_ascii=False)


def _invalid(key: str, value: object) -> InvalidIntervalError:
    return InvalidIntervalError(
        f"{key}: {quote_value(value)} is not a duration (examples: 30m, 2h30m, 90s, 0m to disable)",
        key=key,
        value=value,
        expected=EXPECTED_INTERVAL,
    )
