"""The HeartbeatPanel in a real browser: the token, the config form, run-now, live status over
SSE and the HEARTBEAT.md editor with its hints."""

from __future__ import annotations

import re
from typing import Any

import pytest
from panel_support import PanelPage, wait_until

pytestmark = pytest.mark.slow


def effective(panel: PanelPage, thread_id: str, key: str) -> tuple[object, str]:
    body = panel.server.api("GET", f"/api/threads/{thread_id}/heartbeat/config")
    row = next(r for r in body["effective"] if r["key"] == key)
    return row["value"], row["source"]


def history(panel: PanelPage, thread_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = panel.server.api(
        "GET", f"/api/threads/{thread_id}/heartbeat/history"
    )["items"]
    return items


def test_panel_token_is_asked_once_and_kept_in_session_storage(panel: PanelPage) -> None:
    page = panel.page
    page.goto(panel.server.url + "/")
    page.get_by_role("heading", name="Sign in with the API token").wait_for()
    panel.screenshot("token")

    page.get_by_label("API token", exact=True).fill("not-the-token")
    page.get_by_role("button", name="Use this token").click()
    refusal = page.get_by_role("alert")
    refusal.wait_for()
    assert "That token was refused: wrong API token" in refusal.inner_text()
    assert page.evaluate("window.sessionStorage.length") == 0

    panel.sign_in()
    stored = page.evaluate("Object.values(window.sessionStorage)")
    assert stored == [panel.server.token]
    assert page.evaluate("window.localStorage.length") == 0
    assert page.context.cookies() == []

    page.reload()  # the same tab keeps the token: no second question
    page.get_by_role("navigation", name="Views").wait_for()
    assert page.get_by_label("API token", exact=True).count() == 0

    page.get_by_role("button", name="Forget token").click()
    page.get_by_label("API token", exact=True).wait_for()
    assert page.evaluate("window.sessionStorage.length") == 0


def test_panel_interval_change_is_saved_and_the_api_agrees(panel: PanelPage) -> None:
    panel.sign_in()
    page = panel.page
    page.get_by_role("button", name="New thread").click()
    page.get_by_label("Thread id (optional)").fill("interval")
    page.get_by_label("Title", exact=True).fill("Interval test")
    page.get_by_role("button", name="Create thread").click()
    page.get_by_role("heading", name="Heartbeat config of interval").wait_for()
    assert page.get_by_label("Thread", exact=True).input_value() == "interval"

    interval = page.get_by_label(re.compile(r"^Interval"))
    interval.select_option("custom")
    custom = page.get_by_label("Custom interval")
    custom.fill("1h 30m")
    page.get_by_text('every: "1h 30m" is not a duration').wait_for()
    assert page.get_by_role("button", name="Save config").is_disabled()

    custom.fill("2h30m")
    page.get_by_text("= 2 h 30 min").wait_for()
    page.get_by_role("button", name="Save config").click()
    page.get_by_text("Saved: every").wait_for()
    assert effective(panel, "interval", "every") == ("2h30m", "thread")

    interval.select_option("4h")
    page.get_by_role("button", name="Save config").click()
    page.get_by_text("Saved: every").wait_for()
    assert effective(panel, "interval", "every") == ("4h", "thread")
    panel.screenshot("heartbeat")

    # The server refuses what the browser cannot check: its 422 names the key.
    page.get_by_label("Only beat within active hours").check()
    page.get_by_label("Timezone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save config").click()
    refusal = page.get_by_role("alert").filter(has_text="refused the config")
    refusal.wait_for()
    assert "active_hours.timezone" in refusal.inner_text()
    assert "Mars/Olympus" in refusal.inner_text()
    assert effective(panel, "interval", "active_hours") == (None, "default")
    panel.screenshot("heartbeat-refused")


def test_panel_run_now_and_beats_arrive_live(panel: PanelPage) -> None:
    panel.server.new_thread("live", "Live test")
    panel.sign_in()
    panel.choose_thread("live")
    page = panel.page
    page.get_by_role("heading", name="Heartbeat config of live").wait_for()

    # An edit in progress survives live updates.
    page.get_by_label(re.compile(r"^Model")).fill("draft-model")

    # A beat the browser did not ask for (an event-driven wake from the API) shows up over SSE.
    panel.server.api(
        "POST", "/api/threads/live/events", json={"text": "ping from the test", "wake": "now"}
    )
    wait_until(lambda: bool(history(panel, "live")), "the event-driven beat", 20)
    first_id = history(panel, "live")[0]["id"]
    page.get_by_test_id("activity").get_by_text(f"Beat #{first_id} of live: ").first.wait_for()
    page.get_by_test_id("last-beat").filter(has_text=f"#{first_id} live").wait_for()
    assert page.get_by_label(re.compile(r"^Model")).input_value() == "draft-model"

    page.get_by_role("button", name="Run now").click()
    result = page.get_by_test_id("run-result")
    result.wait_for()
    newest = int(re.search(r"beat #(\d+)", result.inner_text()).group(1))  # type: ignore[union-attr]
    assert newest > first_id
    assert "ok-token" in result.inner_text()
    page.get_by_test_id("last-beat").filter(has_text=f"#{newest} live").wait_for()
    panel.screenshot("heartbeat-live")

    # The history dashboard lists both, and updates live when another beat finishes (the draft
    # is dropped first: leaving with unsaved work would ask).
    page.get_by_role("button", name="Discard changes").first.click()
    panel.goto("History")
    page.get_by_label("Thread id", exact=True).fill("live")
    page.get_by_role("button", name="Search", exact=True).click()
    table = page.get_by_test_id("beats-table")
    table.get_by_role("cell", name=str(newest), exact=True).wait_for()
    panel.server.api("POST", "/api/threads/live/heartbeat/run-now")
    third = history(panel, "live")[0]["id"]
    table.get_by_role("cell", name=str(third), exact=True).wait_for()
    page.get_by_test_id("history-total").filter(has_text="of 3 beats").wait_for()
    page.get_by_text("Tokens per hour").wait_for()
    panel.screenshot("history")

    table.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(first_id), exact=True)
    ).get_by_role("link", name="Details").click()
    detail = page.get_by_test_id("beat-detail")
    detail.wait_for()
    assert f"Beat #{first_id}" in detail.inner_text()
    # The default decision mode (auto) gets a structured decision from the fake server.
    assert '"notify": false' in page.get_by_test_id("beat-reply").inner_text()
    page.get_by_text("Prompt", exact=True).click()
    assert "HEARTBEAT_OK" in page.get_by_test_id("beat-prompt").inner_text()
    panel.screenshot("beat-detail")


