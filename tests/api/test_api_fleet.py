"""The panel's reads over everything: `/api/fleet` (states, sort, filter, pages, bulk enable)
and `/api/beats` (search with a total, counts over time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx

from soulbeat.service.core import Service
from soulbeat.store.records_time import ThreadHealth
from soulbeat.testing import FakeClock, ScriptedLLM


async def _threads(client: httpx.AsyncClient, *ids: str) -> None:
    for tid in ids:
        response = await client.post("/api/threads", json={"id": tid, "title": f"T {tid}"})
        assert response.status_code == 201, response.text


async def test_fleet_states_sort_filter_and_pages(
    client: httpx.AsyncClient, service: Service
) -> None:
    await _threads(client, "a1", "b2", "c3", "d4")
    await client.post("/api/threads/b2/heartbeat/config", json={"enabled": False})
    await client.post(
        "/api/threads/c3/heartbeat/config",
        json={"active_hours": {"start": "00:00", "end": "00:00", "timezone": "UTC"}},
    )
    await client.post("/api/threads/d4/heartbeat/config", json={"dry_run": True})
    body = (await client.get("/api/fleet", params={"sort": "id"})).json()
    assert [(r["id"], r["state"]) for r in body["items"]] == [
        ("a1", "scheduled"),
        ("b2", "disabled"),
        ("c3", "quiet-hours"),
        ("d4", "scheduled"),
    ]
    assert body["total"] == 4 and body["counts"]["disabled"] == 1
    assert body["items"][1]["next_due_at"] is None
    assert body["items"][3]["dry_run"] is True

    page = await client.get("/api/fleet", params={"sort": "id", "order": "desc", "limit": 2})
    assert [r["id"] for r in page.json()["items"]] == ["d4", "c3"]
    assert page.json()["next_offset"] == 2
    assert [r["id"] for r in (await client.get("/api/fleet?state=dry-run")).json()["items"]] == [
        "d4"
    ]
    sick = ThreadHealth("a1", service.clock.now(), failed_streak=3)
    await service.store.put_health(replace(sick, unhealthy_since=sick.updated_at, episode=1))
    unhealthy = (await client.get("/api/fleet?state=unhealthy")).json()
    assert [r["id"] for r in unhealthy["items"]] == ["a1"] and unhealthy["unhealthy"] == 1
    assert unhealthy["items"][0]["health"]["state"] == "unhealthy"
    found = (await client.get("/api/fleet", params={"q": "T B"})).json()
    assert [r["id"] for r in found["items"]] == ["b2"] and found["total"] == 1

    await client.post("/api/heartbeat/stop")
    paused = (await client.get("/api/fleet", params={"state": "paused"})).json()
    assert [r["id"] for r in paused["items"]] == ["a1", "c3", "d4"] or paused["total"] == 3
    assert paused["running"] is False
    bad = await client.get("/api/fleet", params={"sort": "mood", "limit": 0})
    assert bad.status_code == 422
    assert {p["key"] for p in bad.json()["problems"]} == {"query.sort", "query.limit"}


async def test_fleet_shows_the_latest_beat_and_tokens_today(
    client: httpx.AsyncClient, llm: ScriptedLLM
) -> None:
    await _threads(client, "a1")
    llm.script("Alert: the kettle is on")
    await client.post("/api/threads/a1/heartbeat/run-now")
    row = (await client.get("/api/fleet")).json()["items"][0]
    assert row["last_beat"]["outcome"] == "sent"
    assert (
        row["tokens_today"]
        == row["last_beat"]["prompt_tokens"] + row["last_beat"]["completion_tokens"]
    )
    assert row["failing"] is False


async def test_bulk_enable_and_disable(client: httpx.AsyncClient) -> None:
    await _threads(client, "a1", "b2", "c3")
    off = await client.post(
        "/api/fleet/enabled", json={"thread_ids": ["a1", "b2"], "enabled": False}
    )
    assert off.status_code == 200 and off.json()["changed"] == ["a1", "b2"]
    states = {r["id"]: r["enabled"] for r in (await client.get("/api/fleet")).json()["items"]}
    assert states == {"a1": False, "b2": False, "c3": True}
    unknown = await client.post(
        "/api/fleet/enabled", json={"thread_ids": ["a1", "zz"], "enabled": True}
    )
    assert unknown.status_code == 404 and "zz" in unknown.json()["error"]
    assert (await client.get("/api/threads/a1")).json()["enabled"] is False  # nothing changed


async def test_history_search_counts_every_beat_beyond_one_page(
    client: httpx.AsyncClient, service: Service, llm: ScriptedLLM, clock: FakeClock
) -> None:
    """Issue 17 item 5: history must not stop at 200 beats per thread without a word."""
    await _threads(client, "a1", "b2")
    for n in range(205):
        llm.script("HEARTBEAT_OK" if n % 5 else f"Alert: kettle {n}")
        await service.run_now("a1" if n % 2 else "b2")
        await clock.advance(timedelta(seconds=30))
    first = (await client.get("/api/beats", params={"limit": 200})).json()
    assert first["total"] == 205 and len(first["items"]) == 200 and first["next_offset"] == 200
    rest = (await client.get("/api/beats", params={"limit": 200, "offset": 200})).json()
    assert len(rest["items"]) == 5 and rest["next_offset"] is None
    sent = (await client.get("/api/beats", params={"outcome": "sent"})).json()
    assert sent["total"] == 41
    text = (await client.get("/api/beats", params={"q": "KETTLE 10"})).json()
    assert [b["alert_text"] for b in text["items"]] == [
        "Alert: kettle 105",
        "Alert: kettle 100",
        "Alert: kettle 10",
    ]
    one = (await client.get("/api/beats", params={"thread": "a1", "outcome": "sent"})).json()
    assert {b["thread_id"] for b in one["items"]} == {"a1"}


async def test_beat_stats_per_hour(
    client: httpx.AsyncClient, service: Service, llm: ScriptedLLM, clock: FakeClock
) -> None:
    await _threads(client, "a1")
    for n in range(4):
        llm.script("HEARTBEAT_OK" if n % 2 else f"Alert: hi {n}")
        await service.run_now("a1")
        await clock.advance(timedelta(minutes=40))
    stats = (await client.get("/api/beats/stats", params={"bucket": "hour"})).json()
    items = stats["items"]
    assert sum(sum(b["outcomes"].values()) for b in items) == 4
    assert sum(b["outcomes"].get("sent", 0) for b in items) == 2
    assert all(b["tokens"] > 0 and b["avg_ms"] is not None for b in items)
    starts = [b["start"] for b in items]
    assert starts == sorted(starts) and all(s.endswith(":00:00+00:00") for s in starts)
    day = (await client.get("/api/beats/stats", params={"bucket": "day"})).json()["items"]
    assert sum(sum(b["outcomes"].values()) for b in day) == 4
    assert (await client.get("/api/beats/stats", params={"bucket": "week"})).status_code == 422
