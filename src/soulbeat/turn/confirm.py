"""A plain-text alert in ``tools`` mode is confirmed before it is delivered (issue 14, §9.3).

Offered ``heartbeat_respond``, a model that answers in plain prose — no tool call, no
``HEARTBEAT_OK``, not an echo of the prompt — has not said whether the person should be told.
Small models do this constantly and invent the prose (SmolLM2-135M: 10 of 35 eval beats). The
spec's plain-text contract (tier 3) would deliver it, so such a reply gets one second chance,
asked in a form the model cannot answer outside of:

* the conversation so far, the model's prose as its turn, and one question: should the person get
  that text now? (`confirmation_request`);
* constrained to ``{"notify": bool}`` by the decision-mode probe's verdict: the JSON schema as
  structured output when the server honours one, else ``tool_choice`` forcing a
  ``heartbeat_respond`` call (`confirm_how`).

``notify=true`` delivers the prose as written (it already passed every machine-text and echo
check); ``notify=false`` makes the beat an acknowledgement with the prose kept as
``dropped_text`` in the audit; an answer that says neither makes it ``unreadable``. A provider
that can force neither (one that declares no structured output: test doubles, custom providers)
is not asked: the plain-text contract of §6 decides, as before. ``text`` mode is that contract by
choice and is never asked; ``schema`` mode's answers are decisions already.

The confirming completion is one more round of the beat: recorded before it is read
(`RecordedModel`), replayed after a crash, counted in the beat's usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from soulbeat.errors import ProviderError
from soulbeat.llm.base import ChatMessage, ChatRequest, Completion, LLMProvider
from soulbeat.turn.decision import Decision, parse_decision
from soulbeat.turn.modes import DecisionModes
from soulbeat.turn.reply import Reading
from soulbeat.turn.rounds import Exchange
from soulbeat.turn.tools import RESPOND_TOOL, read_respond, tools_for
from soulbeat.turn.written import scan_text

__all__ = [
    "CONFIRM_SCHEMA",
    "ConfirmHow",
    "confirm_alert",
    "confirm_how",
    "confirmation_request",
    "needs_confirmation",
    "read_confirmation",
]

ConfirmHow = Literal["schema", "tool_choice"]

CONFIRM_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"notify": {"type": "boolean"}},
    "required": ["notify"],
    "additionalProperties": False,
}

_QUESTION = (
    "You answered in plain text instead of giving your decision. Should the person get that "
    "text as an alert now? notify=true only if it reports something in the data above that "
    "needs their attention now; otherwise notify=false."
)
_HOW = {
    "schema": ' Answer {"notify": true} or {"notify": false}.',
    "tool_choice": f" Answer by calling {RESPOND_TOOL}.",
}
_CONFIRM_TOKENS = 64


def needs_confirmation(reading: Reading, mode: str) -> bool:
    """Whether `reading` is a plain-text alert of a ``tools``-mode beat (module docstring)."""
    return mode == "tools" and reading.kind == "alert" and reading.tier == 3


async def confirm_how(modes: DecisionModes, provider: LLMProvider, model: str) -> ConfirmHow | None:
    """How to force the answer: ``schema`` when the server honours a JSON schema (the probe of
    ``decision_mode = auto``, made once per server and model), else ``tool_choice``; None when
    the provider can do neither."""
    if not getattr(provider, "structured_output", False):
        return None
    picked = await modes.resolve(provider, model, "auto")
    return "schema" if picked == "schema" else "tool_choice"


def confirmation_request(
    asked: ChatRequest,
    so_far: Sequence[ChatMessage],
    prose: str,
    how: ConfirmHow,
    timeout: float | None,
) -> ChatRequest:
    """The question after the conversation `so_far` of the request `asked` was answered with
    `prose` (module docstring)."""
    messages = (
        *so_far,
        ChatMessage("assistant", prose),
        ChatMessage("user", _QUESTION + _HOW[how]),
    )
    if how == "schema":
        return replace(
            asked,
            messages=messages,
            tools=(),
            max_tokens=_CONFIRM_TOKENS,
            timeout=timeout,
            response_schema=CONFIRM_SCHEMA,
            tool_choice=None,
        )
    respond = tuple(t for t in tools_for(()) if t.name == RESPOND_TOOL)
    return replace(
        asked,
        messages=messages,
        tools=respond,
        max_tokens=_CONFIRM_TOKENS * 2,
        timeout=timeout,
        response_schema=None,
        tool_choice=RESPOND_TOOL,
    )


def _notify(completion: Completion) -> bool | None:
    for call in completion.tool_calls:
        if call.name == RESPOND_TOOL:
            notify = read_respond(call).notify
            if notify is not None:
                return notify
    for item in reversed(scan_text(completion.text or "").items):
        if item.kind == "decision":
            decision, _ = parse_decision(item.value)
            if decision is not None:
                return decision.notify
        elif item.kind == "call" and item.name == RESPOND_TOOL and item.arguments is not None:
            decision, _ = parse_decision(item.arguments)
            if decision is not None:
                return decision.notify
    return None


def read_confirmation(reading: Reading, completion: Completion) -> Reading:
    """`reading` (a plain-text alert) after the model answered the question (module
    docstring)."""
    notify = _notify(completion)
    if notify is True:
        noted = "a plain-text alert, confirmed with notify=true when asked"
        return replace(reading, problems=(*reading.problems, noted))
    if notify is False:
        noted = "a plain-text alert the model did not confirm (notify=false when asked): dropped"
        return Reading(
            "ack",
            3,
            reading.text,
            reasoning=reading.reasoning,
            dropped_text=reading.text,
            problems=(*reading.problems, noted),
            decision=Decision(notify=False, summary=reading.summary),
        )
    answer = (completion.text or "").strip()[:200]
    noted = (
        f"a plain-text alert the model did not confirm (its answer was not a decision: {answer!r})"
    )
    return Reading(
        "unreadable",
        3,
        reading.text,
        reasoning=reading.reasoning,
        problems=(*reading.problems, noted),
    )


async def confirm_alert(
    reading: Reading,
    done: Exchange,
    *,
    asked: ChatRequest,
    ask: LLMProvider,
    how: ConfirmHow | None,
    seconds_left: float,
) -> tuple[Reading, dict[str, Any] | None]:
    """Ask `ask` (the beat's recorded model) whether the plain-text alert `reading` of the
    exchange `done` (first asked as `asked`) is one, within `seconds_left`, and read the answer;
    returns the reading and the audit's ``confirmation`` record (None when `how` is None: not
    asked). The answer is added to ``done.completions``; a `ProviderError` is kept in
    ``done.error`` (the beat fails)."""
    if how is None:
        return reading, None
    prose = done.completions[-1].text
    question = confirmation_request(asked, done.messages, prose, how, seconds_left)
    try:
        answer = await ask.complete(question)
    except ProviderError as error:
        done.error = error
        return reading, {"how": how, "error": str(error)}
    done.completions.append(answer)
    confirmed = read_confirmation(reading, answer)
    record = {"how": how, "answer": answer.text[:500], "kind": confirmed.kind}
    return confirmed, record
