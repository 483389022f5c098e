"""Helpers of the panel's end-to-end tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from soulbeat.testing import FakeLLMServer

ROOT = Path(__file__).resolve().parents[2]
STATIC_INDEX = ROOT / "src" / "soulbeat" / "api" / "static" / "index.html"
ARTIFACTS = ROOT / "test-artifacts" / "panel"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS_REPLY = "Alert: <script>alert(1)</script> and <img src=x onerror=alert(1)> done"
POST_REPLY = (
    '{"action": "post", "submolt": "general", "title": "Panel approval test", '
    '"content": "Posted after a person approved it."}'
)
CHAT_REPLY = "Hello, person: the panel reached me."
STARTUP_LIMIT = 45.0


REQUIRED_FLAG = "SOULBEAT_REQUIRE_PANEL_TESTS"


def missing(reason: str) -> NoReturn:
    """Skip locally; fail where the panel's tests are required (CI sets `REQUIRED_FLAG`)."""
    if os.environ.get(REQUIRED_FLAG, "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{REQUIRED_FLAG} is set but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, limit: float) -> None:
    """Poll `check` (a condition of another process) until true, at most `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {limit:.0f}s waiting for {what}")


@dataclass
class PanelServer:
    """A running `soulbeat serve` with its token and an API client for setting up and checking."""

    url: str
    token: str
    llm: FakeLLMServer
    root: Path
    http: httpx.Client = field(repr=False)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def status_of(self, method: str, path: str) -> int:
        return self.http.request(method, path).status_code

    def new_thread(self, thread_id: str, title: str = "") -> dict[str, Any]:
        body = {"id": thread_id, "title": title or thread_id}
        created: dict[str, Any] = self.api("POST", "/api/threads", json=body)
        return created


@dataclass
class PanelPage:
    """A fresh browser tab on the panel, with what it saw: dialogs, page errors and requests."""

    page: Any
    server: PanelServer
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def sign_in(self, view: str | None = "Heartbeat") -> None:
        """Sign in (the panel opens on the fleet), then open `view` unless None."""
        self.page.goto(self.server.url + "/")
        self.page.get_by_label("API token", exact=True).fill(self.server.token)
        self.page.get_by_role("button", name="Use this token").click()
        self.page.get_by_role("navigation", name="Views").wait_for()
        self.wait_live()
        if view is not None:
            self.goto(view)

    def wait_live(self) -> None:
        """Until the event stream is connected (the header says `live`)."""
        self.page.locator("header .stream-live").wait_for(timeout=15_000)

    def goto(self, view: str) -> None:
        self.page.get_by_role("navigation", name="Views").get_by_role("link", name=view).click()

    def choose_thread(self, thread_id: str, label: str = "Thread") -> None:
        self.page.get_by_label(label, exact=True).select_option(thread_id)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
