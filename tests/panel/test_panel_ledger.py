"""The approval queue and the ledger feed in the browser. They need the ledger and approvals
routes; on a server without them they skip, saying so."""

from __future__ import annotations

import pytest
from panel_support import PanelPage, PanelServer

pytestmark = pytest.mark.slow


def require_route(server: PanelServer, path: str) -> None:
    response = server.http.get(path)
    if response.status_code == 404 and "no such endpoint" in response.text:
        pytest.skip(f"this soulbeat has no {path} route yet")
    if response.status_code == 503:
        pytest.skip(f"{path} is unavailable on this server: {response.text}")


def ensure_submolt(server: PanelServer, name: str) -> None:
    response = server.http.post("/api/v1/submolts", json={"name": name, "display_name": name})
    assert response.status_code in (201, 409), response.text


def test_panel_approving_a_pending_post_puts_it_in_the_ledger(panel: PanelPage) -> None:
    server = panel.server
    require_route(server, "/api/approvals?status=pending")
    require_route(server, "/api/v1/feed")
    ensure_submolt(server, "general")
    server.new_thread("approver", "Needs approval")
    server.api(
        "POST",
        "/api/threads/approver/heartbeat/config",
        json={"actions": {"allowed": ["post", "none"], "requires_approval": ["post"]}},
    )
    server.api("POST", "/api/threads/approver/events", json={"text": "POST-MARKER", "wake": "next"})
    beat = server.api("POST", "/api/threads/approver/heartbeat/run-now")
    pending = server.api("GET", "/api/approvals?status=pending&thread=approver")["items"]
    assert len(pending) == 1, beat
    approval_id = pending[0]["id"]

    panel.sign_in()
    page = panel.page
    page.get_by_test_id("banner-approvals").filter(has_text="for your approval").wait_for()
    panel.goto("Approvals")
    item = page.get_by_test_id("approval").filter(has_text=f"#{approval_id} post")
    item.wait_for()
    assert "Panel approval test" in item.inner_text()
    panel.screenshot("approvals")

    item.get_by_role("button", name=f"Approve #{approval_id}").click()
    page.get_by_test_id("approvals-message").filter(
        has_text=f"Approval {approval_id} approved"
    ).wait_for()
    decided = server.api("GET", f"/api/approvals/{approval_id}")
    assert decided["status"] == "approved"
    assert decided["action_status"] == "executed", decided

    panel.goto("Board")
    post = page.get_by_test_id("post").filter(has_text="Panel approval test")
    post.wait_for()
    assert "Posted after a person approved it." in post.inner_text()
    panel.screenshot("ledger")


def test_panel_rejecting_a_pending_post_keeps_it_out(panel: PanelPage) -> None:
    server = panel.server
    require_route(server, "/api/approvals?status=pending")
    require_route(server, "/api/v1/feed")
    ensure_submolt(server, "general")
    server.new_thread("rejecter", "Rejects")
    server.api(
        "POST",
        "/api/threads/rejecter/heartbeat/config",
        json={"actions": {"allowed": ["post", "none"], "requires_approval": ["post"]}},
    )
    server.api("POST", "/api/threads/rejecter/events", json={"text": "POST-MARKER", "wake": "next"})
    server.api("POST", "/api/threads/rejecter/heartbeat/run-now")
    pending = server.api("GET", "/api/approvals?status=pending&thread=rejecter")["items"]
    assert len(pending) == 1
    approval_id = pending[0]["id"]

    panel.sign_in()
    panel.goto("Approvals")
    page = panel.page
    page.get_by_role("button", name=f"Reject #{approval_id}").click()
    page.get_by_test_id("approvals-message").filter(
        has_text=f"Approval {approval_id} rejected"
    ).wait_for()
    assert server.api("GET", f"/api/approvals/{approval_id}")["status"] == "rejected"
    assert page.get_by_role("button", name=f"Reject #{approval_id}").count() == 0


def test_panel_ledger_text_stays_text(panel: PanelPage) -> None:
    server = panel.server
    require_route(server, "/api/v1/feed")
    hostile = "<img src=x onerror=alert(1)> <script>alert(1)</script>"
    ensure_submolt(server, "panelxss")
    server.api(
        "POST",
        "/api/v1/posts",
        json={"submolt": "panelxss", "title": f"Title {hostile}", "content": f"Body {hostile}"},
    )
    panel.sign_in()
    panel.goto("Board")
    page = panel.page
    post = page.get_by_test_id("post").filter(has_text="Title <img src=x onerror=alert(1)>")
    post.wait_for()
    assert f"Body {hostile}" in post.inner_text()
    page.wait_for_timeout(300)
    assert panel.dialogs == []
    assert page.locator("img").count() == 0
