"""Issue 16 over HTTP: cron in a thread's config, reminders, health (fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.testing.llm import tool_calls_reply, tool_reply


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


async def test_the_model_schedules_its_own_follow_up_within_bounds(
    client: httpx.AsyncClient, thread_id: str, clock: FakeClock, llm: ScriptedLLM
) -> None:
    await clock.set(utc("2026-06-01T10:00"))
    url = f"/api/threads/{thread_id}"
    config = {"max_pending_reminders": 1, "idle_pause": "0"}
    await client.post(f"{url}/heartbeat/config", json=config)
    llm.script(
        tool_calls_reply(
            ("heartbeat_remind", {"text": "check the deploy again", "in": "2h"}),
            ("heartbeat_remind", {"text": "too soon", "in": "1m"}),
        ),
        tool_calls_reply(("heartbeat_remind", {"text": "over the cap", "in": "3h"})),
        tool_reply("heartbeat_respond", {"notify": False, "summary": "deploy running"}),
    )
    beat = await client.post(f"{url}/heartbeat/run-now")
    assert beat.status_code == 200, beat.text
    offered = [tool.name for tool in llm.requests[0].tools]
    assert "heartbeat_remind" in offered
    reminders = (await client.get(f"{url}/reminders")).json()["items"]
    assert [(r["text"], r["created_by"], r["due_at"]) for r in reminders] == [
        ("check the deploy again", "model", "2026-06-01T12:00:00+00:00")
    ]
    answers = [m.content for m in llm.requests[1].messages if m.role == "tool"]
    assert '"executed"' in answers[0] and "reminder_min_delay" in answers[1]
    later = [m.content for m in llm.requests[2].messages if m.role == "tool"]
    assert "max_pending_reminders" in later[-1]
    await client.post(f"{url}/heartbeat/config", json={"max_pending_reminders": 0})
    llm.script(tool_reply("heartbeat_respond", {"notify": False, "summary": "ok"}))
    await client.post(f"{url}/heartbeat/run-now")
    assert "heartbeat_remind" not in [tool.name for tool in llm.requests[-1].tools]


async def test_a_skill_may_beat_on_cron(
    client: httpx.AsyncClient, thread_id: str, clock: FakeClock, workspace: Path
) -> None:
    await clock.set(utc("2026-03-27T12:00"))  # Friday
    skill = workspace / ".agents" / "skills" / "inbox-watch" / "SKILL.md"
    text = skill.read_text()
    skill.write_text(
        text.replace('every: "1h"', 'cron: "30 8 * * MON-FRI"\n  timezone: Europe/Berlin')
    )
    detail = (await client.get(f"/api/threads/{thread_id}")).json()
    [watch] = [s for s in detail["schedules"] if s["skill"] == "inbox-watch"]
    assert watch["next_due_at"] == "2026-03-30T06:30:00+00:00"  # Monday 08:30 CEST


async def test_a_health_target_must_be_a_configured_channel(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    url = f"/api/threads/{thread_id}/heartbeat/config"
    refused = await client.post(url, json={"health_target": "pager"})
    assert refused.status_code == 422 and "health_target" in refused.text
    assert "not a configured channel" in refused.text
    assert (await client.post(url, json={"health_target": "thread"})).status_code == 200


async def test_an_out_of_range_reminder_id_is_a_422(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    huge = await client.delete(f"/api/threads/{thread_id}/reminders/{2**120}")
    assert huge.status_code == 422
    assert (await client.delete(f"/api/threads/{thread_id}/reminders/0")).status_code == 422
