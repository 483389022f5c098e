"""The approval flow end to end through HTTP, on the full wiring (`wiring.build`) and
`create_app`: a thread whose posts need approval, a scripted model that proposes one, the
audit record, `GET /api/approvals`, approve (the post lands in the ledger), reject, 409, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from soulbeat.api import create_app
from soulbeat.config.settings import Settings
from soulbeat.ledger.service import LedgerService
from soulbeat.service.core import Service
from soulbeat.store.records_board import Actor
from soulbeat.testing import FakeClock, ScriptedLLM, tool_reply
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

BASE = "http://soulbeat.test"
TOKEN = "approvals-test-token"
PEOPLE = Actor("person", "ann")


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
async def service(tmp_path: Path, clock: FakeClock, llm: ScriptedLLM) -> AsyncIterator[Service]:
    workspace = tmp_path / "workspace"
    init_workspace(workspace)
    settings = Settings(data_dir=tmp_path / "data", workspace=workspace)
    service = build(settings, clock=clock, provider=llm)
    await service.open()
    yield service
    await service.close()


@pytest.fixture
def app(service: Service) -> FastAPI:
    return create_app(service, api_token=TOKEN, hook_token="hook", static_dir=None)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as c:
        yield c


@pytest.fixture
async def ledger(service: Service, clock: FakeClock) -> LedgerService:
    return LedgerService(service.store, clock)  # type: ignore[arg-type]  # general: made at open


@pytest.fixture
async def thread(client: httpx.AsyncClient) -> str:
    made = await client.post("/api/threads", json={"id": "t1", "title": "board"})
    assert made.status_code == 201, made.text
    config = {
        "target": "none",
        "actions": {"allowed": ["post", "none"], "requires_approval": ["post"]},
    }
    changed = await client.post("/api/threads/t1/heartbeat/config", json=config)
    assert changed.status_code == 200, changed.text
    return "t1"


def propose(llm: ScriptedLLM, title: str, content: str) -> None:
    """The model calls ledger_post, then acknowledges."""
    arguments = {"submolt": "general", "title": title, "content": content}
    llm.script(tool_reply("ledger_post", arguments), "HEARTBEAT_OK")


async def beat_actions(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    ran = await client.post("/api/threads/t1/heartbeat/run-now")
    assert ran.status_code == 200, ran.text
    audit = await client.get(ran.json()["audit_url"])
    actions: list[dict[str, Any]] = audit.json()["audit"]["actions"]
    return actions


async def test_a_post_waits_then_is_approved_into_the_ledger(
    client: httpx.AsyncClient, llm: ScriptedLLM, ledger: LedgerService, thread: str
) -> None:
    propose(llm, "Daily summary", "Three new posts & an open question.")
    actions = await beat_actions(client)
    assert [(a["type"], a["status"]) for a in actions] == [("post", "pending-approval")]
    approval_id = actions[0]["approval_id"]
    assert await ledger.feed(submolt="general") == []

    listed = (await client.get("/api/approvals", params={"status": "pending"})).json()["items"]
    assert [(a["id"], a["thread_id"], a["status"]) for a in listed] == [
        (approval_id, "t1", "pending")
    ]
    assert listed[0]["action"]["content"] == "Three new posts & an open question."

    approved = await client.post(f"/api/approvals/{approval_id}/approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["action_status"]) == ("approved", "executed")
    assert body["result"]["receipt"]["channel"] == "ledger"
    assert body["result"]["receipt"]["ok"] is True
    posts = await ledger.feed(submolt="general")
    assert [(p.title, p.content) for p in posts] == [
        ("Daily summary", "Three new posts & an open question.")
    ]
    assert posts[0].id in body["result"]["receipt"]["detail"]

    shown = (await client.get(f"/api/approvals/{approval_id}")).json()
    assert shown["action_status"] == "executed"
    again = await client.post(f"/api/approvals/{approval_id}/approve")
    assert again.status_code == 409
    assert "already approved" in again.json()["error"]
    llm.assert_script_consumed()


async def test_a_rejected_post_is_recorded_and_the_ledger_unchanged(
    client: httpx.AsyncClient, llm: ScriptedLLM, ledger: LedgerService, thread: str
) -> None:
    propose(llm, "Spam", "Buy now!")
    approval_id = (await beat_actions(client))[0]["approval_id"]
    rejected = await client.post(
        f"/api/approvals/{approval_id}/reject", json={"reason": "not our tone"}
    )
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["action_status"], body["reason"]) == (
        "rejected",
        "rejected",
        "not our tone",
    )
    assert await ledger.feed(submolt="general") == []
    listed = (await client.get("/api/approvals", params={"status": "rejected"})).json()["items"]
    assert [a["id"] for a in listed] == [approval_id]
    pending = (await client.get("/api/approvals", params={"status": "pending"})).json()
    assert (pending["items"], pending["total"], pending["next_offset"]) == ([], 0, None)
    twice = await client.post(f"/api/approvals/{approval_id}/reject")
    assert twice.status_code == 409


async def test_filters_and_unknown_ids(
    client: httpx.AsyncClient, llm: ScriptedLLM, ledger: LedgerService, thread: str
) -> None:
    propose(llm, "One", "first")
    await beat_actions(client)
    assert len((await client.get("/api/approvals", params={"thread": "t1"})).json()["items"]) == 1
    assert (await client.get("/api/approvals", params={"thread": "t9"})).json()["items"] == []
    assert (await client.get("/api/approvals", params={"status": "maybe"})).status_code == 422
    missing = await client.get("/api/approvals/999")
    assert missing.status_code == 404
    assert "approval 999 does not exist" in missing.json()["error"]
    assert (await client.post("/api/approvals/999/approve")).status_code == 404
    unknown_field = await client.post("/api/approvals/1/reject", json={"why": "x"})
    assert unknown_field.status_code == 422


async def test_every_route_needs_the_token(app: FastAPI, thread: str) -> None:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as anon:
        assert (await anon.get("/api/approvals")).status_code == 401
        assert (await anon.get("/api/approvals/1")).status_code == 401
        assert (await anon.post("/api/approvals/1/approve")).status_code == 401
        assert (await anon.post("/api/approvals/1/reject")).status_code == 401
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE, headers={"Authorization": "Bearer wrong"}
    ) as wrong:
        assert (await wrong.post("/api/approvals/1/approve")).status_code in (401, 403)


async def test_the_events_tell_the_story(
    client: httpx.AsyncClient,
    llm: ScriptedLLM,
    ledger: LedgerService,
    service: Service,
    thread: str,
) -> None:
    seen: list[str] = []
    service.on_event(lambda event: seen.append(event.name))
    propose(llm, "Hello", "world")
    approval_id = (await beat_actions(client))[0]["approval_id"]
    await client.post(f"/api/approvals/{approval_id}/approve")
    actions = [name for name in seen if name.startswith("action.")]
    assert actions == [
        "action.proposed",
        "action.pending_approval",
        "action.approved",
        "action.executed",
    ]
