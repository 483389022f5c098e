"""The model exchange of one beat: rounds of completions and tool calls, with spend control.

`exchange` asks the model, and while it calls action tools, runs each call (through ``act``),
answers it with a ``tool`` message and asks again. It stops when:

* a reply calls no action tool (plain text, or only ``heartbeat_respond``): the model answered;
* a reply calls ``heartbeat_respond`` beside action tools: those calls run, then it stops;
* the beat would make more than ``max_tool_calls`` action-tool calls (``tool-call-cap``): the
  calls over the cap are not run;
* the same call (tool name and arguments) comes again (``repeated-tool-call``): the breaker stops
  the beat there and the repeat is not run;
* the provider fails: the `ProviderError` is kept in `Exchange.error`, with everything done
  before it (an action executed in round 1 stays on the record when round 2 fails).

``heartbeat_respond`` is the answer, not spending: it does not count toward the cap and is never
"repeated". A call to a tool that was not offered counts and is answered with a refusal. Stops
are recorded in `Exchange.stopped`; every call, run or not, in `Exchange.tool_runs`. Token usage
is summed over the rounds (`Exchange.usage`), estimated when any round's was.

In ``schema`` mode the calls are not tool calls but the decision's ``calls`` field
(`soulbeat.turn.schema_calls`): `exchange` is then given a `WrittenCalls` that finds them in a
reply and words the results as messages; the cap, the breaker and the handlers are the same.

``time_left`` is asked before each round for the seconds the beat has left (the plan's timeout
less the time spent), so the whole exchange stays within it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from soulbeat.actions.executor import ActionResult
from soulbeat.errors import ProviderError
from soulbeat.llm.base import ChatMessage, ChatRequest, Completion, LLMProvider, ToolCall, Usage
from soulbeat.turn.reply import Payload, payload_of
from soulbeat.turn.tools import RESPOND_TOOL

__all__ = ["ActOnCall", "Exchange", "ToolRun", "WrittenCalls", "exchange"]

ActOnCall = Callable[[ToolCall], Awaitable[ActionResult | str | None]]
"""Runs one tool call: an action tool's `ActionResult`, another tool's answer text (issue 15:
built-in, memory and MCP tools), or None when the tool is not one of this beat's."""


@dataclass(frozen=True)
class ToolRun:
    """One tool call of the beat: the round it came in (from 1), whether it ran, and the answer
    sent back (or why it was not run)."""

    call: ToolCall
    round: int
    ran: bool
    answer: str
    result: ActionResult | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "id": self.call.id,
            "name": self.call.name,
            "arguments": dict(self.call.arguments),
            "raw_arguments": self.call.raw_arguments,
            "problem": self.call.problem,
            "ran": self.ran,
            "answer": self.answer,
        }


@dataclass
class Exchange:
    """Everything that passed between the turn and the model in one beat."""

    completions: list[Completion] = field(default_factory=list)
    tool_runs: list[ToolRun] = field(default_factory=list)
    stopped: dict[str, Any] | None = None
    error: ProviderError | None = None
    messages: list[ChatMessage] = field(default_factory=list)
    """The conversation before the last reply: the request's messages and every tool round."""

    @property
    def payloads(self) -> list[Payload]:
        return [payload_of(completion) for completion in self.completions]

    @property
    def usage(self) -> Usage:
        return Usage(
            sum(c.usage.prompt_tokens for c in self.completions),
            sum(c.usage.completion_tokens for c in self.completions),
            any(c.usage.estimated for c in self.completions),
        )

    @property
    def action_results(self) -> list[ActionResult]:
        return [run.result for run in self.tool_runs if run.result is not None]


class WrittenCalls(Protocol):
    """Calls a reply makes in its text rather than as tool calls (``schema`` mode's ``calls``)."""

    def calls(self, completion: Completion, round_no: int) -> tuple[ToolCall, ...]:
        """The calls `completion` makes (round `round_no`, from 1)."""
        ...

    def answer(self, completion: Completion, runs: Sequence[ToolRun]) -> list[ChatMessage]:
        """The messages to append before the next round: the reply and the calls' results."""
        ...


class _Spend:
    """Counts action-tool calls and remembers each one, for the cap and the breaker."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.count = 0
        self.seen: set[tuple[str, str]] = set()

    def refuse(self, call: ToolCall) -> str | None:
        key = (call.name, _canonical(call))
        if key in self.seen:
            return "repeated-tool-call"
        if self.count >= self.cap:
            return "tool-call-cap"
        self.seen.add(key)
        self.count += 1
        return None


async def exchange(
    provider: LLMProvider,
    request: ChatRequest,
    *,
    max_tool_calls: int,
    act: ActOnCall,
    time_left: Callable[[], float],
    written: WrittenCalls | None = None,
) -> Exchange:
    """Run the rounds of one beat (module docstring); with `written`, the calls are the ones it
    finds in each reply. Never raises `ProviderError`."""
    done = Exchange()
    spend = _Spend(max_tool_calls)
    messages = done.messages = list(request.messages)
    while True:
        try:
            asked = replace(request, messages=tuple(messages), timeout=time_left())
            completion = await provider.complete(asked)
        except ProviderError as error:
            done.error = error
            return done
        done.completions.append(completion)
        round_no = len(done.completions)
        if written is not None:
            calls = written.calls(completion, round_no)
            ran = len(done.tool_runs)
            if await _run_calls(calls, round_no, spend, act, done) is None:
                return done
            messages.extend(written.answer(completion, done.tool_runs[ran:]))
            continue
        answers = await _run_calls(completion.tool_calls, round_no, spend, act, done)
        if answers is None:
            return done
        messages.append(ChatMessage("assistant", completion.text, tool_calls=completion.tool_calls))
        messages.extend(answers)


async def _run_calls(
    made: Sequence[ToolCall], round_no: int, spend: _Spend, act: ActOnCall, done: Exchange
) -> list[ChatMessage] | None:
    """Run a reply's action-tool calls; the tool messages to send back, or None to stop."""
    calls = [call for call in made if call.name != RESPOND_TOOL]
    if not calls:
        return None
    answers: list[ChatMessage] = []
    for index, call in enumerate(calls):
        refusal = spend.refuse(call)
        if refusal is not None:
            done.stopped = {"reason": refusal, "round": round_no, "call": _describe(call)}
            for skipped in calls[index:]:
                done.tool_runs.append(ToolRun(skipped, round_no, False, f"not run: {refusal}"))
            return None
        outcome = await act(call)
        result = outcome if isinstance(outcome, ActionResult) else None
        answer = outcome if isinstance(outcome, str) else _answer(call, result)
        done.tool_runs.append(ToolRun(call, round_no, True, answer, result))
        answers.append(ChatMessage("tool", answer, tool_call_id=call.id, name=call.name))
    if any(call.name == RESPOND_TOOL for call in made):
        return None
    return answers


def _answer(call: ToolCall, result: ActionResult | None) -> str:
    """The tool message sent back for one call, as JSON."""
    if result is None:
        body: dict[str, Any] = {"status": "error", "detail": f"{call.name!r} is not a tool here"}
    else:
        body = {"status": result.status, "detail": result.detail}
        if result.problems:
            body["problems"] = [str(problem) for problem in result.problems]
    return json.dumps(body, ensure_ascii=False)


def _canonical(call: ToolCall) -> str:
    if call.problem is not None:
        return call.raw_arguments
    return json.dumps(call.arguments, sort_keys=True, ensure_ascii=False, default=str)


def _describe(call: ToolCall) -> dict[str, Any]:
    return {"name": call.name, "arguments": dict(call.arguments), "raw": call.raw_arguments}
