"""Threads, messages and system events."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from soulbeat.errors import ProviderUnavailableError
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM, fail


async def test_create_list_get_delete(client: httpx.AsyncClient) -> None:
    made = await client.post("/api/threads", json={"id": "kitchen", "title": "Kitchen"})
    assert made.status_code == 201, made.text
    assert made.json()["id"] == "kitchen" and made.json()["agent"] == "default"
    assert made.json()["next_due_at"] is not None  # planned at once
    generated = (await client.post("/api/threads", json={})).json()
    assert generated["id"].startswith("t-")
    listed = (await client.get("/api/threads")).json()["items"]
    assert {t["id"] for t in listed} == {"kitchen", generated["id"]}
    assert all("next_due_at" in t for t in listed)
    detail = (await client.get("/api/threads/kitchen")).json()
    assert detail["title"] == "Kitchen"
    assert [s["skill"] for s in detail["schedules"]] == ["", "inbox-watch"]
    assert detail["next_due_at"] == detail["schedules"][0]["next_due_at"]
    deleted = await client.delete("/api/threads/kitchen")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": "kitchen"}
    assert (await client.get("/api/threads/kitchen")).status_code == 404
    assert (await client.delete("/api/threads/kitchen")).status_code == 404


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"id": "has space"}, "id"),
        ({"id": "-dash-first"}, "id"),
        ({"agent": "ghost"}, "agent"),
        ({"colour": "red"}, "body.colour"),
        ({"title": 5}, "body.title"),
    ],
)
async def test_create_refuses_bad_input(
    client: httpx.AsyncClient, body: dict[str, object], key: str
) -> None:
    response = await client.post("/api/threads", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["key"] == key


async def test_create_refuses_a_taken_id(client: httpx.AsyncClient, thread_id: str) -> None:
    response = await client.post("/api/threads", json={"id": thread_id})
    assert response.status_code == 422
    assert "already a thread" in response.json()["error"]


async def test_message_gets_the_agents_reply(
    client: httpx.AsyncClient, thread_id: str, llm: ScriptedLLM
) -> None:
    llm.script("Hello! The kettle is fine.")
    response = await client.post(
        f"/api/threads/{thread_id}/messages", json={"text": "is the kettle on?", "channel": "web"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"]["role"] == "user" and body["message"]["channel"] == "web"
    assert body["reply"]["role"] == "assistant"
    assert body["reply"]["text"] == "Hello! The kettle is fine."
    assert "<soul>" in llm.last_request.messages[0].content  # a chat turn with the soul
    listed = (await client.get(f"/api/threads/{thread_id}/messages")).json()["items"]
    assert [m["text"] for m in listed] == ["is the kettle on?", "Hello! The kettle is fine."]
    limited = (await client.get(f"/api/threads/{thread_id}/messages?limit=1")).json()["items"]
    assert [m["role"] for m in limited] == ["assistant"]


async def test_provider_failure_is_502_and_keeps_the_message(
    client: httpx.AsyncClient, thread_id: str, llm: ScriptedLLM
) -> None:
    llm.script(
        fail(
            ProviderUnavailableError(
                "cannot reach http://127.0.0.1:11434", reason="provider-unreachable"
            )
        )
    )
    response = await client.post(f"/api/threads/{thread_id}/messages", json={"text": "hello?"})
    assert response.status_code == 502
    assert response.json()["reason"] == "provider-unreachable"
    assert "127.0.0.1:11434" in response.json()["error"]
    kept = (await client.get(f"/api/threads/{thread_id}/messages")).json()["items"]
    assert [m["text"] for m in kept] == ["hello?"]


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {}, {"text": "hi", "channel": "Not A Channel"}, {"text": "a\x00b"}],
    ids=["empty", "missing", "channel", "nul"],
)
async def test_message_body_is_checked(
    client: httpx.AsyncClient, thread_id: str, body: dict[str, str]
) -> None:
    response = await client.post(f"/api/threads/{thread_id}/messages", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["key"].startswith("body")


async def test_lone_surrogate_text_is_refused_not_a_crash(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    raw = b'{"text": "broken \\ud800 text"}'
    response = await client.post(
        f"/api/threads/{thread_id}/messages",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text


async def test_message_to_unknown_thread_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/threads/nope/messages", json={"text": "hi"})
    assert response.status_code == 404


async def test_event_next_waits_for_the_next_beat(
    client: httpx.AsyncClient, service: Service, thread_id: str, llm: ScriptedLLM
) -> None:
    response = await client.post(
        f"/api/threads/{thread_id}/events", json={"text": "door opened", "wake": "next"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "api" and response.json()["wake"] == "next"
    llm.script("HEARTBEAT_OK")
    beat = (await client.post(f"/api/threads/{thread_id}/heartbeat/run-now")).json()
    assert beat["outcome"] == "ok-token"
    assert "door opened" in llm.last_request.messages[-1].content


async def test_event_now_wakes_the_thread(
    client: httpx.AsyncClient, service: Service, thread_id: str, llm: ScriptedLLM, clock: FakeClock
) -> None:
    llm.script("Alert: someone is at the door")
    response = await client.post(
        f"/api/threads/{thread_id}/events", json={"text": "doorbell rang", "wake": "now"}
    )
    assert response.status_code == 201
    await clock.advance(timedelta(seconds=1))  # past the wake's 250 ms coalescing window
    await service.scheduler.run_due()
    beats = (await client.get(f"/api/threads/{thread_id}/heartbeat/history")).json()["items"]
    assert [(b["reason"], b["outcome"]) for b in beats] == [("event", "sent")]
    llm.assert_script_consumed()


async def test_event_body_is_checked(client: httpx.AsyncClient, thread_id: str) -> None:
    bad = await client.post(f"/api/threads/{thread_id}/events", json={"text": "x", "wake": "soon"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["key"] == "body.wake"
    missing = await client.post("/api/threads/nope/events", json={"text": "x"})
    assert missing.status_code == 404
