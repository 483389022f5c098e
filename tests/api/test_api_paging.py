"""Every list route of the API pages with a total (issue 12): messages and approvals here (the
ledger's lists in `tests/ledger/test_ledger_paging.py`; threads, history and beats elsewhere)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from soulbeat.service.core import Service
from soulbeat.store.records_actions import NewApproval
from soulbeat.testing import FakeClock


async def test_messages_page_back_from_the_newest_with_a_total(
    client: httpx.AsyncClient, thread_id: str, service: Service, clock: FakeClock
) -> None:
    for n in range(5):
        await service.store.add_message(thread_id, "user", f"m{n}", clock.now())
        await clock.advance(timedelta(seconds=1))
    url = f"/api/threads/{thread_id}/messages"
    newest = (await client.get(url, params={"limit": 2})).json()
    assert [m["text"] for m in newest["items"]] == ["m3", "m4"]
    assert (newest["total"], newest["limit"], newest["offset"], newest["next_offset"]) == (
        5,
        2,
        0,
        2,
    )
    back = (await client.get(url, params={"limit": 2, "offset": newest["next_offset"]})).json()
    assert [m["text"] for m in back["items"]] == ["m1", "m2"]
    oldest = (await client.get(url, params={"limit": 2, "offset": 4})).json()
    assert ([m["text"] for m in oldest["items"]], oldest["next_offset"]) == (["m0"], None)
    refused = await client.get(url, params={"offset": -1})
    assert refused.status_code == 422


async def test_approvals_page_with_a_total(
    client: httpx.AsyncClient, thread_id: str, service: Service, clock: FakeClock
) -> None:
    for n in range(3):
        action = {"action": "post", "submolt": "general", "title": f"p{n}", "content": "c"}
        new = NewApproval(thread_id, "default", None, "", "post", action)
        await service.store.add_approval(new, clock.now())  # type: ignore[attr-defined]
    first = (await client.get("/api/approvals", params={"limit": 2})).json()
    assert [a["id"] for a in first["items"]] == [3, 2]
    assert (first["total"], first["next_offset"]) == (3, 2)
    rest = (await client.get("/api/approvals", params={"limit": 2, "offset": 2})).json()
    assert ([a["id"] for a in rest["items"]], rest["total"], rest["next_offset"]) == ([1], 3, None)
    none = (await client.get("/api/approvals", params={"status": "approved"})).json()
    assert (none["items"], none["total"], none["next_offset"]) == ([], 0, None)
