"""Configuration problems: one wording for every refusal, and one error that carries them all.

Every refusal reads ``key: value is <what> (expected <form>)``, for example
``target: "Foo Bar" is not a target (expected thread, last, none or a channel name)``. Keys are
dotted paths (``active_hours.timezone``, ``actions.limits.post[0].per``); values are quoted the
way ``soulbeat.contract.interval`` quotes them (JSON for text, ``repr`` for the rest, long values
shortened).

`InvalidConfigError` is the single error a caller sees: it names the source (a file, the
environment, a layer) and lists every problem found, both in its message and as ``problems``.
`problems_from_validation_error` turns a pydantic ``ValidationError`` into that list, reusing the
wording of the `ConfigError` a validator raised and prefixing the path pydantic knows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from soulbeat.errors import ConfigError

__all__ = [
    "InvalidConfigError",
    "Problem",
    "config_error",
    "problem_from_error",
    "problems_from_validation_error",
    "quote",
]

_MAX_QUOTED = 80


def quote(value: object) -> str:
    """A value as it appears in a message: JSON for text, ``repr`` otherwise, at most ~80 chars."""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
    if len(text) > _MAX_QUOTED:
        return text[: _MAX_QUOTED - 1] + "…"
    return text


def config_error(key: str, value: object, what: str, expected: str) -> ConfigError:
    """A `ConfigError` worded ``key: value is <what> (expected <expected>)``."""
    return ConfigError(
        f"{key}: {quote(value)} {what} (expected {expected})",
        key=key,
        value=value,
        expected=expected,
    )


@dataclass(frozen=True)
class Problem:
    """One refusal: ``key`` is a dotted path, ``detail`` the rest of the line after ``key: ``;
    ``value`` and ``expected`` repeat the refused value and expected form when known."""

    key: str
    detail: str
    value: object = field(default=None, compare=False)
    expected: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.key}: {self.detail}" if self.key else self.detail

    def under(self, prefix: str) -> Problem:
        """The same problem with ``prefix`` put in front of its key."""
        if not prefix:
            return self
        return replace(self, key=_join(prefix, self.key))


class InvalidConfigError(ConfigError):
    """One or more configuration problems found in one source; nothing of that source applies.

    ``source`` names where the values came from (``soulbeat.toml``, ``environment``,
    ``thread``); ``issues`` are the structured problems and ``problems`` their text, one line each
    (``key: value is ... (expected ...)``). ``key``, ``value`` and ``expected`` of `ConfigError`
    describe the first problem.
    """

    def __init__(self, source: str, issues: Sequence[Problem]) -> None:
        self.source = source
        self.issues: tuple[Problem, ...] = tuple(issues)
        self.problems: list[str] = [str(issue) for issue in self.issues]
        first = self.issues[0] if self.issues else Problem("", "")
        super().__init__(
            _render(source, self.problems),
            key=first.key or None,
            value=first.value,
            expected=first.expected,
        )


def problem_from_error(error: ConfigError, *, prefix: str = "") -> list[Problem]:
    """The problems a `ConfigError` stands for, with ``prefix`` put in front of their keys."""
    if isinstance(error, InvalidConfigError):
        return [issue.under(prefix) for issue in error.issues]
    message = str(error)
    key = error.key or ""
    head = f"{key}: "
    detail = message[len(head) :] if key and message.startswith(head) else message
    return [Problem(_join(prefix, key), detail, error.value, error.expected)]


def problems_from_validation_error(error: ValidationError, *, prefix: str = "") -> list[Problem]:
    """Pydantic's errors as `Problem` rows.

    A `ConfigError` raised by a validator keeps its wording; its key (relative to the model or
    field that raised it) is placed under the location pydantic reports. Anything else pydantic
    itself refused is worded ``value is not accepted here (<pydantic's message>)``.
    """
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if isinstance(part, str | int)]
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, ConfigError):
            problems.extend(problem_from_error(cause, prefix=_join(prefix, _place(loc, cause))))
            continue
        key = _join(prefix, _dotted(loc))
        if item["type"] == "extra_forbidden":
            problems.append(Problem(key, "is not a known key", item.get("input")))
        elif isinstance(cause, ValueError):
            problems.append(Problem(key, str(cause), item.get("input")))
        else:
            detail = f"{quote(item.get('input'))} is not accepted here ({item['msg']})"
            problems.append(Problem(key, detail, item.get("input")))
    return problems


def _place(loc: list[str | int], cause: ConfigError) -> str:
    """The path a validator's error key hangs under: its field's parent, or the model itself."""
    if not loc:
        return ""
    head = (cause.key or "").split(".")[0].split("[")[0]
    if isinstance(loc[-1], str) and head == loc[-1]:
        return _dotted(loc[:-1])
    return _dotted(loc)


def _dotted(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text = f"{text}[{part}]" if isinstance(part, int) else _join(text, part)
    return text


def _join(prefix: str, key: str) -> str:
    if not prefix:
        return key
    if not key:
        return prefix
    return f"{prefix}{key}" if key.startswith("[") else f"{prefix}.{key}"


def _render(source: str, problems: Sequence[str]) -> str:
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    lines = "".join(f"\n  - {line}" for line in problems)
    return f"{source}: {len(problems)} problems:{lines}"
