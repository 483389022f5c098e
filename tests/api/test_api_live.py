"""Over real TCP: the SSE stream from a real uvicorn, and soulbeat end to end with a model server.

Each test runs `LiveServer` (wiring.build with the real clock, create_app, uvicorn on a free port
of 127.0.0.1) and reads it with httpx. Everything is bounded by timeouts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_support import AUTH, LiveServer, SSEMessage, read_sse, wait_for

from soulbeat.config.settings import Settings
from soulbeat.testing import FakeLLMServer, ScriptedLLM

pytestmark = pytest.mark.slow


async def _next_events(stream: AsyncIterator[SSEMessage], count: int) -> list[SSEMessage]:
    """The next `count` messages, within 10 s."""
    found: list[SSEMessage] = []
    async with asyncio.timeout(10):
        async for message in stream:
            found.append(message)
            if len(found) == count:
                break
    return found


def _payload(message: SSEMessage) -> dict[str, object]:
    data: dict[str, object] = json.loads("\n".join(message.data))
    return data


async def test_sse_stream_keepalive_and_resumption(settings: Settings) -> None:
    with LiveServer(settings, provider=ScriptedLLM(), sse_keepalive=0.2) as live:
        async with httpx.AsyncClient(base_url=live.url, headers=AUTH, timeout=10) as client:
            comments: list[str] = []
            async with client.stream("GET", "/api/events") as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                stream = read_sse(response, comments)
                await client.post("/api/heartbeat/stop")
                await client.post("/api/heartbeat/start")
                first = await _next_events(stream, 2)
                assert [m.event for m in first] == ["scheduler.stopped", "scheduler.started"]
                ids = [int(m.id or 0) for m in first]
                assert ids[1] == ids[0] + 1
                assert _payload(first[0])["name"] == "scheduler.stopped"
                assert _payload(first[0])["id"] == ids[0]
                await asyncio.sleep(0.5)  # quiet: keep-alive comments flow
                await client.post("/api/threads", json={"id": "t1"})
                await client.post("/api/threads/t1/heartbeat/config", json={"every": "2h"})
                [changed] = await _next_events(stream, 1)
                assert changed.event == "config.changed"
            assert "keep-alive" in comments
            assert "soulbeat events" in comments

            # Missed while disconnected, replayed on reconnection, in order, no duplicates.
            await client.post("/api/heartbeat/stop")
            await client.post("/api/threads/t1/heartbeat/config", json={"every": "3h"})
            resume = {"Last-Event-ID": changed.id or ""}
            async with client.stream("GET", "/api/events", headers=resume) as response:
                replayed = await _next_events(read_sse(response), 2)
            assert [m.event for m in replayed] == ["scheduler.stopped", "config.changed"]
            last = int(changed.id or 0)
            assert [int(m.id or 0) for m in replayed] == [last + 1, last + 2]
            assert _payload(replayed[1])["data"] == {
                "thread_id": "t1",
                "overrides": {"every": "3h"},
            }

            # An id from before a restart (ids restart with the process): the whole history.
            stale = {"Last-Event-ID": "999999"}
            async with client.stream("GET", "/api/events", headers=stale) as response:
                everything = await _next_events(read_sse(response), last + 2)
            assert [int(m.id or 0) for m in everything] == list(range(1, last + 3))

            bad = await client.get("/api/events", headers={"Last-Event-ID": "yesterday"})
            assert bad.status_code == 422
            anon = await client.get("/api/events", headers={"Authorization": ""})
            assert anon.status_code == 401


async def test_end_to_end_with_a_model_server(tmp_path: Path, workspace: Path) -> None:
    async with FakeLLMServer() as model:
        model.on("doorbell rang", reply="Alert: someone is at the front door")
        model.on("who are you", reply="I am your house agent.")
        settings = Settings(
            data_dir=tmp_path / "live-data",
            workspace=workspace,
            llm_provider="openai",
            llm_base_url=model.openai_url,
            llm_model="fake-model",
        )
        with LiveServer(settings) as live:
            async with httpx.AsyncClient(base_url=live.url, headers=AUTH, timeout=20) as client:
                await _drive(client, model)


async def _drive(client: httpx.AsyncClient, model: FakeLLMServer) -> None:
    made = await client.post("/api/threads", json={"id": "house", "title": "House"})
    assert made.status_code == 201, made.text
    config = {"every": "2s", "active_hours": None}
    assert (await client.post("/api/threads/house/heartbeat/config", json=config)).is_success

    async with client.stream("GET", "/api/events") as response:
        stream = read_sse(response)
        queued = await client.post(
            "/api/threads/house/events", json={"text": "doorbell rang", "wake": "now"}
        )
        assert queued.status_code == 201
        event_beat = await _finished_beat(stream, reason="event")
        assert event_beat["outcome"] == "sent"

        manual = await client.post("/api/threads/house/heartbeat/run-now")
        assert manual.status_code == 200, manual.text
        assert manual.json()["reason"] == "manual"
        assert manual.json()["outcome"] == "ok-token"  # the server's default HEARTBEAT_OK
        manual_beat = await _finished_beat(stream, reason="manual")
        assert manual_beat["beat_id"] == manual.json()["id"]

    async def two_beats() -> list[dict[str, object]] | None:
        history = await client.get("/api/threads/house/heartbeat/history")
        items: list[dict[str, object]] = history.json()["items"]
        return items if len([b for b in items if b["reason"] != "interval"]) >= 2 else None

    beats = await wait_for(two_beats)
    outcomes = {b["reason"]: b["outcome"] for b in beats if b["reason"] != "interval"}
    assert outcomes == {"event": "sent", "manual": "ok-token"}
    messages = (await client.get("/api/threads/house/messages")).json()["items"]
    assert "Alert: someone is at the front door" in [m["text"] for m in messages]

    chat = await client.post("/api/threads/house/messages", json={"text": "who are you?"})
    assert chat.status_code == 201 and chat.json()["reply"]["text"] == "I am your house agent."
    assert any(r.get("model") == "fake-model" for r in model.requests)

    metrics = (await client.get("/metrics")).text
    assert 'soulbeat_beats_total{outcome="sent",skip_reason=""}' in metrics


async def _finished_beat(stream: AsyncIterator[SSEMessage], *, reason: str) -> dict[str, object]:
    """The data of the next `beat.finished` event with this wake reason."""
    async with asyncio.timeout(15):
        async for message in stream:
            if message.event != "beat.finished":
                continue
            data = _payload(message)["data"]
            assert isinstance(data, dict)
            if data["reason"] == reason:
                return data
    raise AssertionError("the stream ended")
