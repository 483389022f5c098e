"""Multi-round tool calls and spend control: the tool-call cap, the repeated-call breaker, token
sums, and tier-2 JSON actions through the runner."""

from __future__ import annotations

import json
from typing import Any

from turn_support import Bench

from soulbeat.errors import ProviderUnavailableError
from soulbeat.llm.base import Usage
from soulbeat.testing.llm import ScriptedReply, fail, reply, tool_calls_reply, tool_reply

VOTES: dict[str, Any] = {"actions": {"allowed": ["message", "none", "vote", "comment"]}}


def vote(post_id: str) -> dict[str, str]:
    return {"target": "post", "id": post_id, "direction": "up"}


async def test_each_action_call_gets_a_tool_answer_and_the_model_goes_on(bench: Bench) -> None:
    await bench.thread(**VOTES)
    bench.llm.script(tool_reply("ledger_vote", vote("1")), tool_reply("ledger_vote", vote("2")), "")
    result, _ = await bench.run()
    second = bench.llm.requests[1].messages
    assert [m.role for m in second] == ["system", "user", "assistant", "tool"]
    answer = json.loads(second[-1].content)
    assert answer["status"] == "unsupported-until-ledger"
    assert (second[-1].tool_call_id, second[-1].name) == ("call_0", "ledger_vote")
    assert len(bench.llm.requests) == 3
    assert [a["status"] for a in result.audit["actions"]] == ["unsupported-until-ledger"] * 2
    assert (result.outcome, result.skip_reason) == ("skipped", "unsupported-until-ledger")


async def test_the_tool_call_cap_stops_the_beat(bench: Bench) -> None:
    await bench.thread(max_tool_calls=2, **VOTES)
    bench.llm.script(
        tool_calls_reply(("ledger_vote", vote("1")), ("ledger_vote", vote("2"))),
        tool_calls_reply(("ledger_vote", vote("3")), ("ledger_vote", vote("4"))),
    )
    result, _ = await bench.run()
    bench.llm.assert_script_consumed()
    assert len(bench.llm.requests) == 2
    assert result.audit["stopped"]["reason"] == "tool-call-cap"
    assert result.audit["stopped"]["call"]["arguments"]["id"] == "3"
    ran = [(c["arguments"]["id"], c["ran"]) for c in result.audit["tool_calls"]]
    assert ran == [("1", True), ("2", True), ("3", False), ("4", False)]
    assert len(result.audit["actions"]) == 2


async def test_a_repeated_call_trips_the_breaker(bench: Bench) -> None:
    await bench.thread(**VOTES)
    bench.llm.script(tool_reply("ledger_vote", vote("7")), tool_reply("ledger_vote", vote("7")))
    result, _ = await bench.run()
    bench.llm.assert_script_consumed()
    stopped = result.audit["stopped"]
    assert (stopped["reason"], stopped["round"]) == ("repeated-tool-call", 2)
    assert stopped["call"] == {
        "name": "ledger_vote",
        "arguments": vote("7"),
        "raw": json.dumps(vote("7")),
    }
    assert [c["ran"] for c in result.audit["tool_calls"]] == [True, False]
    assert len(result.audit["actions"]) == 1


async def test_heartbeat_respond_is_the_answer_and_not_spending(bench: Bench) -> None:
    await bench.thread(max_tool_calls=1, **VOTES)
    respond = {"notify": True, "message": "Voted on post 1", "summary": "one vote"}
    bench.llm.script(tool_calls_reply(("ledger_vote", vote("1")), ("heartbeat_respond", respond)))
    result, _ = await bench.run()
    bench.llm.assert_script_consumed()
    assert result.audit["stopped"] is None
    assert bench.thread_channel.texts == ["Voted on post 1"]
    assert result.audit["reply"]["tier"] == 1


