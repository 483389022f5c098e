"""SOUL.md versions and rollback; model text that looks like HTML stays text; every control is
labelled and reachable by keyboard."""

from __future__ import annotations

import pytest
from panel_support import CHAT_REPLY, PanelPage, wait_until

pytestmark = pytest.mark.slow


def test_panel_soul_edit_diff_and_rollback(panel: PanelPage) -> None:
    original = panel.server.api("GET", "/api/soul")
    panel.sign_in()
    panel.goto("SOUL.md")
    page = panel.page
    text = page.get_by_label("SOUL.md content")
    wait_until(lambda: text.input_value() != "", "SOUL.md to load into the editor", 15)

    text.fill(original["content"] + "\nA line the test adds and then rolls back.\n")
    page.get_by_role("button", name="Save SOUL.md").click()
    message = page.get_by_test_id("soul-message")
    message.wait_for()
    saved = panel.server.api("GET", "/api/soul")
    assert message.inner_text() == f"SOUL.md saved as version {saved['version']}"
    assert "rolls back" in saved["content"]

    old = original["version"]
    page.get_by_role("button", name=f"Diff v{old} → now").click()
    diff = page.get_by_test_id("soul-diff")
    diff.wait_for()
    assert "+A line the test adds and then rolls back." in diff.inner_text()
    panel.screenshot("soul")

    page.get_by_role("button", name=f"Roll back to v{old}", exact=True).click()
    page.get_by_role("button", name=f"Confirm rollback to v{old}").click()
    message.filter(has_text=f"Rolled back to version {old}").wait_for()
    now = panel.server.api("GET", "/api/soul")
    assert now["content"] == original["content"]
    assert now["version"] == saved["version"] + 1
    assert text.input_value() == original["content"]
    versions = page.get_by_test_id("soul-versions")
    versions.get_by_role("cell", name=f"v{now['version']} (current)").wait_for()
    panel.screenshot("soul-rolled-back")


def test_panel_thread_shows_messages_and_sends_one(panel: PanelPage) -> None:
    panel.server.new_thread("chat", "Chat")
    panel.sign_in()
    panel.goto("Thread")
    panel.choose_thread("chat")
    page = panel.page
    page.get_by_text("No messages yet.").wait_for()
    page.get_by_label("Message to the agent").fill("CHAT-MARKER: are you there?")
    page.get_by_role("button", name="Send").click()
    messages = page.get_by_test_id("message")
    messages.filter(has_text=CHAT_REPLY).wait_for()
    assert messages.count() == 2
    assert "CHAT-MARKER: are you there?" in messages.nth(0).inner_text()
    assert page.get_by_label("Message to the agent").input_value() == ""
    stored = panel.server.api("GET", "/api/threads/chat/messages")["items"]
    assert [m["role"] for m in stored] == ["user", "assistant"]

    # A message written elsewhere arrives live.
    panel.server.api("POST", "/api/threads/chat/messages", json={"text": "CHAT-MARKER again"})
    messages.filter(has_text="CHAT-MARKER again").wait_for()
    wait_until(lambda: messages.count() == 4, "the second reply to arrive live", 15)
    panel.screenshot("thread")


def test_panel_model_text_that_looks_like_html_stays_text(panel: PanelPage) -> None:
    panel.server.new_thread("xss", "Hostile reply")
    panel.server.api("POST", "/api/threads/xss/events", json={"text": "XSS-MARKER", "wake": "next"})
    panel.sign_in()
    panel.choose_thread("xss")
    page = panel.page
    page.get_by_role("heading", name="Heartbeat config of xss").wait_for()
    page.get_by_role("button", name="Run now").click()

    alert = page.get_by_test_id("run-alert")
    alert.wait_for()
    assert "<script>alert(1)</script>" in alert.inner_text()
    assert "<img src=x onerror=alert(1)>" in alert.inner_text()

    panel.goto("Thread")
    panel.choose_thread("xss")
    message = page.get_by_test_id("message").filter(has_text="onerror=alert(1)")
    message.wait_for()
    assert "<script>alert(1)</script>" in message.inner_text()
    panel.screenshot("xss-thread")

    page.goto(panel.server.url + "/#/history")
    page.get_by_label("Thread id", exact=True).fill("xss")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_test_id("history-total").filter(has_text="of 1 beats").wait_for()
    page.get_by_test_id("beats-table").get_by_role("link", name="Details").first.click()
    page.get_by_test_id("beat-alert").wait_for()
    assert "<img src=x onerror=alert(1)>" in page.get_by_test_id("beat-reply").inner_text()

    page.wait_for_timeout(300)  # give a stray handler the chance to fire
    assert panel.dialogs == []
    assert page.locator("img").count() == 0
    assert page.locator("body script").count() == 0


def test_panel_controls_are_labelled_and_reachable_by_keyboard(panel: PanelPage) -> None:
    panel.server.new_thread("keyboard", "Keyboard")
    panel.sign_in()
    page = panel.page
    page.get_by_role("heading", name="Heartbeat config of").first.wait_for()
    page.get_by_role("button", name="HEARTBEAT.md").click()
    page.get_by_label("HEARTBEAT.md content").wait_for()

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((el) => el.type !== 'hidden')
            .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label'))
            .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    clickable_non_buttons = page.evaluate(
        """() => [...document.querySelectorAll('[onclick], div[role=button], span[role=button]')]
            .map((el) => el.outerHTML)"""
    )
    assert clickable_non_buttons == []

    # Tab order starts with the skip link, then the views, and reaches Run now.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("Tab")
    seen = []
    for _ in range(40):
        seen.append(page.evaluate("document.activeElement.textContent.trim()"))
        if seen[-1] == "Run now":
            break
        page.keyboard.press("Tab")
    assert "Heartbeat" in seen and "History" in seen and "Run now" in seen
    assert seen.index("Heartbeat") < seen.index("Run now")
    page.keyboard.press("Enter")
    page.get_by_test_id("run-result").wait_for()
