"""Fleet paths of the API (issue 12): many threads added in one request, every list route pages
with a total, and the status route counts threads in SQL."""

from __future__ import annotations

import httpx
import pytest

from soulbeat.service.core import Service
from soulbeat.testing import ScriptedLLM


async def test_bulk_add_pages_and_counts(client: httpx.AsyncClient, service: Service) -> None:
    made = await client.post("/api/threads/bulk", json={"count": 250, "prefix": "f-"})
    assert made.status_code == 201, made.text
    assert made.json() == {"added": 250, "total": 250}
    listed = (await client.post("/api/threads/bulk", json={"threads": [{"id": "x1"}]})).json()
    assert listed == {"added": 1, "total": 251}
    first = (await client.get("/api/threads?limit=100")).json()
    assert (len(first["items"]), first["total"], first["next_offset"]) == (100, 251, 100)
    last = (await client.get("/api/threads?limit=100&offset=200")).json()
    assert [t["id"] for t in last["items"]][-1] == "x1"
    assert (len(last["items"]), last["total"], last["next_offset"]) == (51, 251, None)
    status = (await client.get("/api/heartbeat/status")).json()
    assert status["threads"] == 251
    await service.scheduler.run_due()  # the first planning of all 251, in bulk
    planned = (await client.get("/api/threads?limit=5")).json()["items"]
    assert all(t["next_due_at"] is not None for t in planned)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"threads": [{"id": "ok"}, {"id": "has space"}]}, "has space"),
        ({"threads": [{"id": "twice"}, {"id": "twice"}]}, "twice"),
        ({"count": 2, "agent": "ghost"}, "ghost"),
    ],
)
async def test_bulk_add_refuses_the_whole_batch_naming_the_problem(
    client: httpx.AsyncClient, body: dict[str, object], named: str
) -> None:
    refused = await client.post("/api/threads/bulk", json=body)
    assert refused.status_code in (400, 422), refused.text
    assert named in refused.text
    assert (await client.get("/api/threads")).json()["total"] == 0


async def test_bulk_add_refuses_a_taken_id_and_adds_nothing(client: httpx.AsyncClient) -> None:
    await client.post("/api/threads", json={"id": "kitchen"})
    refused = await client.post(
        "/api/threads/bulk", json={"threads": [{"id": "new1"}, {"id": "kitchen"}]}
    )
    assert refused.status_code in (400, 409, 422) and "kitchen" in refused.text
    assert (await client.get("/api/threads")).json()["total"] == 1


async def test_history_pages_with_a_total(client: httpx.AsyncClient, llm: ScriptedLLM) -> None:
    await client.post("/api/threads", json={"id": "t1"})
    llm.script("HEARTBEAT_OK", "HEARTBEAT_OK", "HEARTBEAT_OK")
    for _ in range(3):
        assert (await client.post("/api/threads/t1/heartbeat/run-now")).status_code == 200
    page = (await client.get("/api/threads/t1/heartbeat/history?limit=2")).json()
    assert (len(page["items"]), page["total"], page["next_offset"]) == (2, 3, 2)
    rest = (await client.get("/api/threads/t1/heartbeat/history?limit=2&offset=2")).json()
    assert (len(rest["items"]), rest["total"], rest["next_offset"]) == (1, 3, None)
