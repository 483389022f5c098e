"""The ``action.*`` events of a beat (SPEC §7.5).

Every action the model asks for is published twice: ``action.proposed`` when it has been read,
then one event for how it ended:

==========================  ==========================
``executed``                ``action.executed``
``would-do``                ``action.would_do``
``pending-approval``        ``action.pending_approval``
``rate-limited``            ``action.rate_limited``
``rejected``                ``action.rejected``
``unsupported-until-ledger``  ``action.rejected``
``failed``                  ``action.rejected``
==========================  ==========================

The data always carries ``status``, so a listener can tell the last three apart. A sink that
fails is logged; the beat goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from soulbeat.actions.executor import ActionContext, ActionResult
from soulbeat.actions.models import Action, action_type, to_dict
from soulbeat.events.models import EventSink

__all__ = ["RESULT_EVENTS", "publish_proposed", "publish_result"]

log = logging.getLogger(__name__)

RESULT_EVENTS: Mapping[str, str] = {
    "executed": "action.executed",
    "would-do": "action.would_do",
    "pending-approval": "action.pending_approval",
    "rate-limited": "action.rate_limited",
    "rejected": "action.rejected",
    "unsupported-until-ledger": "action.unsupported",
    "failed": "action.failed",
}


def publish_proposed(events: EventSink | None, ctx: ActionContext, action: Action) -> None:
    """``action.proposed`` for an action that was read and is about to be carried out."""
    data = {"type": action_type(action), "action": to_dict(action)}
    _publish(events, "action.proposed", ctx, data)


def publish_result(events: EventSink | None, ctx: ActionContext, result: ActionResult) -> None:
    """The event of how an action ended (module docstring)."""
    _publish(events, RESULT_EVENTS[result.status], ctx, result.as_record())


def _publish(
    events: EventSink | None, name: str, ctx: ActionContext, data: Mapping[str, Any]
) -> None:
    if events is None:
        return
    payload = {
        "thread_id": ctx.thread_id,
        "beat_id": ctx.beat_id,
        "skill": ctx.skill,
        "dry_run": ctx.dry_run,
        **data,
    }
    try:
        events.publish(name, payload)
    except Exception:
        log.exception("%s could not be published for beat %s", name, ctx.beat_id)
