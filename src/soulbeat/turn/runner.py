"""`TurnRunner`: the real `BeatRunner` — one beat's turn, from prompt to outcome (SPEC §5, §7).

A beat that passed the scheduler's guards runs like this:

1. **prepare** (`prepare_beat`): thread, workspace, effective config (a skill's over the
   thread's), the instructions due now, the user's zone, the end of the last beat.
2. **context** (`gather_context`) and **prompt** (`build_prompt`, in the prompt profile of
   `soulbeat.turn.profile`: ``full`` or ``compact``, ``auto`` by the model's context window);
   bootstrap truncation warnings go on the audit record.
3. **model** (`exchange`): the provider is asked with the thread's ``model`` (trimmed; else
   ``default_model``), ``temperature`` and ``max_tokens``, in the beat's decision mode
   (`soulbeat.turn.modes`: the tools of `tools_for` — none when ``max_tool_calls`` is 0 —, or
   the decision schema as structured output, or plain text) and the time the plan's timeout
   leaves. Action-tool calls are run as
   they come (validated and executed, or recorded would-do), within ``max_tool_calls`` and the
   repeated-call breaker; in ``schema`` mode the decision's ``calls`` reach the same tools
   (`soulbeat.turn.schema_calls`).
4. **reading** (`read_reply`): tier 1, 2 or 3; reasoning split off. A ``tools``-mode reply of
   plain prose is asked about once before it counts as an alert (`soulbeat.turn.confirm`).
5. **acting**: a tier-2 action goes to the executor; an alert is checked (`alert_skip`:
   duplicate, hidden, no target), then its reasoning (``include_reasoning``) and the alert itself,
   a ``message`` action, go out through the executor and the route; an ack sends the literal
   ``HEARTBEAT_OK`` when ``show_ok``. Every action result is published (``action.proposed``, then
   ``action.<status>``) and recorded.
6. **outcome** (`decide_outcome`), indicator, and — unless the beat failed — the queued events
   it showed are consumed.

Effects happen once per slot (SPEC §9.4): every model answer is recorded before the turn acts
on it (`RecordedModel`), and every action and delivery is a numbered, recorded effect
(`BeatEffects`). A beat re-claimed after its worker died — same key, next attempt — replays the
recorded answers instead of asking the model again and makes only the effects without a record;
the audit's ``resumed`` says what was replayed, reused and retried.

`run` returns a `BeatResult` whose ``alert_text`` is set only when an alert was delivered (so
dedupe compares with what the person actually got). A `ProviderError` ends the beat ``failed``
with ``error`` = its message and ``audit["failure"]`` = its reason; it never leaves `run`. Other
exceptions (a thread deleted mid-beat, a broken store) propagate: the scheduler records them.
The runner never finishes the beat in the store and never writes the transcript itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from soulbeat.actions.executor import (
    ActionContext,
    ActionExecutor,
    ActionResult,
)
from soulbeat.agents.registry import AgentRegistry
from soulbeat.channels.base import Channel, Indicator
from soulbeat.channels.thread import ThreadChannel
from soulbeat.clock import Clock
from soulbeat.config.heartbeat import HeartbeatConfig
from soulbeat.events.models import EventSink
from soulbeat.llm.base import ChatRequest, LLMProvider, ToolCall, ToolSpec
from soulbeat.schedule.plan import BeatPlan
from soulbeat.store.base import BeatStore
from soulbeat.store.records import BeatResult, Claim
from soulbeat.tools.assemble import BeatKit, ToolKit, assemble_beat_tools
from soulbeat.turn.acting import Acting
from soulbeat.turn.audit import BeatAudit
from soulbeat.turn.confirm import confirm_alert, confirm_how, needs_confirmation
from soulbeat.turn.context import ContextScope, ContextSource, TurnContext, gather_context
from soulbeat.turn.decisions import RecordedModel
from soulbeat.turn.delivery import Deliverer, resolve_route
from soulbeat.turn.effects import BeatEffects
from soulbeat.turn.memory_step import memory_sections, settle_memory
from soulbeat.turn.modes import DecisionMode, DecisionModes
from soulbeat.turn.offer import callable_tools, offered_schema, offered_tools
from soulbeat.turn.outcome import DEDUPE_WINDOW, Outcome, decide_outcome, indicator_for
from soulbeat.turn.prepare import BeatSetup, prepare_beat
from soulbeat.turn.profile import PromptProfile, PromptProfiles
from soulbeat.turn.prompt import Prompt, PromptSection, build_prompt, current_time_line
from soulbeat.turn.remind_tool import RemindTool, ScheduleReminder
from soulbeat.turn.reply import Reading, read_reply
from soulbeat.turn.rounds import ActOnCall, Exchange, exchange
from soulbeat.turn.schema_calls import SchemaCalls, calls_section
from soulbeat.workspace.digest import workspace_digest

__all__ = ["TurnRunner"]

_MIN_ROUND_SECONDS = 1.0


@dataclass
class _Beat:
    """One beat in progress: what it was given and what it has done so far."""

    claim: Claim
    plan: BeatPlan
    started_at: datetime
    setup: BeatSetup
    audit: BeatAudit
    deliverer: Deliverer
    acting: Acting
    effects: BeatEffects
    model: RecordedModel | None = None
    kit: BeatKit | None = None
    """Issue 15: the beat's memory and extra tools (None without a `ToolKit`)."""
    request: ChatRequest | None = None
    """The first round's request, once asked."""

    @property
    def config(self) -> HeartbeatConfig:
        return self.setup.effective.config


