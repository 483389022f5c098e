"""The compact profile's minimal decision schema and short tool descriptions (`turn/offer.py`)."""

from __future__ import annotations

import json
from typing import Any

from turn_support import Bench

from soulbeat.llm.base import ToolSpec
from soulbeat.turn.decision import decision_schema
from soulbeat.turn.offer import offered_schema, offered_tools
from soulbeat.turn.remind_tool import REMIND_TOOL
from soulbeat.turn.tools import tools_for

BOARD = ("message", "none", "post", "comment", "vote")
LOOKUP = ToolSpec(
    "mcp_lookup",
    "Look a customer up by id. Returns the record as JSON, with every order of the last year.",
    {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The customer's id, e.g. C-1042."},
            "fields": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        },
        "required": ["id"],
    },
)


def descriptions(value: Any) -> int:
    """How many ``description`` keys a schema holds, at any depth."""
    if isinstance(value, dict):
        return ("description" in value) + sum(descriptions(v) for v in value.values())
    if isinstance(value, list):
        return sum(descriptions(v) for v in value)
    return 0


def size(value: Any) -> int:
    return len(json.dumps(value))


def test_full_offers_every_tool_as_it_describes_itself() -> None:
    tools = offered_tools(BOARD, "full", extra=(REMIND_TOOL, LOOKUP), scratch=False, tasks=False)
    assert tools == (*tools_for(BOARD), REMIND_TOOL, LOOKUP)
    assert offered_schema(BOARD, "full", scratch=False, tasks=False) == decision_schema(BOARD)


def test_compact_tools_are_minimal_extra_tools_included() -> None:
    full = offered_tools(BOARD, "full", extra=(REMIND_TOOL, LOOKUP))
    small = offered_tools(BOARD, "compact", extra=(REMIND_TOOL, LOOKUP), scratch=False, tasks=False)
    assert [t.name for t in small] == [t.name for t in full]
    for tool in small:
        assert descriptions(tool.parameters) == 0, tool.name
        assert "maxLength" not in json.dumps(tool.parameters)
    lookup = small[-1]
    assert lookup.description == "Look a customer up by id."
    assert lookup.parameters["required"] == ["id"]
    assert lookup.parameters["properties"]["fields"]["maxItems"] == 5  # still constrains
    respond = small[0].parameters["properties"]
    assert set(respond) == {"notify", "message", "summary"}
    assert sum(map(size, (t.parameters for t in small))) < 0.7 * sum(
        map(size, (t.parameters for t in full))
    )


def test_compact_keeps_the_memory_fields_a_beat_uses() -> None:
    [respond] = offered_tools((), "compact", scratch=True, tasks=True)
    assert {"scratch", "tasks_addressed"} <= set(respond.parameters["properties"])
    schema = offered_schema((), "compact", scratch=True, tasks=False)
    assert "scratch" in schema["properties"] and "tasks_addressed" not in schema["properties"]


def test_the_compact_decision_schema_is_smaller_and_still_constrains() -> None:
    full = offered_schema(BOARD, "full")
    small = offered_schema(BOARD, "compact", scratch=False, tasks=False)
    assert set(small["properties"]) == {"notify", "message", "summary", "actions"}
    assert small["required"] == full["required"] and small["additionalProperties"] is False
    variants = small["properties"]["actions"]["items"]["anyOf"]
    assert [v["properties"]["action"]["enum"] for v in variants] == [
        ["post"],
        ["comment"],
        ["vote"],
    ]
    assert all(v["additionalProperties"] is False and v["required"] for v in variants)
    assert size(small) < size(full)


async def test_a_compact_beat_sends_the_minimal_tools_of_its_kit(bench: Bench) -> None:
    await bench.thread(decision_mode="tools", prompt_profile="compact")
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run(runner=bench.runner(tool_kit=bench.tool_kit()))
    assert result.outcome == "ok-token"
    tools = bench.llm.requests[-1].tools
    names = [t.name for t in tools]
    assert names[0] == "heartbeat_respond" and "read_file" in names
    assert all(descriptions(t.parameters) == 0 for t in tools)
    assert "scratch" in tools[0].parameters["properties"]  # the beat keeps a scratch
    assert "tasks_addressed" not in tools[0].parameters["properties"]  # no task is due


async def test_a_full_beat_sends_the_kit_tools_as_they_are(bench: Bench) -> None:
    await bench.thread(decision_mode="tools", prompt_profile="full")
    bench.llm.script("HEARTBEAT_OK")
    await bench.run(runner=bench.runner(tool_kit=bench.tool_kit()))
    tools = bench.llm.requests[-1].tools
    assert descriptions(tools[0].parameters) > 0
    assert {"scratch", "tasks_addressed"} <= set(tools[0].parameters["properties"])
