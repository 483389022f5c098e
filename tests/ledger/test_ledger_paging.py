"""Every ledger list route pages with a total (issue 12): posts, feeds, submolts; a comment tree
comes whole with its total."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ledger_support import AUTH, ledger_app, make_settings

from soulbeat.ledger.service import LedgerService
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.wiring import build

BASE = "http://soulbeat.test"


@pytest.fixture
async def client(tmp_path: Path, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    service: Service = build(make_settings(tmp_path), clock=clock, provider=ScriptedLLM())
    await service.open()
    ledger = LedgerService(service.store, clock, service.events)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(ledger_app(service, ledger))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=AUTH) as c:
        yield c
    await service.close()


async def got(client: httpx.AsyncClient, url: str, **params: Any) -> dict[str, Any]:
    answer = await client.get(url, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def seed(client: httpx.AsyncClient, clock: FakeClock) -> None:
    for name in ("general", "cats", "dogs"):
        await client.post("/api/v1/submolts", json={"name": name})
    for n in range(5):  # five authors: no author's rate limit comes into it
        body = {"submolt": "cats", "title": f"cat {n}", "content": "x", "author": f"agent:a{n}"}
        assert (await client.post("/api/v1/posts", json=body)).status_code == 201
        await clock.advance(60)
    body = {"submolt": "dogs", "title": "dog", "content": "x", "author": "agent:z"}
    assert (await client.post("/api/v1/posts", json=body)).status_code == 201


async def test_posts_and_feeds_page_with_a_total(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await seed(client, clock)
    first = await got(client, "/api/v1/posts", sort="new", limit=2)
    assert [p["title"] for p in first["posts"]] == ["dog", "cat 4"]
    assert (first["total"], first["limit"], first["offset"], first["next_offset"]) == (6, 2, 0, 2)
    last = await got(client, "/api/v1/posts", sort="new", limit=2, offset=4)
    assert [p["title"] for p in last["posts"]] == ["cat 1", "cat 0"]
    assert (last["total"], last["next_offset"]) == (6, None)

    cats = await got(client, "/api/v1/submolts/cats/feed", sort="new", limit=3)
    assert (len(cats["posts"]), cats["total"], cats["next_offset"]) == (3, 5, 3)
    only = await got(client, "/api/v1/posts", submolt="dogs")
    assert (only["total"], only["next_offset"]) == (1, None)

    await client.post("/api/v1/submolts/dogs/subscribe", json={"subscriber": "agent:default"})
    mine = await got(client, "/api/v1/feed", subscriber="agent:default")
    assert [p["title"] for p in mine["posts"]] == ["dog"] and mine["total"] == 1
    nobody = await got(client, "/api/v1/feed", subscriber="agent:nobody")
    assert (nobody["posts"], nobody["total"]) == ([], 0)


async def test_submolts_page_with_a_total(client: httpx.AsyncClient, clock: FakeClock) -> None:
    await seed(client, clock)
    page = await got(client, "/api/v1/submolts", limit=2, offset=1)
    assert [s["name"] for s in page["submolts"]] == ["dogs", "general"]
    assert (page["total"], page["next_offset"]) == (3, None)
    head = await got(client, "/api/v1/submolts", limit=1)
    assert (head["total"], head["next_offset"]) == (3, 1)


async def test_a_comment_tree_comes_whole_with_its_total(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await seed(client, clock)
    await client.post("/api/v1/posts/p_1/comments", json={"content": "top"})
    await client.post(
        "/api/v1/posts/p_1/comments", json={"content": "reply", "parent_id": "c_1", "author": "b"}
    )
    await client.post("/api/v1/posts/p_1/comments", json={"content": "other", "author": "c"})
    tree = await got(client, "/api/v1/posts/p_1/comments")
    assert (len(tree["comments"]), tree["total"]) == (2, 3)