def test_panel_scheduler_stop_and_start(panel: PanelPage) -> None:
    panel.sign_in()
    page = panel.page
    state = page.get_by_test_id("scheduler-state")
    state.filter(has_text="running").wait_for()
    page.get_by_role("button", name="Stop scheduler").click()
    state.filter(has_text="stopped").wait_for()
    assert panel.server.api("GET", "/api/heartbeat/status")["running"] is False
    page.get_by_test_id("activity").get_by_text("Scheduler stopped").wait_for()
    # No next beat is promised while stopped (issue 17 item 2), and a banner says why.
    page.get_by_test_id("banner-stopped").wait_for()
    page.get_by_test_id("next-due").filter(has_text="the scheduler is stopped").wait_for()
    page.get_by_role("button", name="Start scheduler").click()
    state.filter(has_text="running").wait_for()
    assert panel.server.api("GET", "/api/heartbeat/status")["running"] is True
    page.get_by_test_id("banner-stopped").wait_for(state="detached")


def test_panel_heartbeat_md_hints_change_while_editing(panel: PanelPage) -> None:
    before = panel.server.api("GET", "/api/heartbeat/heartbeat.md")
    panel.sign_in()
    page = panel.page
    page.get_by_role("button", name=re.compile(r"HEARTBEAT\.md")).click()
    text = page.get_by_label("HEARTBEAT.md content")
    text.wait_for()
    wait_until(lambda: text.input_value() != "", "HEARTBEAT.md to load into the editor", 15)
    hint = page.get_by_test_id("hint-empty")
    assert "Effectively empty" in hint.inner_text()  # the template is comments and a title

    text.fill(
        "# HEARTBEAT.md\n## Checklist\n- Check the build\n- Read new posts\n"
        "## Daily 09:00\n- Summarize yesterday\n"
    )
    hint.filter(has_text="Has instructions").wait_for()
    counts = page.get_by_test_id("hint-counts").inner_text()
    assert counts == "2 checklist items, 0 rules, 0 behaviors"
    assert "Daily 09:00 (daily)" in page.get_by_test_id("hint-tasks").inner_text()

    page.get_by_role("button", name="Cancel").click()
    hint.filter(has_text="Effectively empty").wait_for()
    assert text.input_value() == before["content"]

    text.fill(
        "# HEARTBEAT.md\n## Rules\nIf nothing is new, stay quiet.\n"
        "## Daily 09:00\n- Summarize yesterday\n"
    )
    page.get_by_test_id("hint-counts").filter(
        has_text="0 checklist items, 1 rule, 0 behaviors"
    ).wait_for()
    page.get_by_role("button", name="Save HEARTBEAT.md").click()
    server_hints = page.get_by_test_id("server-hints")
    server_hints.filter(has_text="Has instructions").wait_for()
    assert "0 checklist items, 1 rule, 0 behaviors" in server_hints.inner_text()
    assert "daily" in server_hints.inner_text().lower()
    panel.screenshot("heartbeat-md")

    after = panel.server.api("GET", "/api/heartbeat/heartbeat.md")
    assert after["hints"]["rules"] == ["If nothing is new, stay quiet."]
    assert after["version"] == (before["version"] or 0) + 1
