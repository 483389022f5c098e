"""The ``actions`` part of a heartbeat config (SPEC §7.1): what a beat may do, and how often.

Shape (TOML shown; JSON and YAML the same)::

    [heartbeat.actions]
    allowed = ["message", "none"]          # default: message and none
    requires_approval = ["post"]           # default: nothing waits for approval
    [heartbeat.actions.limits]
    post = "1/30m"                         # at most 1 post per 30 minutes
    comment = ["1/20s", "50/1d"]           # every limit in the list applies
    vote = { max = 60, per = "1h" }        # the long form of "60/1h"
    message = []                           # an empty list: no limit

* ``allowed`` defaults to ``message`` and ``none``: a beat may alert its delivery target or do
  nothing, but posting, commenting and voting on the ledger act in public on the agent's behalf,
  so they are opt-in. Widen it per agent, thread or skill.
* ``limits`` maps an action type (``post``, ``comment``, ``vote``, ``message``) to a list of
  rolling-window limits ``max`` per ``per`` (an interval, SPEC §3.1, that must be positive). A
  type not named keeps its default (SPEC §7.1: 1 post per 30 min; 1 comment per 20 s and 50 a
  day; 60 votes an hour; messages unlimited), so naming one type never drops another's limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from soulbeat.config.problems import config_error
from soulbeat.config.values import check_int, check_interval, choices_text
from soulbeat.contract.interval import parse_interval

__all__ = [
    "ACTION_TYPES",
    "DEFAULT_ALLOWED_ACTIONS",
    "DEFAULT_RATE_LIMITS",
    "LIMITED_ACTION_TYPES",
    "PERSON_RATE_LIMITS",
    "ActionType",
    "ActionsConfig",
    "RateLimit",
]

ActionType = Literal["post", "comment", "vote", "message", "none"]
LimitedActionType = Literal["post", "comment", "vote", "message"]

ACTION_TYPES: tuple[str, ...] = get_args(ActionType)
#: the action types that can be limited or wait for approval (``none`` does nothing)
LIMITED_ACTION_TYPES: tuple[str, ...] = get_args(LimitedActionType)
DEFAULT_ALLOWED_ACTIONS: tuple[ActionType, ...] = ("message", "none")

_SHORT_LIMIT = re.compile(r"\s*([0-9]+)\s*/\s*(\S+)\s*")
_LIMIT_FORM = 'a limit such as "1/30m" or {max = 1, per = "30m"}'


class RateLimit(BaseModel):
    """At most ``max`` actions of one type in any rolling window of ``per``.

    Accepts the long form ``{max: 1, per: "30m"}`` or the short text ``"1/30m"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max: int
    per: str

    @field_validator("max", mode="before")
    @classmethod
    def _check_max(cls, value: object) -> int:
        return check_int("max", value, minimum=1, example=1)

    @field_validator("per", mode="before")
    @classmethod
    def _check_per(cls, value: object) -> str:
        return check_interval("per", value, positive=True)

    @classmethod
    def parse(cls, value: object, *, key: str) -> RateLimit:
        """One limit from either form; raises `ConfigError` naming ``key``."""
        if isinstance(value, RateLimit):
            return value
        if isinstance(value, str):
            match = _SHORT_LIMIT.fullmatch(value)
            if match is None:
                raise config_error(key, value, "is not a rate limit", _LIMIT_FORM)
            count, per = int(match.group(1)), match.group(2)
        elif isinstance(value, Mapping):
            unknown = sorted(str(k) for k in value if k not in ("max", "per"))
            if unknown or "max" not in value or "per" not in value:
                raise config_error(key, value, "is not a rate limit", _LIMIT_FORM)
            count, per = value["max"], value["per"]
        else:
            raise config_error(key, value, "is not a rate limit", _LIMIT_FORM)
        return cls(
            max=check_int(f"{key}.max", count, minimum=1, example=1),
            per=check_interval(f"{key}.per", per, positive=True),
        )

    @property
    def window(self) -> timedelta:
        """``per`` as a duration (always positive)."""
        window = parse_interval(self.per)
        assert window is not None  # checked positive when built
        return window

    def __str__(self) -> str:
        return f"{self.max}/{self.per}"


