"""Health, metrics, doctor, the page at `/`, and the app's manners (limits, CORS, errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from soulbeat.api import create_app
from soulbeat.service.core import Service
from soulbeat.testing import ScriptedLLM

BASE_URL = "http://soulbeat.test"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_beats_tokens_and_latency(
    client: httpx.AsyncClient, thread_id: str, llm: ScriptedLLM
) -> None:
    llm.script("Alert: the fridge door is open")
    await client.post(f"/api/threads/{thread_id}/heartbeat/run-now")
    await client.post(f"/api/threads/{thread_id}/heartbeat/config", json={"enabled": False})
    await client.post(f"/api/threads/{thread_id}/heartbeat/run-now")  # skipped: disabled
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("soulbeat_beats_total", (("outcome", "sent"), ("skip_reason", "")))] == 1
    skipped = (("outcome", "skipped"), ("skip_reason", "disabled"))
    assert samples[("soulbeat_beats_total", skipped)] == 1
    assert samples[("soulbeat_beats_started_total", ())] == 1
    assert samples[("soulbeat_tokens_total", (("kind", "prompt"),))] > 0
    assert samples[("soulbeat_model_latency_seconds_count", ())] == 1
    assert samples[("soulbeat_beat_duration_seconds_count", ())] == 1
    assert samples[("soulbeat_beats_in_flight", ())] == 0
    assert samples[("soulbeat_threads", ())] == 1
    assert samples[("soulbeat_scheduler_enabled", ())] == 1
    again = _samples((await client.get("/metrics")).text)
    assert again[("soulbeat_model_latency_seconds_count", ())] == 1  # counted once


async def test_doctor_reports_on_the_workspace(client: httpx.AsyncClient) -> None:
    report = (await client.get("/api/doctor")).json()
    assert report["ok"] is True
    assert any(f["topic"] == "heartbeat" for f in report["findings"])
    assert (await client.get("/api/doctor", params={"agent": "ghost"})).status_code == 404


async def test_root_says_how_to_build_the_panel(service: Service, tmp_path: Path) -> None:
    for static_dir in (tmp_path / "not-built", None):
        app = create_app(service, static_dir=static_dir)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
            response = await c.get("/")
        assert response.status_code == 200
        assert "make panel" in response.text and "npm --prefix web run build" in response.text


async def test_a_built_panel_is_served_at_root(service: Service, tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<html>panel</html>")
    (static / "assets" / "app.js").write_text("console.log(1)")
    app = create_app(service, static_dir=static)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        assert (await c.get("/")).text == "<html>panel</html>"
        assert (await c.get("/assets/app.js")).text == "console.log(1)"
        assert (await c.get("/healthz")).status_code == 200
        assert (await c.get("/api/threads")).status_code == 401  # the API still wins


async def test_no_cors_unless_asked(anon: httpx.AsyncClient, service: Service) -> None:
    origin = {"Origin": "https://panel.example"}
    plain = await anon.get("/healthz", headers=origin)
    assert "access-control-allow-origin" not in plain.headers
    app = create_app(service, cors_origins=["https://panel.example"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        allowed = await c.get("/healthz", headers=origin)
        assert allowed.headers["access-control-allow-origin"] == "https://panel.example"
        other = await c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_body_over_the_limit_is_413(client: httpx.AsyncClient, thread_id: str) -> None:
    big = "x" * (1024 * 1024 + 10)
    response = await client.post(f"/api/threads/{thread_id}/messages", json={"text": big})
    assert response.status_code == 413
    assert "1048576" in response.json()["hint"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it is read
        yield b'{"text": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    chunked = await client.post(
        f"/api/threads/{thread_id}/messages",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert chunked.status_code == 413
    assert "1048576" in chunked.json()["hint"]
    assert (await client.get(f"/api/threads/{thread_id}/messages")).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/threads/t1/heartbeat/config", b'{"temperature": NaN}'),
        ("/api/threads/t1/heartbeat/config", b'{"every_seconds": Infinity}'),
        ("/api/threads/t1/heartbeat/config", b'{"every": "\\ud800"}'),
        ("/api/threads/t1/heartbeat/config", b"{not json"),
        ("/api/soul/rollback", b'{"version": NaN}'),
        ("/api/threads", b'{"id": "\\ud800"}'),
        ("/api/threads", b"\xff\xfe"),
        ("/api/threads/t1/heartbeat/config", b'{"a": ' + b"[" * 900 + b"]" * 900 + b"}"),
        ("/api/threads/t1/heartbeat/config", b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
        ("/api/threads/t1/heartbeat/config", b'{"every": "' + b"9" * 5000 + b's"}'),
        ("/api/threads/t1/heartbeat/config", b'{"max_tokens": ' + b"9" * 5000 + b"}"),
    ],
)
async def test_odd_bodies_are_client_errors(
    client: httpx.AsyncClient, thread_id: str, path: str, raw: bytes
) -> None:
    response = await client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


async def test_wrong_method_and_unknown_path_are_json(client: httpx.AsyncClient) -> None:
    wrong = await client.delete("/api/heartbeat/status")
    assert wrong.status_code == 405 and "error" in wrong.json()
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"] == "no such endpoint: GET /api/nothing-here"


async def test_an_unexpected_error_is_a_500_with_a_json_body(
    service: Service, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "status_json", broken)
    app = create_app(service)
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as c:
        response = await c.get("/api/heartbeat/status")
    assert response.status_code == 500
    assert response.json()["error"] == "internal error"
    assert "boom" not in response.text  # no internals leak


async def test_openapi_documents_the_api(anon: httpx.AsyncClient) -> None:
    schema = (await anon.get("/openapi.json")).json()
    assert "/api/threads/{tid}/heartbeat/config" in schema["paths"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_dry_run_beat_is_would_send_in_history_and_metrics(
    client: httpx.AsyncClient, thread_id: str, llm: ScriptedLLM
) -> None:
    """SPEC §9.3: a dry run that would have alerted ends `would-send`, never `sent`."""
    await client.post(f"/api/threads/{thread_id}/heartbeat/config", json={"dry_run": True})
    llm.script("Alert: the fridge door is open")
    beat = (await client.post(f"/api/threads/{thread_id}/heartbeat/run-now")).json()
    assert beat["outcome"] == "would-send" and beat["alert_text"] is None
    history = await client.get(
        f"/api/threads/{thread_id}/heartbeat/history", params={"outcome": "would-send"}
    )
    assert history.status_code == 200 and [b["id"] for b in history.json()["items"]] == [beat["id"]]
    sent = await client.get(
        f"/api/threads/{thread_id}/heartbeat/history", params={"outcome": "sent"}
    )
    assert sent.json()["items"] == []
    samples = _samples((await client.get("/metrics")).text)
    assert samples[("soulbeat_beats_total", (("outcome", "would-send"), ("skip_reason", "")))] == 1
    assert ("soulbeat_beats_total", (("outcome", "sent"), ("skip_reason", ""))) not in samples
    assert samples[("soulbeat_beat_duration_seconds_count", ())] == 1
