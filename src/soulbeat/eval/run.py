"""Running the scenario suite against a model, and judging each decision.

`run_scenario` builds the beat's prompt the way the turn does (`build_prompt` in the chosen prompt
profile, with the shipped default SOUL.md as the soul, the decision mode's tools — minimal ones in
``compact`` — or schema, untrusted blocks for events and posts), asks the provider once (twice
when a ``tools``-mode answer is plain prose: the turn's confirmation, `soulbeat.turn.confirm`;
tokens and seconds are the two rounds'), reads the reply with the turn's own reader
(`read_reply`) and judges it against the scenario's `Expected`:

* ``notify`` must match (an unreadable reply is wrong: nothing would reach the person);
* an alert must name one of ``mentions`` (any case) and none of ``forbid``;
* every type in ``actions`` must be among the actions taken — written in the text, given in the
  decision, or real tool calls; ``no_actions`` allows none but ``none``.

`evaluate` runs the whole suite in order and returns an `EvalReport`: one `ScenarioResult` per
scenario (the decision, right or wrong and why, tokens as the server counted them, seconds) and
the overall score. A provider failure is a wrong result with the error, never an exception.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from soulbeat.errors import ProviderError
from soulbeat.eval.scenarios import SCENARIOS, Scenario
from soulbeat.llm.base import ChatRequest, Completion, LLMProvider, Usage
from soulbeat.turn.confirm import (
    confirm_how,
    confirmation_request,
    needs_confirmation,
    read_confirmation,
)
from soulbeat.turn.context import OWN_TITLE, ContextBlock, TurnContext
from soulbeat.turn.modes import DecisionMode, DecisionModes
from soulbeat.turn.offer import offered_schema, offered_tools
from soulbeat.turn.profile import PromptProfile
from soulbeat.turn.prompt import Prompt, build_prompt, current_time_line
from soulbeat.turn.reply import Payload, Reading, read_reply
from soulbeat.turn.tools import tool_action_type
from soulbeat.workspace.soul import Soul

__all__ = ["EvalReport", "ScenarioResult", "evaluate", "judge", "run_scenario"]

PROMPT = (
    "Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or "
    "repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK."
)
_NOW = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


def default_soul() -> Soul:
    """The SOUL.md `soulbeat init` writes: what a new user's beats carry."""
    text = resources.files("soulbeat.workspace").joinpath("templates", "default", "SOUL.md")
    return Soul("soul", "templates/default/SOUL.md", text.read_text("utf-8"), "workspace")


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's outcome: what was decided, whether it was right, and the cost."""

    name: str
    right: bool
    expected: str
    decided: str
    why: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_estimated: bool = False
    seconds: float = 0.0
    alert: str = ""
    actions: tuple[str, ...] = ()
    outcome: str = ""

    def as_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "right": self.right,
            "expected": self.expected,
            "decided": self.decided,
            "why": self.why,
            "outcome": self.outcome,
            "alert": self.alert,
            "actions": list(self.actions),
            "tokens": {
                "prompt": self.prompt_tokens,
                "completion": self.completion_tokens,
                "estimated": self.tokens_estimated,
            },
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class EvalReport:
    """The suite's results, in order, with the model and mode they were asked in."""

    model: str
    mode: str
    results: tuple[ScenarioResult, ...] = field(default=())
    profile: str = "full"

    @property
    def right(self) -> int:
        return sum(result.right for result in self.results)

    @property
    def score(self) -> float:
        return self.right / len(self.results) if self.results else 0.0

    def as_record(self) -> dict[str, Any]:
        count = len(self.results) or 1
        return {
            "model": self.model,
            "mode": self.mode,
            "profile": self.profile,
            "right": self.right,
            "total": len(self.results),
            "score": round(self.score, 4),
            "mean_prompt_tokens": round(sum(r.prompt_tokens for r in self.results) / count, 1),
            "mean_seconds": round(sum(r.seconds for r in self.results) / count, 3),
            "scenarios": [result.as_record() for result in self.results],
        }


def scenario_prompt(
    scenario: Scenario, mode: DecisionMode, profile: PromptProfile = "full"
) -> Prompt:
    """The prompt a beat in `scenario` would send (module docstring)."""
    blocks: list[ContextBlock] = []
    if scenario.messages:
        lines = "\n".join(
            f"[2026-03-04 09:2{i} UTC] user: {m}" for i, m in enumerate(scenario.messages)
        )
        blocks.append(ContextBlock("messages", "New messages since the last heartbeat", lines))
    if scenario.own:
        lines = "\n".join(
            f"[2026-03-04 08:0{i} UTC] assistant: {m}" for i, m in enumerate(scenario.own)
        )
        blocks.append(ContextBlock("own-messages", OWN_TITLE, lines))
    if scenario.events:
        lines = "\n".join(
            f"[2026-03-04 09:1{i} UTC] (api) {e}" for i, e in enumerate(scenario.events)
        )
        blocks.append(ContextBlock("events", "Queued system events", lines, untrusted=True))
    if scenario.posts:
        blocks.append(ContextBlock("ledger", "New board posts", "\n".join(scenario.posts), True))
    context = TurnContext(
        mode="light", blocks=tuple(blocks), system_files=(), event_ids=(), message_count=0
    )
    return build_prompt(
        prompt=PROMPT,
        instructions=ContextBlock("heartbeat", "HEARTBEAT.md", scenario.heartbeat),
        context=context,
        soul=default_soul(),
        time_line=current_time_line(_NOW, UTC, "UTC"),
        tools_offered=mode == "tools",
        mode=mode,
        profile=profile,
    )