async def test_an_unknown_tool_is_refused_and_counted(bench: Bench) -> None:
    await bench.thread(max_tool_calls=1)
    bench.llm.script(tool_reply("rm_rf", {"path": "/"}), tool_reply("rm_rf", {"path": "/x"}))
    result, _ = await bench.run()
    assert json.loads(bench.llm.requests[1].messages[-1].content)["status"] == "error"
    assert result.audit["stopped"]["reason"] == "tool-call-cap"
    assert result.audit["actions"] == []


async def test_a_tool_call_with_broken_arguments_is_rejected_as_data(bench: Bench) -> None:
    await bench.thread(**VOTES)
    bench.llm.script(tool_reply("ledger_vote", '{"target": "post", "id": '), "HEARTBEAT_OK")
    result, _ = await bench.run()
    [action] = result.audit["actions"]
    assert (action["type"], action["status"]) == ("vote", "rejected")
    assert "not valid JSON" in action["problems"][0]["message"]


async def test_tokens_are_summed_over_rounds_and_estimates_marked(bench: Bench) -> None:
    await bench.thread(**VOTES)
    first = ScriptedReply("", tool_reply("ledger_vote", vote("1")).tool_calls, None, Usage(100, 5))
    bench.llm.script(first, reply("HEARTBEAT_OK", usage=Usage(120, 3, estimated=True)))
    result, record = await bench.run()
    assert (result.prompt_tokens, result.completion_tokens) == (220, 8)
    assert result.audit["tokens"] == {"prompt": 220, "completion": 8, "estimated": True}
    assert (record.prompt_tokens, record.completion_tokens) == (220, 8)


async def test_a_provider_failure_in_a_later_round_keeps_what_was_done(bench: Bench) -> None:
    await bench.thread(**VOTES)
    down = ProviderUnavailableError(
        "provider-unreachable: http://127.0.0.1:1", reason="provider-unreachable"
    )
    bench.llm.script(tool_reply("ledger_vote", vote("1")), fail(down))
    result, _ = await bench.run()
    assert (result.outcome, result.error) == ("failed", "provider-unreachable: http://127.0.0.1:1")
    assert result.audit["failure"] == "provider-unreachable"
    assert [a["type"] for a in result.audit["actions"]] == ["vote"]
    assert len(result.audit["rounds"]) == 1


# -- tier 2 through the runner ----------------------------------------------------------------


async def test_a_seed_000_json_action_goes_to_the_executor(bench: Bench) -> None:
    await bench.thread(actions={"allowed": ["message", "none", "comment"]})
    text = '```json\n{"action": "comment", "post_id": 42, "content": "Nice post"}\n```'
    bench.llm.script(text)
    result, _ = await bench.run()
    [action] = result.audit["actions"]
    assert action["action"] == {
        "action": "comment",
        "post_id": "42",
        "content": "Nice post",
        "parent_id": None,
    }
    assert action["status"] == "unsupported-until-ledger"
    assert result.audit["reply"]["tier"] == 2
    assert bench.thread_channel.deliveries == []


async def test_a_json_none_action_is_an_ack(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script('{"action": "none", "reason": "nothing new"}')
    result, _ = await bench.run()
    assert result.outcome == "ok-token"
    assert [(a["type"], a["status"]) for a in result.audit["actions"]] == [("none", "executed")]


async def test_a_json_message_action_is_an_alert(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script('{"action": "message", "text": "Disk almost full"}')
    result, _ = await bench.run()
    assert bench.thread_channel.texts == ["Disk almost full"]
    assert result.outcome == "sent"


async def test_a_json_action_that_cannot_be_read_is_rejected(bench: Bench) -> None:
    await bench.thread()
    bench.llm.script('{"action": "dance", "style": "tango"}')
    result, _ = await bench.run()
    [action] = result.audit["actions"]
    assert (action["type"], action["status"]) == ("dance", "rejected")
    assert action["action"] == {"action": "dance", "style": "tango"}
    assert (result.outcome, result.skip_reason) == ("skipped", "rejected")
