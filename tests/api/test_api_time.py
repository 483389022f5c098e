"""Issue 16 over HTTP: cron in a thread's config, reminders, health (fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from soulbeat.testing import FakeClock


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_cron_config_shows_the_next_five_fires(
    client: httpx.AsyncClient, thread_id: str, clock: FakeClock
) -> None:
    await clock.set(utc("2026-03-26T12:00"))  # Thursday before Berlin's spring-forward
    body = {"cron": "0 9 * * MON-FRI", "timezone": "Europe/Berlin"}
    response = await client.post(f"/api/threads/{thread_id}/heartbeat/config", json=body)
    assert response.status_code == 200, response.text
    fires = response.json()["next_fires"]
    assert fires == [
        "2026-03-27T08:00:00+00:00",
        "2026-03-30T07:00:00+00:00",
        "2026-03-31T07:00:00+00:00",
        "2026-04-01T07:00:00+00:00",
        "2026-04-02T07:00:00+00:00",
    ]
    rows = {r["key"]: r for r in response.json()["effective"]}
    assert rows["cron"]["value"] == "0 9 * * MON-FRI" and rows["cron"]["source"] == "thread"
    schedule = (await client.get(f"/api/threads/{thread_id}/schedule")).json()
    assert schedule["cron"] == "0 9 * * MON-FRI" and schedule["next_fires"] == fires
    assert schedule["next_due_at"] == fires[0]


async def test_invalid_cron_and_both_cadences_are_refused_by_name(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    bad = await client.post(url, json={"cron": "0 25 * * *"})
    assert bad.status_code == 422 and "cron" in bad.text and "five fields" in bad.text
    both = await client.post(url, json={"cron": "0 9 * * *", "every": "1h"})
    assert both.status_code == 422 and "set together with every" in both.text
    zone = await client.post(url, json={"cron": "0 9 * * *", "timezone": "Mars/Base"})
    assert zone.status_code == 422 and "timezone" in zone.text
    assert (await client.get(url)).json()["next_fires"] == []  # nothing was stored


async def test_short_intervals_say_what_the_flood_guard_does(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    warnings = (await client.post(url, json={"every": "5s"})).json()["warnings"]
    assert any("flood guard" in w and "12s" in w for w in warnings)
    assert not any(
        "flood" in w for w in (await client.post(url, json={"every": "20s"})).json()["warnings"]
    )


async def test_reminders_are_added_listed_and_cancelled(
    client: httpx.AsyncClient, thread_id: str, clock: FakeClock
) -> None:
    await clock.set(utc("2026-06-01T10:00"))
    url = f"/api/threads/{thread_id}/reminders"
    soon = await client.post(url, json={"text": "stand up", "in": "2h"})
    assert soon.status_code == 201, soon.text
    body = soon.json()
    assert body["due_at"] == "2026-06-01T12:00:00+00:00" and body["status"] == "pending"
    assert body["reason"] == f"reminder:{body['id']}" and body["created_by"] == "person"
    wall = await client.post(url, json={"text": "call", "at": "2026-06-02T08:00", "urgent": True})
    assert wall.status_code == 201 and wall.json()["urgent"] is True
    listed = (await client.get(url)).json()
    assert [r["text"] for r in listed["items"]] == ["stand up", "call"]
    cancelled = await client.delete(f"{url}/{body['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    pending = (await client.get(url, params={"status": "pending"})).json()["items"]
    assert [r["text"] for r in pending] == ["call"]
    schedule = (await client.get(f"/api/threads/{thread_id}/schedule")).json()
    assert [r["text"] for r in schedule["reminders"]] == ["call"]
    assert (await client.delete(f"{url}/999")).status_code == 404
    assert (await client.get("/api/threads/nope/reminders")).status_code == 404


async def test_bad_reminders_are_refused_by_name(
    client: httpx.AsyncClient, thread_id: str, clock: FakeClock
) -> None:
    await clock.set(utc("2026-06-01T10:00"))
    url = f"/api/threads/{thread_id}/reminders"
    cases = [
        ({"text": "x"}, "exactly one"),
        ({"text": "x", "in": "2h", "at": "2026-06-02T08:00"}, "exactly one"),
        ({"text": "x", "at": "yesterday"}, "at:"),
        ({"text": "x", "at": "2026-05-01T08:00Z"}, "not in the future"),
        ({"text": "x", "in": "1h30"}, "in:"),
        ({"text": "   ", "in": "1h"}, "text:"),
    ]
    for body, says in cases:
        response = await client.post(url, json=body)
        assert response.status_code == 422 and says in response.text, (body, response.text)
    await client.post(
        f"/api/threads/{thread_id}/heartbeat/config", json={"max_pending_reminders": 1}
    )
    assert (await client.post(url, json={"text": "one", "in": "1h"})).status_code == 201
    over = await client.post(url, json={"text": "two", "in": "1h"})
    assert over.status_code == 422 and "max_pending_reminders" in over.text


async def test_health_routes_start_healthy(client: httpx.AsyncClient, thread_id: str) -> None:
    health = (await client.get(f"/api/threads/{thread_id}/health")).json()
    assert health == {"thread_id": thread_id, "state": "healthy", "failed_streak": 0}
    fleet = (await client.get("/api/health/threads")).json()
    assert fleet == {"items": [], "unhealthy": 0}