def scenario_request(
    scenario: Scenario, model: str, mode: DecisionMode, profile: PromptProfile = "full"
) -> ChatRequest:
    """The request a beat in `scenario` would send (module docstring)."""
    prompt = scenario_prompt(scenario, mode, profile)
    allowed = scenario.allowed  # an eval beat keeps no scratch; its task is due
    tools = offered_tools(allowed, profile, scratch=False) if mode == "tools" else ()
    schema = offered_schema(allowed, profile, scratch=False) if mode == "schema" else None
    return ChatRequest(prompt.messages, model, tools, 0.0, 400, 300.0, "eval", schema)


async def run_scenario(
    provider: LLMProvider,
    scenario: Scenario,
    model: str,
    mode: DecisionMode,
    profile: PromptProfile = "full",
    modes: DecisionModes | None = None,
) -> ScenarioResult:
    """Ask the model in `scenario` as a beat would — once, and in ``tools`` mode once more when
    it answered in plain prose (`soulbeat.turn.confirm`; `modes` remembers the server's schema
    probe) — and judge its decision."""
    request = scenario_request(scenario, model, mode, profile)
    started = time.perf_counter()
    try:
        completion = await provider.complete(request)
        payload = Payload(completion.text, completion.reasoning, completion.tool_calls)
        echo = scenario_prompt(scenario, mode, profile).echo_source
        reading = read_reply([payload], echo=echo)
        if needs_confirmation(reading, mode):
            how = await confirm_how(modes or DecisionModes(), provider, model)
            if how is not None:
                question = confirmation_request(
                    request, request.messages, completion.text, how, request.timeout
                )
                answer = await provider.complete(question)
                reading = read_confirmation(reading, answer)
                completion = replace(completion, usage=_sum(completion.usage, answer.usage))
    except ProviderError as error:
        seconds = time.perf_counter() - started
        return ScenarioResult(
            scenario.name, False, _expected(scenario), "error", str(error), seconds=seconds
        )
    seconds = time.perf_counter() - started
    return judge(scenario, reading, completion, seconds)


def _sum(first: Usage, second: Usage) -> Usage:
    return Usage(
        first.prompt_tokens + second.prompt_tokens,
        first.completion_tokens + second.completion_tokens,
        first.estimated or second.estimated,
    )


def judge(
    scenario: Scenario, reading: Reading, completion: Completion, seconds: float
) -> ScenarioResult:
    """Compare a reading with the scenario's expected decision (module docstring)."""
    actions = _actions(reading, completion)
    decided = reading.kind if reading.kind != "action" else "ack+actions"
    alert = reading.text if reading.kind == "alert" else ""
    why = _wrong(scenario, reading, actions, alert)
    usage = completion.usage
    outcome = _outcome(scenario, reading, actions)
    return ScenarioResult(
        name=scenario.name,
        right=why == "",
        expected=_expected(scenario),
        decided=decided if not actions else f"{decided} [{', '.join(actions)}]",
        why=why,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        tokens_estimated=usage.estimated,
        seconds=seconds,
        alert=alert,
        actions=tuple(actions),
        outcome=outcome,
    )


def _wrong(scenario: Scenario, reading: Reading, actions: list[str], alert: str) -> str:
    expected = scenario.expected
    if reading.kind == "unreadable":
        return "unreadable: " + "; ".join(reading.problems)
    if (reading.kind == "alert") != expected.notify:
        return "notified" if reading.kind == "alert" else "stayed silent"
    folded = alert.casefold()
    if (
        expected.notify
        and expected.mentions
        and not any(m.casefold() in folded for m in expected.mentions)
    ):
        return f"the alert names none of: {', '.join(expected.mentions)}"
    repeated = [f for f in expected.forbid if f.casefold() in folded]
    if repeated:
        return f"the alert repeats: {', '.join(repeated)}"
    missing = [kind for kind in expected.actions if kind not in actions]
    if missing:
        return f"no {', '.join(missing)} action"
    if expected.no_actions and actions:
        return f"took actions: {', '.join(actions)}"
    return ""


def _actions(reading: Reading, completion: Completion) -> list[str]:
    """The action types the reply asked for, ``none`` left out."""
    kinds = [type(a.action).__name__ for a in reading.json_actions if a.action is not None]
    named = [kind.removesuffix("Action").lower() for kind in kinds]
    named += [tool_action_type(c.name) or "" for c in completion.tool_calls]
    return [kind for kind in named if kind and kind != "none"]


def _outcome(scenario: Scenario, reading: Reading, actions: list[str]) -> str:
    """What the beat would end with, as the turn decides it."""
    if reading.kind == "unreadable":
        return "skipped (unreadable)"
    if reading.kind == "alert" or actions:
        return "would-send" if scenario.dry_run else "sent"
    return "ok-token"


def _expected(scenario: Scenario) -> str:
    expected = scenario.expected
    text = "alert" if expected.notify else "ack"
    if expected.actions:
        text += f" [{', '.join(expected.actions)}]"
    return text


async def evaluate(
    provider: LLMProvider,
    model: str,
    mode: DecisionMode,
    scenarios: Sequence[Scenario] = SCENARIOS,
    profile: PromptProfile = "full",
) -> EvalReport:
    """Run `scenarios` in order against `model` (module docstring)."""
    modes = DecisionModes()
    results = [
        await run_scenario(provider, scenario, model, mode, profile, modes)
        for scenario in scenarios
    ]
    return EvalReport(model, mode, tuple(results), profile)
