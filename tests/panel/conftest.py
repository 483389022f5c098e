"""End-to-end tests of the web panel: a real `soulbeat serve` subprocess, a real model server
(`FakeLLMServer` on 127.0.0.1) and Debian's Chromium driven by Playwright.

They skip, saying why, when the panel has not been built (`npm --prefix web ci && npm --prefix
web run build`), when Chromium is not installed (`apt-get install -y chromium`) or when the
`playwright` package is missing. With ``SOULBEAT_REQUIRE_PANEL_TESTS=1`` (as `.ci/run` sets it)
each of those is a failure instead, so a broken build step cannot pass as skipped tests.

One server and one browser serve the whole folder; each test gets a fresh browser context
(so a fresh sessionStorage) and its own threads, so tests do not depend on each other's order.
Screenshots go to ``test-artifacts/panel/`` (git-ignored).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from panel_support import (
    CHAT_REPLY,
    CHROMIUM_ARGS,
    POST_REPLY,
    STARTUP_LIMIT,
    STATIC_INDEX,
    XSS_REPLY,
    PanelPage,
    PanelServer,
    chromium_path,
    free_port,
    missing,
    wait_until,
)

from soulbeat.testing import FakeLLMServer


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def panel_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PanelServer]:
    if not STATIC_INDEX.is_file():
        missing(
            "the web panel is not built (no src/soulbeat/api/static/index.html): run "
            "`npm --prefix web ci && npm --prefix web run build`"
        )
    soulbeat = Path(sys.executable).with_name("soulbeat")
    if not soulbeat.is_file():
        missing(f"no soulbeat command beside {sys.executable} (pip install -e .)")
    root = tmp_path_factory.mktemp("panel")
    config = root / "soulbeat.toml"
    config.write_text("# written by tests/panel/conftest.py\n", encoding="utf-8")
    log_path = root / "serve.log"
    llm = FakeLLMServer()
    llm.on("XSS-MARKER", reply=XSS_REPLY)
    llm.on("POST-MARKER", reply=POST_REPLY)
    llm.on("CHAT-MARKER", reply=CHAT_REPLY)
    llm.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOULBEAT_")}
    env |= {
        "SOULBEAT_LLM_PROVIDER": "openai",
        "SOULBEAT_LLM_BASE_URL": llm.openai_url,
        "SOULBEAT_LLM_MODEL": "fake-model",
        "HOME": str(root),  # no ~/.agents/SOUL.md of the machine's user leaks in
    }
    command = [
        str(soulbeat), "--config", str(config), "serve", "--port", str(port),
        "--workspace", str(root / "ws"), "--data-dir", str(root / "data"),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"soulbeat serve exited with {process.returncode}:\n"
                + log_path.read_text(encoding="utf-8", errors="replace")
            )
        try:
            return httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, "soulbeat serve to answer /healthz", STARTUP_LIMIT)
        token = (root / "data" / "api-token").read_text(encoding="utf-8").strip()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30.0) as http:
            yield PanelServer(url=url, token=token, llm=llm, root=root, http=http)
    finally:
        _stop(process)
        llm.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright import sync_api
    except ImportError:
        missing("the playwright package is missing (pip install playwright)")
    executable = chromium_path()
    if executable is None:
        missing("Chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def panel(browser: Any, panel_server: PanelServer) -> Iterator[PanelPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    seen = PanelPage(page=page, server=panel_server)

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_request(request: Any) -> None:
        networked = request.url.startswith(("http:", "https:", "ws:", "wss:"))
        if networked and not request.url.startswith(panel_server.url + "/"):
            seen.foreign_requests.append(request.url)

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", on_request)
    try:
        yield seen
    finally:
        context.close()
    assert seen.errors == [], f"the page raised: {seen.errors}"
    assert seen.foreign_requests == [], f"requests left the server: {seen.foreign_requests}"
