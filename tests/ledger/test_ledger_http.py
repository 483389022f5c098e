"""The `/api/v1/` ledger routes through `httpx.ASGITransport` on soulbeat's own app: bodies,
errors (`success: false` with a hint), auth, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from ledger_support import API_TOKEN, AUTH, ledger_app, make_settings

from soulbeat.actions.policy import DEFAULT_RATE_LIMITS
from soulbeat.ledger.service import LedgerService
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.wiring import build

BASE = "http://soulbeat.test"


@pytest.fixture
async def service(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Service]:
    service = build(make_settings(tmp_path), clock=clock, provider=ScriptedLLM())
    await service.open()
    yield service
    await service.close()


@pytest.fixture
async def client(service: Service, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    ledger = LedgerService(service.store, clock, service.events)  # type: ignore[arg-type]
    app = ledger_app(service, ledger)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=AUTH) as c:
        yield c


async def ok(response: httpx.Response, status: int = 200) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body  # type: ignore[no-any-return]


def failed(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"] and "hint" in body, body
    return body  # type: ignore[no-any-return]


async def test_submolts_posts_and_feeds(client: httpx.AsyncClient, clock: FakeClock) -> None:
    made = await ok(await client.post("/api/v1/submolts", json={"name": "builds"}), 201)
    assert made["submolt"]["created_by"] == "person"  # type: ignore[index]
    failed(await client.post("/api/v1/submolts", json={"name": "builds"}), 409)
    failed(await client.post("/api/v1/submolts", json={"name": "No Good"}), 422)
    body = {"submolt": "builds", "title": "hello", "content": "<b>hi</b>", "author": "agent:bob"}
    post = (await ok(await client.post("/api/v1/posts", json=body), 201))["post"]
    assert post["id"] == "p_1" and post["author"] == "bob" and post["author_kind"] == "agent"  # type: ignore[index]
    assert post["content"] == "<b>hi</b>"  # type: ignore[index]
    await clock.advance(60)
    link = {"submolt": "builds", "title": "a link", "url": "https://example.org/", "author": "ann"}
    await ok(await client.post("/api/v1/posts", json=link), 201)
    newest = await ok(await client.get("/api/v1/posts", params={"sort": "new"}))
    assert [p["title"] for p in newest["posts"]] == ["a link", "hello"]  # type: ignore[attr-defined]
    one = await ok(await client.get("/api/v1/posts/p_1"))
    assert one["post"]["title"] == "hello"  # type: ignore[index]
    feed = await ok(await client.get("/api/v1/submolts/builds/feed", params={"sort": "top"}))
    assert len(feed["posts"]) == 2  # type: ignore[arg-type]
    info = await ok(await client.get("/api/v1/submolts/builds"))
    assert info["submolt"]["post_count"] == 2  # type: ignore[index]
    listed = await ok(await client.get("/api/v1/submolts"))
    assert sorted(s["name"] for s in listed["submolts"]) == ["builds", "general"]  # type: ignore[attr-defined]


async def test_comments_tree_and_votes(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/submolts", json={"name": "general"})
    for title in ("one", "two"):
        body = {"submolt": "general", "title": title, "content": "x", "author": title}
        await ok(await client.post("/api/v1/posts", json=body), 201)
    top = await ok(await client.post("/api/v1/posts/p_1/comments", json={"content": "top"}), 201)
    assert top["comment"]["id"] == "c_1"  # type: ignore[index]
    reply = {"content": "reply", "parent_id": "c_1", "author": "bob"}
    await ok(await client.post("/api/v1/posts/p_1/comments", json=reply), 201)
    tree = (await ok(await client.get("/api/v1/posts/p_1/comments")))["comments"]
    assert tree[0]["id"] == "c_1" and tree[0]["replies"][0]["author"] == "bob"  # type: ignore[index]
    cross = {"content": "elsewhere", "parent_id": "c_1"}
    failed(await client.post("/api/v1/posts/p_2/comments", json=cross), 422)

    up = await ok(await client.post("/api/v1/posts/p_1/upvote"))
    assert up["vote"] == {
        "target": "post",
        "id": "p_1",
        "change": "added",
        "your_vote": "up",
        "score": 1,
    }
    removed = await ok(await client.post("/api/v1/posts/p_1/upvote"))
    assert removed["vote"]["change"] == "removed" and removed["message"] == "Vote removed."  # type: ignore[index]
    await client.post("/api/v1/posts/p_1/upvote", json={"voter": "ann"})
    flipped = await ok(await client.post("/api/v1/posts/p_1/downvote", json={"voter": "ann"}))
    assert flipped["vote"]["change"] == "flipped" and flipped["vote"]["score"] == -1  # type: ignore[index]
    await ok(await client.post("/api/v1/comments/c_2/upvote", json={"voter": "ann"}))
    await ok(await client.post("/api/v1/comments/c_2/downvote"))
    karma = await ok(await client.get("/api/v1/agents/bob/karma", params={"kind": "person"}))
    assert karma["karma"]["comment_karma"] == 0  # type: ignore[index]
    failed(await client.post("/api/v1/comments/c_9/upvote"), 404)
    failed(await client.post("/api/v1/posts/nonsense/downvote"), 404)


async def test_subscriptions_and_the_personal_feed(client: httpx.AsyncClient) -> None:
    for name in ("general", "cats"):
        await client.post("/api/v1/submolts", json={"name": name})
        body = {"submolt": name, "title": f"in {name}", "content": "x", "author": name}
        await ok(await client.post("/api/v1/posts", json=body), 201)
    sub = await ok(await client.post("/api/v1/submolts/cats/subscribe?subscriber=agent:default"))
    assert (sub["subscribed"], sub["changed"]) == (True, True)
    again = {"subscriber": "agent:default"}
    assert (await ok(await client.post("/api/v1/submolts/cats/subscribe", json=again)))[
        "changed"
    ] is False
    mine = await ok(await client.get("/api/v1/feed", params={"subscriber": "agent:default"}))
    assert [p["title"] for p in mine["posts"]] == ["in cats"]  # type: ignore[attr-defined]
    everyone = await ok(await client.get("/api/v1/feed"))
    assert len(everyone["posts"]) == 2  # type: ignore[arg-type]
    gone = await ok(await client.request("DELETE", "/api/v1/submolts/cats/subscribe", json=again))
    assert (gone["subscribed"], gone["changed"]) == (False, True)
    failed(await client.post("/api/v1/submolts/cats/subscribe"), 400)
    failed(await client.post("/api/v1/submolts/nowhere/subscribe?subscriber=ann"), 404)


async def test_bad_requests_are_refused_with_success_false(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/submolts", json={"name": "general"})
    missing_title = failed(await client.post("/api/v1/posts", json={"submolt": "general"}), 422)
    assert missing_title["problems"]
    both = {"submolt": "general", "title": "t", "content": "x", "url": "https://e.org/"}
    failed(await client.post("/api/v1/posts", json=both), 422)
    failed(
        await client.post(
            "/api/v1/posts", json={"submolt": "nowhere", "title": "t", "content": "x"}
        ),
        404,
    )
    failed(await client.get("/api/v1/posts", params={"sort": "sideways"}), 422)
    failed(await client.get("/api/v1/posts", params={"limit": 1000}), 422)
    failed(await client.get("/api/v1/posts/p_77"), 404)
    body = {"submolt": "general", "title": "t", "content": "x", "author_kind": "robot"}
    failed(await client.post("/api/v1/posts", json=body), 422)


async def test_every_route_needs_the_token(client: httpx.AsyncClient) -> None:
    paths = [("GET", "/api/v1/posts"), ("POST", "/api/v1/posts"), ("GET", "/api/v1/feed")]
    paths += [("POST", "/api/v1/posts/p_1/upvote"), ("GET", "/api/v1/agents/x/karma")]
    for method, path in paths:
        none = failed(await client.request(method, path, headers={"Authorization": ""}), 401)
        assert "token" in str(none["hint"])
        wrong = {"Authorization": "Bearer not-" + API_TOKEN}
        failed(await client.request(method, path, headers=wrong), 403)


async def test_rate_limit_is_429_with_retry_after(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert DEFAULT_RATE_LIMITS["post"][0].max == 1
    await client.post("/api/v1/submolts", json={"name": "general"})
    first = {"submolt": "general", "title": "one", "content": "x", "author": "agent:ann"}
    await ok(await client.post("/api/v1/posts", json=first), 201)
    await clock.advance(timedelta(minutes=10))
    second = first | {"title": "two"}
    refused = failed(await client.post("/api/v1/posts", json=second), 429)
    assert refused["hint"] == "try again after 2026-01-01T00:30:00+00:00"
    response = await client.post("/api/v1/posts", json=second)
    assert response.headers["Retry-After"] == "1200"
    await ok(await client.post("/api/v1/posts", json=second | {"author": "agent:bob"}), 201)
    await clock.advance(timedelta(minutes=20))
    await ok(await client.post("/api/v1/posts", json=second), 201)


async def test_a_server_without_a_ledger_says_so(service: Service) -> None:
    app = ledger_app(service, None)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=AUTH) as c:
        body = failed(await c.get("/api/v1/posts"), 503)
        assert body["error"] == "this server has no ledger"


async def test_a_person_is_not_held_to_the_agents_limits(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """Issue 10, item 8: three posts by hand in a minute (the daily-summary example) are fine;
    a runaway script is still stopped (10 posts a minute)."""
    await client.post("/api/v1/submolts", json={"name": "general"})
    for n in range(10):
        body = {"submolt": "general", "title": f"by hand {n}", "content": f"post {n}"}
        await ok(await client.post("/api/v1/posts", json=body), 201)
        await clock.advance(timedelta(seconds=1))
    eleventh = {"submolt": "general", "title": "one more", "content": "too fast"}
    failed(await client.post("/api/v1/posts", json=eleventh), 429)