class TurnRunner:
    """Runs the turn of one beat (module docstring); implements `BeatRunner`.

    ``channels`` are the configured webhook channels by name (a ``target`` may name one);
    ``thread_channel`` delivers into the thread (default: a `ThreadChannel` over ``store``);
    ``executor`` carries out actions (what `soulbeat.wiring` builds: the `GovernedExecutor`);
    ``context_sources`` add context blocks after the built-in ones (the ledger's posts).
    """

    def __init__(
        self,
        store: BeatStore,
        registry: AgentRegistry,
        provider: LLMProvider,
        clock: Clock,
        *,
        default_model: str,
        events: EventSink | None = None,
        channels: Mapping[str, Channel] | None = None,
        thread_channel: Channel | None = None,
        executor: ActionExecutor,
        context_sources: Sequence[ContextSource] = (),
        decision_modes: DecisionModes | None = None,
        tool_kit: ToolKit | None = None,
        prompt_profiles: PromptProfiles | None = None,
        reminders: ScheduleReminder | None = None,
    ) -> None:
        self._store, self._registry, self._provider, self._clock = store, registry, provider, clock
        self._default_model = default_model.strip()
        self._events = events
        self._channels = dict(channels or {})
        self._thread_channel = thread_channel or ThreadChannel(store, clock, events)
        self._executor = executor
        self._sources = tuple(context_sources)
        self._modes = decision_modes or DecisionModes()
        self._kit = tool_kit
        self._profiles = prompt_profiles or PromptProfiles()
        self._reminders = reminders
        """Stores a reminder the model asks for with `heartbeat_remind` (issue 16)."""

    async def run(self, claim: Claim, plan: BeatPlan, *, started_at: datetime) -> BeatResult:
        beat = await self._begin(claim, plan, started_at)
        try:
            return await self._run(beat)
        finally:
            if beat.kit is not None:
                await beat.kit.tools.aclose()

    async def _run(self, beat: _Beat) -> BeatResult:
        claim = beat.claim
        context = await self._context(beat)
        mode = await self._decision_mode(beat)
        profile = await self._prompt_profile(beat)
        prompt = self._prompt(beat, context, mode, profile)
        done = await self._ask(beat, prompt, mode)
        beat.audit.exchange = done
        if done.error is not None:
            failure = Outcome("failed", failure=done.error.reason, error=str(done.error))
            return self._finish(beat, failure, done)
        reading = read_reply(
            done.payloads, ack_max_chars=beat.config.ack_max_chars, echo=prompt.echo_source
        )
        if needs_confirmation(reading, mode):  # issue 14: prose is asked about, not delivered
            reading = await self._confirm(beat, reading, done)
            if done.error is not None:
                failure = Outcome("failed", failure=done.error.reason, error=str(done.error))
                return self._finish(beat, failure, done)
        beat.audit.reading = reading
        last_alert = None
        if reading.kind == "alert":
            since = self._clock.now() - DEDUPE_WINDOW
            last_alert = await self._store.last_alert(claim.thread_id, since)
        skipped = await beat.acting.carry_out(reading, last_alert)
        if beat.kit is not None:
            beat.audit.extra |= await settle_memory(
                beat.kit,
                done,
                reading,
                workspace=beat.setup.workspace,
                skill=claim.skill,
                due_tasks=tuple(beat.plan.due_tasks),
                prompt=beat.audit.prompt,
            )
        outcome = decide_outcome(reading.kind, skipped, beat.acting.results)
        if outcome.outcome != "failed" and context.event_ids:
            await self._store.consume_events(context.event_ids, self._clock.now())
            beat.audit.events_consumed = list(context.event_ids)
        return self._finish(beat, outcome, done)

    # -- steps ------------------------------------------------------------------------------------
    async def _begin(self, claim: Claim, plan: BeatPlan, started_at: datetime) -> _Beat:
        setup = await prepare_beat(self._store, self._registry, claim, plan.due_tasks)
        config = setup.effective.config
        audit = BeatAudit(claim, started_at, agent=setup.thread.agent_id)
        audit.set_config(setup.effective)
        audit.instructions = setup.instructions.as_record()
        audit.set_warnings(setup.workspace.bootstrap.warnings)
        audit.extra["workspace_digest"] = workspace_digest(setup.workspace)  # the unchanged guard
        route = resolve_route(
            config.target, config.to, setup.thread, self._channels, self._thread_channel
        )
        effects = await BeatEffects.load(self._store, self._clock, claim.key)
        deliverer = Deliverer(
            route,
            thread_id=claim.thread_id,
            beat_id=claim.beat_id,
            agent_id=setup.thread.agent_id,
            dry_run=config.dry_run,
            events=self._events,
            effects=effects,
        )
        alert = indicator_for("alert", config.visibility)
        ctx = ActionContext(
            thread_id=claim.thread_id,
            agent_id=setup.thread.agent_id,
            beat_id=claim.beat_id,
            skill=claim.skill,
            allowed=tuple(config.actions.allowed),
            requires_approval=tuple(config.actions.requires_approval),
            dry_run=config.dry_run,
            deliver=deliverer.sender(alert) if route.delivers else None,
        )
        acting = Acting(self._executor, ctx, deliverer, config, self._events, effects)
        beat = _Beat(claim, plan, started_at, setup, audit, deliverer, acting, effects)
        if self._kit is not None:
            may_offer = config.max_tool_calls > 0 and config.decision_mode in ("tools", "auto")
            kit = self._kit if may_offer else replace(self._kit, hub=None)  # no MCP unused
            beat.kit = await assemble_beat_tools(
                kit,
                self._store,
                self._clock,
                self._events,
                claim=claim,
                thread=setup.thread,
                config=config,
                workspace=self._registry.workspace_path(setup.thread.agent_id),
                zone=setup.zone,
                zone_name=setup.zone_name,
                effects=effects,
            )
        return beat

    async def _context(self, beat: _Beat) -> TurnContext:
        setup = beat.setup
        scope = ContextScope(
            setup.thread, beat.claim.skill, beat.config.context, setup.since, self._clock.now()
        )
        context = await gather_context(self._store, scope, setup.workspace.bootstrap, self._sources)
        beat.audit.context = {
            "mode": context.mode,
            "since": setup.since.isoformat() if setup.since else None,
            "messages": context.message_count,
            "events": list(context.event_ids),
            "blocks": [block.source for block in context.blocks],
            "system_files": [block.title for block in context.system_files],
        }
        return context

    async def _decision_mode(self, beat: _Beat) -> DecisionMode:
        model = (beat.config.model or self._default_model).strip()
        mcp = beat.kit is not None and beat.kit.tools.reaches_outside  # only tool calls reach MCP
        configured = beat.config.decision_mode
        mode = await self._modes.resolve(self._provider, model, configured, needs_tools=mcp)
        beat.audit.decision_mode = mode
        return mode

    async def _prompt_profile(self, beat: _Beat) -> PromptProfile:
        model = (beat.config.model or self._default_model).strip()
        config = beat.config
        profile, window = await self._profiles.resolve(
            self._provider, model, config.prompt_profile, config.context_tokens
        )
        beat.audit.context_window = window.as_record() if window else None
        return profile

    def _prompt(
        self, beat: _Beat, context: TurnContext, mode: DecisionMode, profile: PromptProfile
    ) -> Prompt:
        setup, config = beat.setup, beat.config
        time_line = current_time_line(self._clock.now(), setup.zone, setup.zone_name)
        prompt = build_prompt(
            prompt=config.effective_prompt,
            instructions=setup.instructions.block,
            context=context,
            soul=setup.workspace.soul.soul,
            time_line=time_line,
            tools_offered=config.max_tool_calls > 0 and mode == "tools",
            mode=mode,
            profile=profile,
            sections=self._sections(beat, mode, profile),
        )
        beat.audit.set_prompt(prompt)
        return prompt

    def _sections(
        self, beat: _Beat, mode: DecisionMode, profile: PromptProfile
    ) -> tuple[PromptSection, ...]:
        """Issue 15: the memory lines, when the beat has memory and tools; issue 14: in
        ``schema`` mode, the tools its decision may call."""
        callable_tools = self._extra_tools(beat, mode)
        sections: tuple[PromptSection, ...] = ()
        if beat.kit is not None:
            tools = bool(callable_tools) and mode in ("tools", "schema")
            due = bool(beat.plan.due_tasks)
            sections = memory_sections(beat.kit, tasks_due=due, tools=tools)
        if mode == "schema" and callable_tools:
            sections = (*sections, calls_section(callable_tools, profile))
        return sections

    def _extra_tools(self, beat: _Beat, mode: DecisionMode) -> tuple[ToolSpec, ...]:
        """Issue 15/16: what the beat may call besides the decision (`callable_tools`)."""
        kit = beat.kit.tools.specs if beat.kit is not None else ()
        return callable_tools(beat.config, mode, reminders=self._reminders is not None, kit=kit)

    async def _ask(self, beat: _Beat, prompt: Prompt, mode: DecisionMode) -> Exchange:
        config = beat.config
        model = (config.model or self._default_model).strip()
        beat.audit.model = model
        beat.audit.provider = {"name": self._provider.name, "url": self._provider.base_url}
        offer = config.max_tool_calls > 0 and mode == "tools"
        extra = self._extra_tools(beat, mode)
        sized = {"scratch": beat.kit is not None, "tasks": bool(beat.plan.due_tasks)}
        allowed, profile = config.actions.allowed, prompt.profile
        tools = offered_tools(allowed, profile, extra=extra, **sized) if offer else ()
        schema = None
        if mode == "schema":
            schema = offered_schema(allowed, profile, calls=extra, **sized)
        written = SchemaCalls([t.name for t in extra]) if mode == "schema" and extra else None
        request = ChatRequest(
            prompt.messages,
            model,
            tools,
            config.temperature,
            config.max_tokens,
            origin=beat.claim.thread_id,  # the breaker tells a thread's failure from the server's
            response_schema=schema,
        )
        beat.audit.set_request(request)
        beat.request = request
        deadline = beat.started_at + beat.plan.timeout

        def remaining() -> float:
            left = (deadline - self._clock.now()).total_seconds()
            return max(left, _MIN_ROUND_SECONDS)

        key = beat.claim.key
        beat.model = recorded = await RecordedModel.load(
            self._provider, self._store, self._clock, key
        )
        act = RemindTool(self._reminders, beat.claim.thread_id, config.dry_run, beat.effects).wrap(
            self._act(beat)
        )
        return await exchange(
            recorded,
            request,
            max_tool_calls=config.max_tool_calls,
            act=written.wrap(act) if written is not None else act,
            time_left=remaining,
            written=written,
        )

    async def _confirm(self, beat: _Beat, reading: Reading, done: Exchange) -> Reading:
        """Issue 14: ask whether a plain-text alert is one (`soulbeat.turn.confirm`)."""
        assert beat.request is not None and beat.model is not None  # set by _ask
        left = (beat.started_at + beat.plan.timeout - self._clock.now()).total_seconds()
        reading, record = await confirm_alert(
            reading,
            done,
            asked=beat.request,
            ask=beat.model,
            how=await confirm_how(self._modes, self._provider, beat.request.model),
            seconds_left=max(left, _MIN_ROUND_SECONDS),
        )
        if record is not None:
            beat.audit.extra["confirmation"] = record
        return reading

    def _act(self, beat: _Beat) -> ActOnCall:
        """Action tools first, then the beat's extra tools (issue 15)."""

        async def act(call: ToolCall) -> ActionResult | str | None:
            result = await beat.acting.on_tool_call(call)
            if result is not None or beat.kit is None:
                return result
            return await beat.kit.tools.call(call)

        return act

    # -- the end ----------------------------------------------------------------------------------
    def _finish(self, beat: _Beat, outcome: Outcome, done: Exchange) -> BeatResult:
        now = self._clock.now()
        audit = beat.audit
        audit.outcome = outcome
        audit.deliveries = list(beat.deliverer.records)
        audit.actions = list(beat.acting.results)
        audit.indicator = _indicator(beat, outcome)
        replayed = beat.model.replayed if beat.model is not None else 0
        audit.resumed = {"decisions_replayed": replayed, "effects": beat.effects.as_record()}
        usage = done.usage
        return BeatResult(
            outcome=outcome.outcome,
            started_at=beat.started_at,
            finished_at=now,
            skip_reason=outcome.skip_reason,
            error=outcome.error,
            audit=audit.record(now),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            alert_text=_delivered_alert(beat.acting.results),
            ran_model=True,
        )


def _indicator(beat: _Beat, outcome: Outcome) -> Indicator | None:
    visibility = beat.config.visibility
    if outcome.outcome == "failed":
        return indicator_for("error", visibility)
    reading = beat.audit.reading
    acted = any(
        r.type != "none" and r.status in ("executed", "would-do") for r in beat.acting.results
    )
    if acted or (reading is not None and reading.kind in ("alert", "action")):
        return indicator_for("alert", visibility)
    return indicator_for("ok", visibility)


def _delivered_alert(results: Sequence[ActionResult]) -> str | None:
    """The text of the alert this beat delivered, if it did (for the 24 h dedupe)."""
    sent: list[Any] = [
        r.action.get("text") for r in results if r.type == "message" and r.status == "executed"
    ]
    return str(sent[-1]) if sent else None
