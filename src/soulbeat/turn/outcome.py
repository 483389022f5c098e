"""How a beat ends (SPEC §7.3), as pure functions: dedupe, visibility, indicator and outcome.

Dedupe compares an alert with the thread's last *delivered* alert of the last `DEDUPE_WINDOW`
(24 h): ``exact`` — equal after trimming; ``fuzzy`` — also equal after case-folding, masking
timestamps (dates, times of day, ISO instants) as ``<time>`` and other numbers as ``<n>``, and
collapsing whitespace; ``off`` — never a duplicate.

`alert_skip` says why an alert is not delivered, checked in this order: ``duplicate`` (G2),
``alerts-hidden`` (``visibility.show_alerts`` is off; recorded, with its indicator),
``no-target`` (target ``none``).

`decide_outcome` gives the outcome from what happened, first match wins:

1. an alert or ledger action that was tried and failed → ``failed`` (``delivery-failed`` /
   ``action-failed``, with the receipt's detail as the error);
2. an alert or action executed → ``sent``; else one recorded would-do in dry-run →
   ``would-send`` (SPEC §9.3: nothing left soulbeat, so the beat never claims it sent);
3. an alert not delivered → ``skipped`` with `alert_skip`'s reason;
4. an action the model asked for that was not carried out → ``skipped`` with its status as the
   reason (``rejected``, ``rate-limited``, ``pending-approval``, ``unsupported-until-ledger``);
5. a reply that could not be read as a decision (§9.3: machine text, markup) → ``skipped``
   with reason ``unreadable``;
6. an acknowledgement → ``ok-token``; an empty reply → ``ok-empty``.

``none`` actions are acknowledgements, never "actions carried out".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from soulbeat.actions.executor import ActionResult
from soulbeat.channels.base import Indicator
from soulbeat.config.heartbeat import VisibilityConfig
from soulbeat.turn.reply import ReplyKind

__all__ = [
    "DEDUPE_WINDOW",
    "DedupeMode",
    "Outcome",
    "alert_skip",
    "decide_outcome",
    "dedupe_form",
    "indicator_for",
    "is_duplicate",
]

DEDUPE_WINDOW = timedelta(hours=24)
DedupeMode = Literal["exact", "fuzzy", "off"]

_DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?"
_ZONE = r"(?:z|utc|gmt|[+-]\d{2}:?\d{2})?"
_TIMESTAMP = re.compile(
    rf"(?:(?:{_DATE})(?:[t\s]+(?:{_TIME}))?|{_TIME}){_ZONE}(?![\w])", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Outcome:
    """A beat's outcome, with the skip reason or the failure (short reason and error text)."""

    outcome: str
    skip_reason: str | None = None
    failure: str | None = None
    error: str | None = None


def dedupe_form(text: str, mode: DedupeMode) -> str:
    """The form two alerts are compared in (module docstring)."""
    text = text.strip()
    if mode != "fuzzy":
        return text
    text = _TIMESTAMP.sub("<time>", text.casefold())
    text = _NUMBER.sub("<n>", text)
    return _SPACE.sub(" ", text)


def is_duplicate(text: str, last_alert: str | None, mode: DedupeMode) -> bool:
    """Whether ``text`` repeats the last delivered alert (None: there was none)."""
    if mode == "off" or last_alert is None:
        return False
    return dedupe_form(text, mode) == dedupe_form(last_alert, mode)


def alert_skip(
    text: str,
    *,
    last_alert: str | None,
    dedupe: DedupeMode,
    visibility: VisibilityConfig,
    has_target: bool,
) -> str | None:
    """Why this alert is not to be delivered, or None to deliver it (module docstring)."""
    if is_duplicate(text, last_alert, dedupe):
        return "duplicate"
    if not visibility.show_alerts:
        return "alerts-hidden"
    if not has_target:
        return "no-target"
    return None


def indicator_for(
    status: Literal["ok", "alert", "error"], visibility: VisibilityConfig
) -> Indicator | None:
    """``status`` when ``use_indicator`` is on, else None."""
    return status if visibility.use_indicator else None


def decide_outcome(
    kind: ReplyKind, skipped_alert: str | None, results: Sequence[ActionResult]
) -> Outcome:
    """The outcome of a beat whose model exchange succeeded (module docstring)."""
    acts = [result for result in results if result.type != "none"]
    for result in acts:
        if result.status == "failed":
            failure = "delivery-failed" if result.type == "message" else "action-failed"
            detail = result.receipt.detail if result.receipt is not None else result.detail
            return Outcome("failed", failure=failure, error=f"{failure}: {detail}")
    if any(result.status == "executed" for result in acts):
        return Outcome("sent")
    if any(result.status == "would-do" for result in acts):
        return Outcome("would-send")
    if kind == "alert" and skipped_alert is not None:
        return Outcome("skipped", skip_reason=skipped_alert)
    if kind == "unreadable":
        return Outcome("skipped", skip_reason="unreadable")
    if acts:
        return Outcome("skipped", skip_reason=acts[0].status)
    return Outcome("ok-token" if kind == "ack" else "ok-empty")
