"""What happens in one beat once it passed the guards (`soulbeat.schedule.gates`): context,
prompt, model call, reply and outcome.

`TurnRunner` (`runner`) is the scheduler's `BeatRunner`; its steps live in their own modules:
`prepare`, `context`, `prompt`, `tools`, `rounds`, `reply`, `acting`, `outcome`, `delivery`,
`publish` and `audit`.
"""

from typing import TYPE_CHECKING

from soulbeat.importing import lazy_names

if TYPE_CHECKING:
    from soulbeat.turn.acting import OK_TEXT, Acting
    from soulbeat.turn.audit import BeatAudit
    from soulbeat.turn.context import (
        ContextBlock,
        ContextScope,
        ContextSource,
        TurnContext,
        due_instructions,
        gather_context,
    )
    from soulbeat.turn.delivery import Deliverer, DeliveryRecord, Route, resolve_route
    from soulbeat.turn.outcome import (
        DEDUPE_WINDOW,
        Outcome,
        alert_skip,
        decide_outcome,
        dedupe_form,
        is_duplicate,
    )
    from soulbeat.turn.prompt import (
        Prompt,
        build_prompt,
        current_time_line,
        neutralise_untrusted,
        wrap_untrusted,
    )
    from soulbeat.turn.reply import Payload, Reading, find_json_action, read_reply, split_reasoning
    from soulbeat.turn.rounds import Exchange, exchange
    from soulbeat.turn.runner import TurnRunner
    from soulbeat.turn.tools import ACTION_TOOLS, HEARTBEAT_RESPOND, tools_for
else:  # each module when one of its names is asked for: `turn.context` alone stays light
    __getattr__ = lazy_names(
        __name__,
        {
            "ACTION_TOOLS": "tools",
            "Acting": "acting",
            "BeatAudit": "audit",
            "ContextBlock": "context",
            "ContextScope": "context",
            "ContextSource": "context",
            "DEDUPE_WINDOW": "outcome",
            "Deliverer": "delivery",
            "DeliveryRecord": "delivery",
            "Exchange": "rounds",
            "HEARTBEAT_RESPOND": "tools",
            "OK_TEXT": "acting",
            "Outcome": "outcome",
            "Payload": "reply",
            "Prompt": "prompt",
            "Reading": "reply",
            "Route": "delivery",
            "TurnContext": "context",
            "TurnRunner": "runner",
            "alert_skip": "outcome",
            "build_prompt": "prompt",
            "current_time_line": "prompt",
            "decide_outcome": "outcome",
            "dedupe_form": "outcome",
            "due_instructions": "context",
            "exchange": "rounds",
            "find_json_action": "reply",
            "gather_context": "context",
            "is_duplicate": "outcome",
            "neutralise_untrusted": "prompt",
            "read_reply": "reply",
            "resolve_route": "delivery",
            "split_reasoning": "reply",
            "tools_for": "tools",
            "wrap_untrusted": "prompt",
        },
    )

__all__ = [
    "ACTION_TOOLS",
    "DEDUPE_WINDOW",
    "HEARTBEAT_RESPOND",
    "OK_TEXT",
    "Acting",
    "BeatAudit",
    "ContextBlock",
    "ContextScope",
    "ContextSource",
    "Deliverer",
    "DeliveryRecord",
    "Exchange",
    "Outcome",
    "Payload",
    "Prompt",
    "Reading",
    "Route",
    "TurnContext",
    "TurnRunner",
    "alert_skip",
    "build_prompt",
    "current_time_line",
    "decide_outcome",
    "dedupe_form",
    "due_instructions",
    "exchange",
    "find_json_action",
    "gather_context",
    "is_duplicate",
    "neutralise_untrusted",
    "read_reply",
    "resolve_route",
    "split_reasoning",
    "tools_for",
    "wrap_untrusted",
]
