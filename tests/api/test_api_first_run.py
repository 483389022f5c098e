"""First-run refusals and advice through the API (issue 10): targets that go nowhere, intervals
under 1 s, absurd token counts; intervals under 30 s are accepted with a warning (SPEC §9.2)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from soulbeat.api import create_app
from soulbeat.config.settings import Settings
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.wiring import build


def _url(thread_id: str) -> str:
    return f"/api/threads/{thread_id}/heartbeat/config"


async def test_unknown_target_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    response = await client.post(_url(thread_id), json={"target": "nosuch"})
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert problem["key"] == "target" and problem["value"] == "nosuch"
    assert "[channels.nosuch]" in problem["message"]
    assert (await client.get(_url(thread_id))).json()["overrides"] == {}


async def test_a_configured_channel_is_a_target(
    tmp_path: Path, workspace: Path, clock: FakeClock
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        workspace=workspace,
        channels={"pager": {"url": "http://127.0.0.1:9/hook"}},
    )
    service = build(settings, clock=clock, provider=ScriptedLLM())
    await service.open()
    try:
        await service.create_thread(thread_id="t1")
        view = await service.configure_thread("t1", {"target": "pager"})
        assert view.overrides == {"target": "pager"}
        with pytest.raises(Exception, match=r"expected thread, last, none or pager"):
            await service.configure_thread("t1", {"target": "pagr"})
    finally:
        await service.close()


@pytest.mark.parametrize("every", ["1ms", "999ms", "0.5s"])
async def test_intervals_under_one_second_are_refused(
    client: httpx.AsyncClient, thread_id: str, every: str
) -> None:
    response = await client.post(_url(thread_id), json={"every": every})
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert (problem["key"], problem["value"]) == ("every", every)
    assert "at least 1s" in problem["message"]


async def test_intervals_under_thirty_seconds_are_accepted_with_a_warning(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    body = (await client.post(_url(thread_id), json={"every": "10s"})).json()
    assert body["overrides"] == {"every": "10s"}
    warning, flood = body["warnings"]
    assert warning.startswith('every: "10s" is under 30s') and "8,640 calls a day" in warning
    assert "flood guard" in flood and "one every 12s" in flood  # issue 16: said, not silent
    assert (await client.get(_url(thread_id))).json()["warnings"] == [warning, flood]
    calm = (await client.post(_url(thread_id), json={"every": "30s"})).json()
    assert calm["warnings"] == []


async def test_absurd_max_tokens_is_refused_by_name(
    client: httpx.AsyncClient, thread_id: str
) -> None:
    body = '{"max_tokens": 1' + "0" * 500 + "}"
    response = await client.post(
        _url(thread_id), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert problem["key"] == "max_tokens"
    assert "too large" in problem["message"] and "501 digits" in problem["message"]
    ok = await client.post(_url(thread_id), json={"max_tokens": 4096})
    assert ok.json()["overrides"] == {"max_tokens": 4096}


async def test_every_operation_id_is_unique(service: Service) -> None:
    """Each route once: `/api/v1` (the ledger) and `/api/approvals` included by `create_app`
    only, so the OpenAPI document has no duplicate operation id (FastAPI would warn)."""
    schema = create_app(service).openapi()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert "/api/v1/posts" in schema["paths"] and "/api/approvals" in schema["paths"]


async def test_a_fresh_board_starts_with_general(client: httpx.AsyncClient) -> None:
    """Issue 10, item 8: Moltbook starts with `general`, and so does soulbeat's board; the seed's
    summary bot posts there on day one. A restart does not make it twice."""
    body = (await client.get("/api/v1/submolts")).json()
    assert [s["name"] for s in body["submolts"]] == ["general"]
    made = await client.post(
        "/api/v1/posts", json={"submolt": "general", "title": "Hi", "content": "first"}
    )
    assert made.status_code == 201, made.text
