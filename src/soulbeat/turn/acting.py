"""`Acting`: carries out what one beat's reply asks for, and keeps every action's result.

* An action-tool call (during the rounds): read (`action_from_call`), then executed. A call
  whose arguments cannot be read is a ``rejected`` result with the reader's problems; a call to
  a tool that is no action tool answers None (the exchange refuses it).
* The actions written in the reply (tier 2, every one, in order): executed; one that cannot be
  read is ``rejected``. A ``none`` action is recorded as an acknowledgement. An unreadable reply
  (§9.3) does nothing.
* An alert: checked first (`alert_skip`: duplicate of the thread's last delivered alert within
  24 h, hidden by ``show_alerts``, no target). When it goes, its reasoning goes before it
  (``include_reasoning``; only when the executor will take the message, so reasoning never
  arrives without its alert), then the alert as a ``message`` action through the executor. In
  dry-run the message is ``would-do`` and a ``would-do`` delivery records where it would have
  gone.
* An acknowledgement (or an empty reply): the literal ``HEARTBEAT_OK`` when ``show_ok``.

Every action is published (``action.proposed``, then its result's event) and kept in
`results`, in the order it happened.

With the beat's `BeatEffects`, each action and each delivery that is not an action (reasoning,
``HEARTBEAT_OK``) is an effect, numbered in the order it comes (SPEC §9.4): an action whose
result an earlier attempt of the beat recorded is not carried out again, its recorded result is
used; otherwise it is carried out with its `EffectRef` on the context (a message's delivery
carries it to the channel) and its result is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from soulbeat.actions.executor import ActionContext, ActionExecutor, ActionResult
from soulbeat.actions.models import (
    Action,
    MessageAction,
    Problem,
    action_type,
    errors_in,
)
from soulbeat.actions.validate import validate_action
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.events.models import EventSink
from soulbeat.llm.base import ToolCall
from soulbeat.store.records import EffectRef
from soulbeat.turn.delivery import Deliverer
from soulbeat.turn.effects import BeatEffects, result_from_record
from soulbeat.turn.outcome import alert_skip, indicator_for
from soulbeat.turn.publish import publish_proposed, publish_result
from soulbeat.turn.reply import JsonAction, Reading
from soulbeat.turn.tools import action_from_call, tool_action_type

__all__ = ["OK_TEXT", "Acting"]

OK_TEXT = "HEARTBEAT_OK"
"""What ``show_ok`` delivers on an acknowledgement."""


class Acting:
    """The actions and deliveries of one beat (module docstring)."""

    def __init__(
        self,
        executor: ActionExecutor,
        ctx: ActionContext,
        deliverer: Deliverer,
        config: HeartbeatConfig,
        events: EventSink | None,
        effects: BeatEffects | None = None,
    ) -> None:
        self._executor, self._ctx, self._deliverer = executor, ctx, deliverer
        self._config = config
        self._events = events
        self._effects = effects
        self.results: list[ActionResult] = []

    async def on_tool_call(self, call: ToolCall) -> ActionResult | None:
        """Run one action-tool call; None for a tool that is no action tool."""
        kind = tool_action_type(call.name)
        if kind is None:
            return None
        action, problems = action_from_call(call)
        if action is None:
            return self._record(ActionResult.unreadable(kind, call.arguments, problems))
        return await self._perform(action, problems)

    async def carry_out(self, reading: Reading, last_alert: str | None) -> str | None:
        """Do what the reading asks; returns why its alert was not delivered, if it was not.

        Every action written in the reply is carried out, in order (a ``none`` is recorded as an
        acknowledgement), then the alert goes, or ``HEARTBEAT_OK`` for an acknowledgement. An
        unreadable reply does nothing at all."""
        if reading.kind == "unreadable":
            return None
        for found in reading.json_actions:
            await self._json_action(found)
        if reading.kind == "alert":
            return await self._alert(reading, last_alert)
        if reading.kind != "action":
            await self._show_ok()
        return None

    async def _json_action(self, found: JsonAction) -> None:
        if found.action is not None:
            await self._perform(found.action, found.problems)
            return
        written = found.written
        kind = str(written.get("action") or written.get("type") or written.get("tool") or "unknown")
        self._record(ActionResult.unreadable(kind, written, found.problems))

    async def _alert(self, reading: Reading, last_alert: str | None) -> str | None:
        config = self._config
        skip = alert_skip(
            reading.text,
            last_alert=last_alert,
            dedupe=config.dedupe,
            visibility=config.visibility,
            has_target=self._deliverer.route.delivers,
        )
        if skip is not None:
            return skip
        action = MessageAction(reading.text)
        indicator = indicator_for("alert", config.visibility)
        if config.include_reasoning and reading.reasoning and self._will_take(action):
            text = f"Reasoning:\n{reading.reasoning}"
            await self._deliverer.send("reasoning", text, indicator, self._next("reasoning"))
        problems = reading.alert_source.problems if reading.alert_source else ()
        result = await self._perform(action, problems)
        if result.status == "would-do":
            await self._deliverer.send("alert", reading.text, indicator)
        return None

    async def _show_ok(self) -> None:
        visibility = self._config.visibility
        if visibility.show_ok and self._deliverer.route.delivers:
            ok = indicator_for("ok", visibility)
            await self._deliverer.send("ok", OK_TEXT, ok, self._next("ok"))

    def _will_take(self, action: Action) -> bool:
        """Whether the executor will carry this message out (valid, allowed, no approval)."""
        problems = validate_action(action, allowed=self._ctx.allowed)
        return not errors_in(problems) and "message" not in self._ctx.requires_approval

    async def _perform(self, action: Action, problems: Sequence[Problem]) -> ActionResult:
        publish_proposed(self._events, self._ctx, action)
        ref = self._next(action_type(action))
        if ref is None or self._effects is None:
            return self._record(await self._executor.execute(action, self._ctx, tuple(problems)))
        kept = self._effects.reuse(ref, "result")
        if kept is not None:  # an earlier attempt of this beat carried it out
            self._deliverer.recall(ref, indicator_for("alert", self._config.visibility))
            return self._record(result_from_record(kept))
        result = await self._executor.execute(action, self._with_effect(ref), tuple(problems))
        if result.status != "failed":  # a failed action is not done: a re-run tries it again
            await self._effects.finish(ref, {"result": result.as_record()})
        return self._record(result)

    def _next(self, kind: str) -> EffectRef | None:
        return None if self._effects is None else self._effects.next(kind)

    def _with_effect(self, ref: EffectRef) -> ActionContext:
        """The context of one action: its effect, and a delivery that carries it."""
        deliver = self._ctx.deliver
        if deliver is not None:
            indicator = indicator_for("alert", self._config.visibility)
            deliver = self._deliverer.sender(indicator, ref)
        return replace(self._ctx, deliver=deliver, effect=ref)

    def _record(self, result: ActionResult) -> ActionResult:
        self.results.append(result)
        publish_result(self._events, self._ctx, result)
        return result
