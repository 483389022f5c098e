"""The seed's heartbeat endpoints: status, start/stop, thread config, run-now, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM


def _effective(body: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    return {row["key"]: (row["value"], row["source"]) for row in body["effective"]}


async def test_status_start_and_stop(client: httpx.AsyncClient) -> None:
    status = (await client.get("/api/heartbeat/status")).json()
    assert status["running"] is True
    assert status["in_flight"] == [] and status["threads"] == 0
    stopped = await client.post("/api/heartbeat/stop")
    assert stopped.status_code == 200 and stopped.json()["running"] is False
    assert (await client.get("/api/heartbeat/status")).json()["running"] is False
    started = await client.post("/api/heartbeat/start")
    assert started.json()["running"] is True


async def test_config_shows_effective_values_with_sources(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    body = (await client.get(f"/api/threads/{thread_id}/heartbeat/config")).json()
    assert body["thread_id"] == thread_id and body["enabled"] is True
    assert body["overrides"] == {}
    assert _effective(body)["every"] == ("30m", "default")


HOURS_9_TO_10 = {"start": "09:00", "end": "10:00", "timezone": "user"}
OVERNIGHT = {"start": "22:00", "end": "06:00", "timezone": "user"}


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"every": "2h"}, {"every": "2h"}),
        ({"every_seconds": 86400}, {"every": "1d"}),
        ({"active_hours_start": 9, "active_hours_end": 10}, {"active_hours": HOURS_9_TO_10}),
        ({"Every": "45m", "AckMaxChars": 120}, {"every": "45m", "ack_max_chars": 120}),
        ({"ActiveHours": {"Start": "22:00", "End": "06:00"}}, {"active_hours": OVERNIGHT}),
    ],
    ids=["snake", "every_seconds", "flat-hours", "pascal", "pascal-nested"],
)
async def test_config_accepts_every_spelling(
    client: httpx.AsyncClient, thread_id: str, changes: dict[str, Any], stored: dict[str, Any]
) -> None:
    response = await client.post(f"/api/threads/{thread_id}/heartbeat/config", json=changes)
    assert response.status_code == 200, response.text
    assert response.json()["overrides"] == stored
    effective = _effective(response.json())
    assert all(effective[key] == (value, "thread") for key, value in stored.items())


async def test_config_merges_removes_and_replaces(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    await client.post(url, json={"every": "2h", "dry_run": True})
    merged = (await client.post(url, json={"Every": "3h"})).json()
    assert merged["overrides"] == {"every": "3h", "dry_run": True}
    removed = (await client.post(url, json={"every": None})).json()
    assert removed["overrides"] == {"dry_run": True}
    assert _effective(removed)["every"] == ("30m", "default")
    replaced = (await client.post(f"{url}?replace=true", json={"model": "m1"})).json()
    assert replaced["overrides"] == {"model": "m1"}


async def test_enabled_is_the_stored_thread_flag(client: httpx.AsyncClient, thread_id: str) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    body = (await client.post(url, json={"enabled": False})).json()
    assert body["enabled"] is False and body["overrides"] == {}
    assert (await client.get(f"/api/threads/{thread_id}")).json()["enabled"] is False
    assert (await client.post(url, json={"Enabled": True})).json()["enabled"] is True


@pytest.mark.parametrize(
    ("changes", "key", "value", "expected"),
    [
        ({"every": "1h 30m"}, "every", "1h 30m", "a duration"),
        ({"target": "Foo Bar"}, "target", "Foo Bar", "thread, last, none"),
        (
            {"active_hours": {"start": "25:00", "end": "10:00"}},
            "active_hours.start",
            "25:00",
            "HH:MM",
        ),
        ({"enabled": "yes"}, "enabled", "yes", "true or false"),
    ],
    ids=["every", "target", "hours", "enabled"],
)
async def test_invalid_config_is_a_422_naming_key_value_and_expected(
    client: httpx.AsyncClient,
    thread_id: str,
    changes: dict[str, Any],
    key: str,
    value: Any,
    expected: str,
) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    response = await client.post(url, json=changes)
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert problem["key"] == key and problem["value"] == value
    assert expected in (problem["expected"] or problem["message"])
    assert (await client.get(url)).json()["overrides"] == {}  # nothing was stored


async def test_unknown_key_and_non_object_body_are_422(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    unknown = await client.post(url, json={"evry": "2h"})
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["key"] == "evry"
    assert "every" in unknown.json()["problems"][0]["message"]  # the known keys are listed
    not_object = await client.post(url, json=["every", "2h"])
    assert not_object.status_code == 422
    assert not_object.json()["problems"][0]["key"] == "body"


async def test_config_of_unknown_thread_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/threads/nope/heartbeat/config")
    assert response.status_code == 404
    assert "nope" in response.json()["error"]


async def test_run_now_returns_the_outcome(
    client: httpx.AsyncClient, thread_id: str, llm: ScriptedLLM
) -> None:
    llm.script("Alert: the kettle is still on")
    response = await client.post(f"/api/threads/{thread_id}/heartbeat/run-now")
    assert response.status_code == 200, response.text
    beat = response.json()
    assert beat["reason"] == "manual" and beat["outcome"] == "sent"
    assert beat["audit_url"] == f"/api/beats/{beat['id']}"
    assert beat["alert_text"] == "Alert: the kettle is still on"
    messages = (await client.get(f"/api/threads/{thread_id}/messages")).json()["items"]
    assert messages[-1]["text"] == "Alert: the kettle is still on"
    llm.assert_script_consumed()


async def test_run_now_of_a_skill_and_of_unknown_ones(
    client: httpx.AsyncClient, thread_id: str, llm: ScriptedLLM
) -> None:
    llm.script("HEARTBEAT_OK")
    url = f"/api/threads/{thread_id}/heartbeat/run-now"
    skill = await client.post(url, json={"skill": "inbox-watch"})
    assert skill.status_code == 200, skill.text
    assert skill.json()["skill"] == "inbox-watch" and skill.json()["outcome"] == "ok-token"
    missing = await client.post(url, json={"skill": "no-such-skill"})
    assert missing.status_code == 404
    bad = await client.post(url, json={"skill": "../etc"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["key"] == "body.skill"
    assert (await client.post("/api/threads/nope/heartbeat/run-now")).status_code == 404


async def test_history_pages_and_filters(
    client: httpx.AsyncClient, service: Service, thread_id: str, llm: ScriptedLLM, clock: FakeClock
) -> None:
    llm.script("HEARTBEAT_OK", "Alert: one", "HEARTBEAT_OK")
    url = f"/api/threads/{thread_id}/heartbeat/run-now"
    for _ in range(3):
        assert (await client.post(url)).status_code == 200
        await clock.advance(timedelta(minutes=1))
    history = f"/api/threads/{thread_id}/heartbeat/history"
    first = (await client.get(history, params={"limit": 2})).json()
    assert [b["outcome"] for b in first["items"]] == ["ok-token", "sent"]
    assert first["next_offset"] == 2
    rest = (await client.get(history, params={"limit": 2, "offset": 2})).json()
    assert [b["outcome"] for b in rest["items"]] == ["ok-token"] and rest["next_offset"] is None
    sent = (await client.get(history, params={"outcome": "sent"})).json()["items"]
    assert len(sent) == 1 and sent[0]["alert_text"] == "Alert: one"
    bad = await client.get(history, params={"outcome": "great", "limit": 0})
    assert bad.status_code == 422
    assert {p["key"] for p in bad.json()["problems"]} == {"query.outcome", "query.limit"}
    assert (await client.get("/api/threads/nope/heartbeat/history")).status_code == 404
