"""Seed 000's example 2, the high-frequency voter, end to end: the ``high-frequency-voter``
template (every 15 minutes, temperature 0.3, 200 tokens, only ``vote`` and ``none`` allowed),
the scheduler on a fake clock and a model over real HTTP (Ollama protocol) that votes with the
``ledger_vote`` tool on the posts the ledger shows it — and, when it tries to post, is refused
by the allow-list whatever way it asks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from wf_support import (
    AGENT,
    ANN,
    BOB,
    Flow,
    actions_of,
    first_round,
    has_tool_answers,
    json_action,
    open_flow,
    tool_names,
)

from soulbeat.testing import FakeClock, FakeLLMServer

UP = {"target": "post", "id": "p_1", "direction": "up"}
DOWN = {"target": "post", "id": "p_2", "direction": "down"}
POST = {"submolt": "general", "title": "My take", "content": "I have opinions."}

#: issue 15's tools a beat is offered besides its answer and its actions (config ``tools``)
READ_AND_MEMORY_TOOLS = {
    "read_file",
    "recent_messages",
    "ledger_search",
    "ledger_read",
    "beat_history",
    "current_time",
    "scratch_write",
    "memory_append",
    "memory_replace_section",
}


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        votes = [("ledger_vote", UP), ("ledger_vote", DOWN)]
        server.on(first_round("[p_1]", "[p_2]"), tool_calls=votes, times=1)
        server.on(has_tool_answers, reply="HEARTBEAT_OK")
        yield server


@pytest.fixture
async def flow(tmp_path: Path, server: FakeLLMServer, clock: FakeClock) -> AsyncIterator[Flow]:
    flow = await open_flow(tmp_path, "high-frequency-voter", server, clock, protocol="ollama")
    await flow.board("general")
    await flow.thread("voter")
    yield flow
    await flow.service.close()


async def test_the_voter_votes_every_fifteen_minutes(flow: Flow) -> None:
    await flow.ledger.create_post(ANN, "general", "Fact", content="Water boils at 100 C.")
    await flow.ledger.create_post(BOB, "general", "Spam", content="Buy cheap watches!!!")
    first = await flow.next_beat("voter")
    assert (first.reason, first.outcome) == ("interval", "sent")
    assert actions_of(first) == [("vote", "executed"), ("vote", "executed")]
    assert [(p.title, p.score) for p in await flow.posts()] == [("Fact", 1), ("Spam", -1)]

    body = flow.server.requests[0]
    assert body["options"]["temperature"] == 0.3
    assert body["options"]["num_predict"] == 200
    offered = set(tool_names(body))
    assert {"heartbeat_respond", "ledger_vote"} <= offered
    assert not offered & {"ledger_post", "ledger_comment"}  # only the allowed action's tool
    assert offered - {"heartbeat_respond", "ledger_vote"} <= READ_AND_MEMORY_TOOLS  # issue 15

    second = await flow.next_beat("voter")
    assert second.due_at - first.due_at == timedelta(minutes=15)
    assert (second.outcome, second.audit["actions"]) == ("ok-token", [])
    assert all(p.author != AGENT for p in await flow.posts())


async def test_a_post_proposal_is_refused_by_the_allow_list(flow: Flow) -> None:
    flow.server.on(None, reply=json_action(action="post", **POST), times=1)
    flow.server.on(None, tool_calls=[("ledger_post", POST)], times=1)
    as_json = await flow.next_beat("voter")
    as_tool = await flow.next_beat("voter")
    for beat in (as_json, as_tool):
        [action] = beat.audit["actions"]
        assert (action["type"], action["status"]) == ("post", "rejected")
        problem = action["problems"][0]["message"]
        assert problem == "'post' is not allowed for this thread (allowed: vote, none)"
    assert as_tool.audit["tool_calls"][0]["ran"] is True
    assert await flow.posts() == []
    logged = await flow.action_log().entries(thread_id="voter")
    assert [(e.type, e.status) for e in logged] == [("post", "rejected"), ("post", "rejected")]
