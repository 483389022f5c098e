"""The panel's second pass in a real browser (issue 17): the fleet overview, history with
charts, the board, the manners (banners, unsaved-work guard, edit conflicts), phone layouts,
and every view photographed at 1440×900 and 390×844 in light and dark, checked with axe-core."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from panel_support import ARTIFACTS, ROOT, PanelPage, PanelServer, missing

pytestmark = pytest.mark.slow

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}
VIEWS = ["Fleet", "Heartbeat", "History", "SOUL.md", "Thread", "Approvals", "Board"]


def fleet_threads(server: PanelServer) -> None:
    """A few threads in every state the fleet shows (idempotent: the server is shared)."""
    for tid, title in [("fleet-a", "Kitchen"), ("fleet-b", "Garden"), ("fleet-c", "Office")]:
        if server.status_of("GET", f"/api/threads/{tid}") == 404:
            server.new_thread(tid, title)
    server.api("POST", "/api/threads/fleet-b/heartbeat/config", json={"dry_run": True})
    server.api("POST", "/api/threads/fleet-c/heartbeat/config", json={"enabled": False})


def open_post(server: PanelServer) -> str:
    response = server.http.post("/api/v1/submolts", json={"name": "general"})
    assert response.status_code in (201, 409), response.text
    title = "Board <b>test</b> post"
    for post in server.api("GET", "/api/v1/posts?sort=new")["posts"]:
        if post["title"] == title:
            found: str = post["id"]
            return found
    made = server.api(
        "POST",
        "/api/v1/posts",
        json={
            "submolt": "general",
            "title": title,
            "content": "Hello, board.",
            "author": "agent:board-tester",  # the person may have posted already (rate limit)
        },
    )
    post_id: str = made["post"]["id"]
    return post_id


@pytest.fixture
def pages(browser: Any, panel_server: PanelServer) -> Iterator[Any]:
    """Make pages of any size and colour scheme; CSP is bypassed so axe-core can be injected."""
    contexts: list[Any] = []

    def make(size: str, scheme: str) -> PanelPage:
        context = browser.new_context(
            viewport=SIZES[size], color_scheme=scheme, bypass_csp=True, reduced_motion="reduce"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        seen = PanelPage(page=context.new_page(), server=panel_server)
        seen.page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        seen.page.on("pageerror", lambda error: seen.errors.append(str(error)))
        return seen

    yield make
    for context in contexts:
        context.close()


def test_fleet_is_the_first_view_with_states_countdown_search_and_bulk(panel: PanelPage) -> None:
    server = panel.server
    fleet_threads(server)
    panel.sign_in(view=None)
    page = panel.page
    page.get_by_role("heading", name="Fleet").wait_for()
    page.get_by_label("Search").fill("fleet-")
    rows = page.get_by_test_id("fleet-row")
    page.get_by_test_id("fleet-range").filter(has_text="1–3 of 3").wait_for()
    garden = rows.filter(has_text="fleet-b")
    assert "dry run" in garden.inner_text()
    assert "disabled" in rows.filter(has_text="fleet-c").inner_text()
    page.get_by_test_id("banner-dry-run").wait_for()

    # The countdown ticks (item 2).
    countdown = rows.filter(has_text="fleet-a").get_by_test_id("fleet-countdown")
    first = countdown.inner_text()
    page.wait_for_function(
        "([el, before]) => el.textContent !== before", arg=[countdown.element_handle(), first]
    )

    # Sort by thread id, descending, from the column header.
    page.get_by_role("button", name="Thread", exact=True).click()
    page.get_by_role("button", name="Thread", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=fleet-row] a').textContent === 'fleet-c'"
    )

    # Bulk: disable a and b, and the API agrees.
    page.get_by_label("Select fleet-a").check()
    page.get_by_label("Select fleet-b").check()
    page.get_by_role("button", name="Disable selected").click()
    page.get_by_text("Disabled 2 of 2 selected threads").wait_for()
    assert server.api("GET", "/api/threads/fleet-a")["enabled"] is False
    assert server.api("GET", "/api/threads/fleet-b")["enabled"] is False
    page.get_by_label("Select every thread on this page").check()
    page.get_by_role("button", name="Enable selected").click()
    page.get_by_text("Enabled 3 of 3 selected threads").wait_for()
    server.api("POST", "/api/threads/fleet-c/heartbeat/config", json={"enabled": False})


def test_history_is_searched_paged_and_charted(panel: PanelPage) -> None:
    server = panel.server
    if server.status_of("GET", "/api/threads/charted") == 404:
        server.new_thread("charted", "Charts")
    for _ in range(3):
        server.api("POST", "/api/threads/charted/heartbeat/run-now")
    panel.sign_in("History")
    page = panel.page
    page.get_by_label("Thread id", exact=True).fill("charted")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_test_id("history-total").filter(has_text="of 3 beats").wait_for()
    for chart in ("chart-outcomes", "chart-tokens", "chart-latency"):
        page.get_by_test_id(chart).locator("canvas").wait_for()
    legend = page.get_by_role("list", name="Outcome colours").inner_text()
    assert "deferred" in legend and "would-send" in legend
    page.get_by_label("Outcome", exact=True).select_option("failed")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_test_id("history-total").filter(has_text="No beats match").wait_for()


def test_board_post_opens_with_comments_and_the_person_comments_and_votes(
    panel: PanelPage,
) -> None:
    post_id = open_post(panel.server)
    panel.sign_in("Board")
    page = panel.page
    page.get_by_role("button", name="Board <b>test</b> post").first.click()
    detail = page.get_by_test_id("post-detail")
    detail.get_by_text("Hello, board.").wait_for()
    page.get_by_label("Your comment (as the person)").fill("A comment from the person")
    page.get_by_role("button", name="Comment", exact=True).click()
    page.get_by_test_id("comment").filter(has_text="A comment from the person").wait_for()
    page.get_by_role("button", name="Upvote this post").click()
    page.get_by_test_id("post-score").filter(has_text="1").wait_for()
    comments = panel.server.api("GET", f"/api/v1/posts/{post_id}/comments")["comments"]
    assert comments[-1]["author_kind"] == "person"
    assert panel.server.api("GET", f"/api/v1/posts/{post_id}")["post"]["score"] == 1


def test_unsaved_soul_edit_is_guarded_and_a_disk_change_is_a_conflict(panel: PanelPage) -> None:
    panel.sign_in("SOUL.md")
    page = panel.page
    text = page.get_by_label("SOUL.md content")
    text.wait_for()
    page.wait_for_function("() => document.querySelector('#soul-text').value.length > 0")
    soul = panel.server.root / "ws" / "SOUL.md"
    text.fill(text.input_value() + "\nA line from the browser.\n")
    with page.expect_event("dialog"):
        panel.goto("History")  # the guard asks; the fixture answers "stay"
    assert any("unsaved changes in SOUL.md" in d for d in panel.dialogs), panel.dialogs
    assert page.get_by_label("SOUL.md content").is_visible()

    soul.write_text(soul.read_text(encoding="utf-8") + "\nA line from the disk.\n", "utf-8")
    page.get_by_role("button", name="Save SOUL.md").click()
    conflict = page.get_by_test_id("soul-conflict")
    conflict.wait_for()
    assert "changed since it was opened" in conflict.inner_text()
    assert "A line from the disk." in soul.read_text(encoding="utf-8")
    assert "A line from the browser." in text.input_value()
    page.get_by_role("button", name="Load the file now (drop my text)").click()
    page.wait_for_function(
        "() => document.querySelector('#soul-text').value.includes('A line from the disk.')"
    )


def _no_sideways_scroll(page: Any) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def test_phone_width_views_fit_without_sideways_scrolling(pages: Any) -> None:
    """Item 6: at 390 px nothing overflows, and SOUL.md's diff and rollback buttons are on
    screen."""
    panel = pages("390", "light")
    panel.sign_in(view=None)
    page = panel.page
    for view in VIEWS:
        panel.goto(view)
        page.wait_for_timeout(400)
        assert _no_sideways_scroll(page) <= 390, f"{view} overflows sideways"
    panel.goto("SOUL.md")
    page.get_by_role("button", name="Diff v1 → now").wait_for()
    for button in page.get_by_test_id("soul-versions").get_by_role("button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {resultTypes: ['violations']})"""
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["1440", "390"])
def test_every_view_photographed_and_without_serious_axe_violations(
    pages: Any, size: str, scheme: str
) -> None:
    if not AXE.is_file():
        missing("axe-core is not installed (npm --prefix web ci)")
    panel = pages(size, scheme)
    fleet_threads(panel.server)
    open_post(panel.server)
    panel.server.api("POST", "/api/threads/fleet-a/heartbeat/run-now")
    panel.sign_in(view=None)
    page = panel.page
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_timeout(500)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{size}-{scheme}.png"), full_page=True)
        for violation in _axe(page):
            nodes = [n["target"] for n in violation["nodes"]][:3]
            found.setdefault(f"{name}: {violation['id']} ({violation['impact']})", []).append(
                json.dumps(nodes)
            )

    for view in VIEWS:
        panel.goto(view)
        page.get_by_role("heading", name="Board" if view == "Board" else view).first.wait_for()
        check(view.lower().replace(".md", ""))
    panel.goto("History")
    page.get_by_test_id("beats-table").get_by_role("link", name="Details").first.click()
    page.get_by_test_id("beat-detail").wait_for()
    check("beat-detail")
    panel.goto("Board")
    page.get_by_role("button", name="Board <b>test</b> post").first.click()
    page.get_by_test_id("post-detail").wait_for()
    check("board-post")
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert panel.errors == []
