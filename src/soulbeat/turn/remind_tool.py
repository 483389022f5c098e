"""``heartbeat_remind``: the tool the model may call in a beat to schedule its own follow-up
(issue 16), bounded like a person's reminders and then some.

* Offered beside ``heartbeat_respond`` when tools are offered and the thread allows reminders
  (``max_pending_reminders`` > 0). Arguments: ``text`` and ``in`` (an interval such as ``2h``)
  or ``at`` (an ISO time; without an offset, the thread's timezone).
* Bounds: at least ``reminder_min_delay`` (default 5m) ahead — a model cannot keep itself awake
  by reminding itself every second — and at most ``max_pending_reminders`` (default 10) pending
  per thread. A refused call is answered ``rejected`` with the reason, so the model can adjust.
* Once per beat (SPEC §9.4): the call is an effect of the beat; a beat re-run after a crash
  reuses the recorded result instead of storing a second reminder.
* Dry-run beats answer ``would-do`` and store nothing.

The reminder itself is stored by the service (`soulbeat.service.timing.Timing`), reached through
the `ScheduleReminder` callable wiring hands the runner; the turn never imports the service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from soulbeat.actions.executor import ActionResult
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.errors import SoulbeatError
from soulbeat.llm.base import ToolCall, ToolSpec
from soulbeat.turn.effects import BeatEffects, result_from_record
from soulbeat.turn.rounds import ActOnCall

__all__ = ["REMIND_TOOL", "REMIND_TOOL_NAME", "RemindTool", "ScheduleReminder", "remind_tools"]

REMIND_TOOL_NAME = "heartbeat_remind"

REMIND_TOOL = ToolSpec(
    name=REMIND_TOOL_NAME,
    description=(
        "Schedule your own follow-up beat in this thread: a one-shot reminder whose text you "
        "will see as an event then. Give `in` (e.g. 2h) or `at` (ISO time). Use it for things "
        "to check again later, not for routine checks."
    ),
    parameters={
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": 2000, "description": "What to look at then."},
            "in": {"type": "string", "description": "How long from now, e.g. 30m, 2h, 1d."},
            "at": {"type": "string", "description": "When, e.g. 2026-12-08T08:00."},
        },
        "required": ["text"],
        "additionalProperties": False,
    },
)

ScheduleReminder = Callable[[str, str, str | None, str | None], Awaitable[Mapping[str, Any]]]
"""``(thread_id, text, at, in) -> the stored reminder as a view``; raises `SoulbeatError` (a
named `ConfigError`) when refused."""


def remind_tools(config: HeartbeatConfig, offered: bool) -> tuple[ToolSpec, ...]:
    """``(REMIND_TOOL,)`` when tools are offered and the thread allows reminders, else ()."""
    return (REMIND_TOOL,) if offered and config.max_pending_reminders > 0 else ()


@dataclass
class RemindTool:
    """Handles ``heartbeat_remind`` calls of one beat; every other call goes to ``act``."""

    schedule: ScheduleReminder | None
    thread_id: str
    dry_run: bool
    effects: BeatEffects

    def wrap(self, act: ActOnCall) -> ActOnCall:
        async def on_call(call: ToolCall) -> ActionResult | str | None:
            if call.name != REMIND_TOOL_NAME or self.schedule is None:
                return await act(call)
            return await self._remind(call)

        return on_call

    async def _remind(self, call: ToolCall) -> ActionResult:
        ref = self.effects.next("remind")
        kept = self.effects.reuse(ref, "result")
        if kept is not None:  # a re-run of the beat: the reminder was stored by the first run
            return result_from_record(kept)
        result = await self._make(call)
        await self.effects.finish(ref, {"result": result.as_record()})
        return result

    async def _make(self, call: ToolCall) -> ActionResult:
        args = dict(call.arguments)
        if call.problem is not None:
            return ActionResult("remind", "rejected", args, detail=call.problem)
        text, at, after = args.get("text"), args.get("at"), args.get("in")
        texts = all(v is None or isinstance(v, str) for v in (at, after))
        if not isinstance(text, str) or not texts:
            detail = "text, at and in must be text (e.g. text='check the deploy', in='2h')"
            return ActionResult("remind", "rejected", args, detail=detail)
        if self.dry_run:
            return ActionResult("remind", "would-do", args, detail="dry run: nothing stored")
        assert self.schedule is not None
        try:
            stored = await self.schedule(self.thread_id, text, at, after)
        except SoulbeatError as error:
            return ActionResult("remind", "rejected", args, detail=str(error))
        detail = f"reminder {stored.get('id')} at {stored.get('due_at')}"
        return ActionResult("remind", "executed", dict(stored), detail=detail)
