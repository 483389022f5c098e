"""SOUL.md and HEARTBEAT.md over HTTP: read, write, versions, diff, rollback, parse hints."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from soulbeat.service.core import Service

BASES = {"soul": "/api/soul", "heartbeat": "/api/heartbeat/heartbeat.md"}
FILES = {"soul": "SOUL.md", "heartbeat": "HEARTBEAT.md"}

CHECKLIST_MD = """# HEARTBEAT.md

## Checklist
- [ ] Look at the inbox
- Water the plants

## Rules
Reply HEARTBEAT_OK when nothing is due.

## Every 2h
- Check the oven

## Daily 25:00
- Never valid
"""


@pytest.mark.parametrize("kind", ["soul", "heartbeat"])
async def test_write_version_diff_and_rollback(
    client: httpx.AsyncClient, workspace: Path, kind: str
) -> None:
    base = BASES[kind]
    original = (await client.get(base)).json()
    assert original["exists"] is True and original["version"] == 1  # the template, noticed
    first = await client.put(base, json={"content": "# One\nfirst words\n"})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2
    assert (workspace / FILES[kind]).read_text() == "# One\nfirst words\n"
    await client.put(base, json={"content": "# One\nsecond words\n"})

    versions = (await client.get(f"{base}/versions")).json()["items"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["source"] for v in versions] == ["api", "api", "disk"]
    assert "content" not in versions[0] and versions[0]["chars"] == len("# One\nsecond words\n")
    two = (await client.get(f"{base}/versions/2")).json()
    assert two["content"] == "# One\nfirst words\n"

    diff = (await client.get(f"{base}/diff", params={"from": 2, "to": 3})).json()["diff"]
    assert "-first words" in diff and "+second words" in diff
    to_now = (await client.get(f"{base}/diff", params={"from": 2})).json()
    assert to_now["to"] is None and "+second words" in to_now["diff"]

    rolled = await client.post(f"{base}/rollback", json={"version": 2})
    assert rolled.status_code == 200 and rolled.json()["version"] == 4
    assert (workspace / FILES[kind]).read_text() == "# One\nfirst words\n"
    latest = (await client.get(f"{base}/versions")).json()["items"][0]
    assert latest["source"] == "rollback:v2"


@pytest.mark.parametrize("kind", ["soul", "heartbeat"])
async def test_missing_versions_and_agents(client: httpx.AsyncClient, kind: str) -> None:
    base = BASES[kind]
    assert (await client.get(f"{base}/versions/99")).status_code == 404
    assert (await client.get(f"{base}/diff", params={"from": 99})).status_code == 404
    assert (await client.post(f"{base}/rollback", json={"version": 99})).status_code == 404
    ghost = await client.get(base, params={"agent": "ghost"})
    assert ghost.status_code == 404 and "ghost" in ghost.json()["error"]
    assert (await client.get(f"{base}/diff")).status_code == 422  # `from` is required
    assert (await client.post(f"{base}/rollback", json={"version": 0})).status_code == 422


async def test_hand_edit_on_disk_becomes_a_version(
    client: httpx.AsyncClient, workspace: Path
) -> None:
    await client.get("/api/soul")
    (workspace / "SOUL.md").write_text("# Edited by hand\n")
    versions = (await client.get("/api/soul/versions")).json()["items"]
    assert versions[0]["source"] == "disk" and versions[0]["version"] == 2


async def test_heartbeat_md_hints(client: httpx.AsyncClient) -> None:
    template = (await client.get("/api/heartbeat/heartbeat.md")).json()
    assert template["hints"]["exists"] is True
    assert template["hints"]["effectively_empty"] is True
    written = await client.post("/api/heartbeat/heartbeat.md", json={"content": CHECKLIST_MD})
    assert written.status_code == 200, written.text
    hints = (await client.get("/api/heartbeat/heartbeat.md")).json()["hints"]
    assert hints["effectively_empty"] is False
    assert hints["checklist"] == ["Look at the inbox", "Water the plants"]
    assert hints["rules"] == ["Reply HEARTBEAT_OK when nothing is due."]
    assert [(t["cadence"], t["kind"]) for t in hints["tasks"]] == [("every 2h", "every")]
    assert any("25:00" in problem for problem in hints["problems"])


async def test_heartbeat_md_put_is_the_same_as_post(client: httpx.AsyncClient) -> None:
    put = await client.put("/api/heartbeat/heartbeat.md", json={"content": "- check mail\n"})
    assert put.status_code == 200 and put.json()["kind"] == "heartbeat"


async def test_write_body_is_checked(client: httpx.AsyncClient) -> None:
    assert (await client.put("/api/soul", json={})).status_code == 422
    assert (await client.put("/api/soul", json={"content": 3})).status_code == 422
    extra = await client.put("/api/soul", json={"content": "x", "mode": "append"})
    assert extra.status_code == 422 and extra.json()["problems"][0]["key"] == "body.mode"


async def test_oversized_file_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/soul", json={"content": "x" * 200_001})
    assert response.status_code == 422
    assert "200000" in response.json()["error"]


async def test_a_soul_write_publishes_an_event(client: httpx.AsyncClient, service: Service) -> None:
    before = service.events.last_id
    await client.put("/api/soul", json={"content": "# Soul\n"})
    names = [e.name for e in service.events.since(before)]
    assert "soul.changed" in names


@pytest.mark.parametrize("kind", ["soul", "heartbeat"])
async def test_first_open_reading_file_and_history_together_records_one_version(
    client: httpx.AsyncClient, kind: str
) -> None:
    """Issue 17 item 8: the panel asks for the file and its versions at once on first open."""
    base = BASES[kind]
    await asyncio.gather(client.get(base), client.get(f"{base}/versions"), client.get(base))
    versions = (await client.get(f"{base}/versions")).json()["items"]
    assert [(v["version"], v["source"]) for v in versions] == [(1, "disk")]


@pytest.mark.parametrize("kind", ["soul", "heartbeat"])
async def test_a_write_based_on_an_old_read_is_a_conflict_not_an_overwrite(
    client: httpx.AsyncClient, workspace: Path, kind: str
) -> None:
    """Issue 17 item 9: Save must not silently overwrite a change made on disk."""
    base = BASES[kind]
    opened = (await client.get(base)).json()
    (workspace / FILES[kind]).write_text("# changed by hand\n", encoding="utf-8")
    refused = await client.put(
        base, json={"content": "# from the editor\n", "base_sha256": opened["sha256"]}
    )
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert "changed since it was opened" in body["error"]
    assert body["version"] == 2 and body["sha256"] != opened["sha256"]
    assert (workspace / FILES[kind]).read_text() == "# changed by hand\n"

    saved = await client.put(
        base, json={"content": "# from the editor\n", "base_sha256": body["sha256"]}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 3
    bad = await client.put(base, json={"content": "x", "base_sha256": "not-a-hash"})
    assert bad.status_code == 422
