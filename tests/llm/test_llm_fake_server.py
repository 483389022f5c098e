"""The fake model server itself: both protocols as the official clients read them, streamed and
not, and its scripting."""

from __future__ import annotations

import json
from typing import Any

import httpx
import ollama
import openai

from soulbeat.testing.llm_server import FakeLLMServer, unused_local_url

MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "status?"}]


async def test_ollama_stream_reads_with_the_official_client(server: FakeLLMServer) -> None:
    server.on(None, reply="Disk is almost full.", reasoning="Checking the disk.")
    client = ollama.AsyncClient(server.ollama_url)

    parts = [p async for p in await client.chat("fake-model", MESSAGES, stream=True)]

    assert "".join(p.message.content or "" for p in parts) == "Disk is almost full."
    assert "".join(p.message.thinking or "" for p in parts) == "Checking the disk."
    assert [p.done for p in parts].count(True) == 1 and parts[-1].done
    assert parts[-1].eval_count == 5  # "Disk", "is", "almost", "full", "."
    assert server.requests[0]["stream"] is True


async def test_ollama_stream_carries_tool_calls(server: FakeLLMServer) -> None:
    server.on(None, tool_calls=[("heartbeat_respond", {"notify": False, "summary": "ok"})])
    client = ollama.AsyncClient(server.ollama_url)

    parts = [p async for p in await client.chat("fake-model", MESSAGES, stream=True)]

    calls = [c for p in parts for c in p.message.tool_calls or ()]
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("heartbeat_respond", {"notify": False, "summary": "ok"})
    ]


async def test_ollama_lists_models(server: FakeLLMServer) -> None:
    listed = await ollama.AsyncClient(server.ollama_url).list()

    assert [m.model for m in listed.models] == ["fake-model", "fake-fallback"]


async def test_openai_stream_reads_with_the_official_client(server: FakeLLMServer) -> None:
    server.on(
        None,
        reply="Two new posts.",
        reasoning="Looking.",
        tool_calls=[("post", {"title": "hi"}), ("vote", '{"up": true}')],
    )
    client = openai.AsyncOpenAI(base_url=server.openai_url, api_key="x", max_retries=0)

    stream = await client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": "status?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    await client.close()

    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join(d.content or "" for d in deltas) == "Two new posts."
    assert "".join((d.model_extra or {}).get("reasoning_content", "") for d in deltas) == "Looking."
    arguments: dict[int, str] = {}
    names: dict[int, str] = {}
    for delta in deltas:
        for call in delta.tool_calls or ():
            assert call.function is not None
            arguments[call.index] = arguments.get(call.index, "") + (call.function.arguments or "")
            names[call.index] = names.get(call.index, "") + (call.function.name or "")
    assert names == {0: "post", 1: "vote"}
    assert [json.loads(a) for a in arguments.values()] == [{"title": "hi"}, {"up": True}]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


async def test_openai_stream_ends_with_done(server: FakeLLMServer) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.openai_url}/chat/completions",
            json={"model": "fake-model", "messages": MESSAGES, "stream": True},
        )

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    assert "usage" not in events[-2]  # usage only when stream_options.include_usage asks


async def test_openai_lists_models(server: FakeLLMServer) -> None:
    client = openai.AsyncOpenAI(base_url=server.openai_url, api_key="x", max_retries=0)

    page = await client.models.list()
    await client.close()

    assert [m.id for m in page.data] == ["fake-model", "fake-fallback"]


async def test_rules_match_in_order_and_run_out(server: FakeLLMServer) -> None:
    server.on("disk", reply="disk alert", times=1)
    server.on(lambda body: body["model"] == "fake-fallback", reply="from the fallback")

    async def ask(text: str, model: str = "fake-model") -> str:
        async with httpx.AsyncClient() as client:
            body = {"model": model, "messages": [{"role": "user", "content": text}]}
            response = await client.post(f"{server.url}/api/chat", json=body | {"stream": False})
        content: str = response.json()["message"]["content"]
        return content

    assert await ask("check the disk") == "disk alert"
    assert await ask("check the disk") == "HEARTBEAT_OK"
    assert await ask("anything", model="fake-fallback") == "from the fallback"
    assert [r["messages"][0]["content"] for r in server.requests] == [
        "check the disk",
        "check the disk",
        "anything",
    ]


def test_usable_from_sync_code() -> None:
    with FakeLLMServer(models=None, default_reply="pong") as server:
        response = httpx.post(
            f"{server.url}/api/chat",
            json={"model": "any-model-at-all", "messages": MESSAGES, "stream": False},
        )
        assert response.json()["message"]["content"] == "pong"
        assert httpx.get(server.url).text == "Ollama is running"


def test_errors_take_each_protocol_shape(server: FakeLLMServer) -> None:
    server.on(None, status=503, error="overloaded")
    body = {"model": "fake-model", "messages": MESSAGES}

    native = httpx.post(f"{server.url}/api/chat", json=body)
    compatible = httpx.post(f"{server.openai_url}/chat/completions", json=body)
    not_json = httpx.post(f"{server.url}/api/chat", content=b"{")

    assert (native.status_code, native.json()) == (503, {"error": "overloaded"})
    assert compatible.status_code == 503
    assert compatible.json()["error"]["message"] == "overloaded"
    assert not_json.status_code == 400


def test_unused_local_url_has_nobody_listening() -> None:
    url = unused_local_url()

    assert url.startswith("http://127.0.0.1:")
    try:
        httpx.get(url, timeout=1)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError(f"something answered on {url}")
