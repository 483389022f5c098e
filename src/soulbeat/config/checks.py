"""Checks of a whole heartbeat config against the rest of the settings, as pure functions.

A single key can be right on its own and still wrong in context: ``target = "pager"`` is a
well-formed channel name, but a target only works when a ``[channels.pager]`` table exists; a
thread whose every beat would call the model and then fail ``delivery-failed`` is better refused
when it is configured. `target_problem` is that refusal, worded like every other one.

`config_warnings` is advice, not refusal: values that work but are probably not what a person
meant (SPEC §9.2: an interval under 30 s is accepted with a warning). The API returns them with
a thread's config, the CLI prints them, ``doctor`` reports them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from soulbeat.config.heartbeat import SHORT_EVERY, TARGET_KEYWORDS, HeartbeatConfig
from soulbeat.config.problems import quote
from soulbeat.config.values import choices_text
from soulbeat.contract.interval import format_interval
from soulbeat.schedule.gates import FLOOD_LIMIT, FLOOD_WINDOW

__all__ = ["config_warnings", "flood_note", "target_problem"]

_DAY = timedelta(days=1)


def target_problem(target: str, channels: Collection[str]) -> str | None:
    """Why ``target`` goes nowhere (the text after ``target: ``), or None when it is a keyword
    or one of the configured ``channels``."""
    if target in TARGET_KEYWORDS or target in channels:
        return None
    if channels:
        expected = choices_text([*TARGET_KEYWORDS, *sorted(channels)])
        return f"{quote(target)} is not a target (expected {expected})"
    return (
        f"{quote(target)} is not a configured channel (expected thread, last or none; "
        f"a channel needs a [channels.{target}] table with its url in the config file)"
    )


def config_warnings(config: HeartbeatConfig) -> list[str]:
    """What in ``config`` works but is probably not meant (module docstring), one line each."""
    warnings: list[str] = []
    interval = config.interval
    if interval is not None and interval < SHORT_EVERY:
        per_day = int(_DAY / interval)
        warnings.append(
            f"every: {quote(config.every)} is under {format_interval(SHORT_EVERY)}: each beat "
            f"may call the model, up to {per_day:,} calls a day per thread (accepted; "
            "30m or more suits most heartbeats)"
        )
    flood = flood_note(interval)
    if flood is not None:
        warnings.append(flood)
    return warnings


def flood_note(interval: timedelta | None) -> str | None:
    """What the flood guard (at most `FLOOD_LIMIT` beat starts in `FLOOD_WINDOW`) does to an
    interval shorter than their ratio: said out loud instead of capping silently (issue 16)."""
    if interval is None:
        return None
    spacing = FLOOD_WINDOW / FLOOD_LIMIT
    if interval >= spacing:
        return None
    return (
        f"every: {quote(format_interval(interval))} is faster than the flood guard allows "
        f"({FLOOD_LIMIT} beat starts in {format_interval(FLOOD_WINDOW)}): beats start at most "
        f"{FLOOD_LIMIT} a minute, about one every {format_interval(spacing)}; the rest are "
        "deferred (recorded as flood)"
    )
