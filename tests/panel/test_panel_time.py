"""Issue 16 in a real browser: a cron thread's next fires, and a reminder added and cancelled
from the panel (the API agrees)."""

from __future__ import annotations

import pytest
from panel_support import PanelPage, wait_until

pytestmark = pytest.mark.slow


def test_panel_shows_next_fires_and_manages_reminders(panel: PanelPage) -> None:
    server = panel.server
    server.api("POST", "/api/threads", json={"id": "cron-panel", "title": "Cron"})
    server.api(
        "POST",
        "/api/threads/cron-panel/heartbeat/config",
        json={"cron": "0 9 * * MON-FRI", "timezone": "Europe/Berlin"},
    )
    panel.sign_in()  # opens the Heartbeat view
    page = panel.page
    page.get_by_label("Thread", exact=True).select_option("cron-panel")
    page.get_by_test_id("cadence").filter(has_text="cron 0 9 * * MON-FRI").wait_for()
    assert page.get_by_test_id("next-fires").locator("li").count() == 5

    page.get_by_label("Remind about").fill("look at the release notes")
    page.get_by_label("Remind in").fill("2h")
    page.get_by_role("button", name="Add reminder").click()
    page.get_by_test_id("reminders").filter(has_text="look at the release notes").wait_for()
    listed = server.api("GET", "/api/threads/cron-panel/reminders")["items"]
    assert [(r["text"], r["status"]) for r in listed] == [("look at the release notes", "pending")]
    panel.screenshot("reminders")

    page.get_by_role("button", name=f"Cancel reminder {listed[0]['id']}").click()
    wait_until(
        lambda: (
            server.api("GET", "/api/threads/cron-panel/reminders")["items"][0]["status"]
            == "cancelled"
        ),
        "the reminder cancelled",
        10,
    )
    page.get_by_text("No pending reminders.").wait_for()