def _limits(*texts: str) -> tuple[RateLimit, ...]:
    return tuple(RateLimit.parse(text, key="limits") for text in texts)


#: SPEC §7.1's defaults; ``message`` has none
DEFAULT_RATE_LIMITS: Mapping[str, tuple[RateLimit, ...]] = {
    "post": _limits("1/30m"),
    "comment": _limits("1/20s", "50/1d"),
    "vote": _limits("60/1h"),
    "message": (),
}


#: a person's own writes on the built-in board (panel, CLI, API as a person): a net against a
#: runaway script, not Moltbook's limits for agents — so a person can try the seed's examples by
#: hand (three posts for the daily summary) without waiting half an hour between posts
PERSON_RATE_LIMITS: Mapping[str, tuple[RateLimit, ...]] = {
    "post": _limits("10/1m"),
    "comment": _limits("30/1m"),
    "vote": _limits("120/1m"),
    "message": (),
}


class ActionsConfig(BaseModel):
    """Allowed action types, the ones that wait for a person's approval, and rate limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: tuple[ActionType, ...] = DEFAULT_ALLOWED_ACTIONS
    requires_approval: tuple[LimitedActionType, ...] = ()
    limits: dict[LimitedActionType, tuple[RateLimit, ...]] = Field(
        default_factory=lambda: cast(
            dict[LimitedActionType, tuple[RateLimit, ...]], dict(DEFAULT_RATE_LIMITS)
        )
    )

    @field_validator("allowed", "requires_approval", mode="before")
    @classmethod
    def _check_types(cls, value: object, info: ValidationInfo) -> tuple[str, ...]:
        key = str(info.field_name)
        choices = ACTION_TYPES if key == "allowed" else LIMITED_ACTION_TYPES
        if not isinstance(value, list | tuple):
            raise config_error(key, value, "is not a list of action types", choices_text(choices))
        seen: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or item not in choices:
                raise config_error(
                    f"{key}[{index}]", item, "is not an action type", choices_text(choices)
                )
            if item not in seen:
                seen.append(item)
        return tuple(seen)

    @field_validator("limits", mode="before")
    @classmethod
    def _check_limits(cls, value: object) -> dict[str, tuple[RateLimit, ...]]:
        if not isinstance(value, Mapping):
            raise config_error(
                "limits", value, "is not a table of limits", f"action type = {_LIMIT_FORM}"
            )
        merged: dict[str, tuple[RateLimit, ...]] = dict(DEFAULT_RATE_LIMITS)
        for action, entries in value.items():
            key = f"limits.{action}"
            if not isinstance(action, str) or action not in LIMITED_ACTION_TYPES:
                raise config_error(
                    key, action, "is not an action type", choices_text(LIMITED_ACTION_TYPES)
                )
            if isinstance(entries, list | tuple):
                merged[action] = tuple(
                    RateLimit.parse(item, key=f"{key}[{index}]")
                    for index, item in enumerate(entries)
                )
            else:
                merged[action] = (RateLimit.parse(entries, key=key),)
        return merged

    def limits_for(self, action: str) -> tuple[RateLimit, ...]:
        """The limits on ``action`` (empty when it has none)."""
        return self.limits.get(cast(LimitedActionType, action), ())

    def as_plain(self) -> dict[str, Any]:
        """JSON-ready form with limits in the short ``"1/30m"`` text."""
        return {
            "allowed": list(self.allowed),
            "requires_approval": list(self.requires_approval),
            "limits": {action: [str(lim) for lim in lims] for action, lims in self.limits.items()},
        }
