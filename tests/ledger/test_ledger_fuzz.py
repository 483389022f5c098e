"""Schemathesis over the ledger routes' OpenAPI document: whatever a client sends, no 5xx, and
every refusal by a ledger route is ``{"success": false, "error", "hint"}`` (a method no route
has is refused by the app itself, 405 in its own shape). Real HTTP to a real uvicorn."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from ledger_support import AUTH, ServerThread, ledger_app, make_settings, soulbeat_server

from soulbeat.config.settings import Settings
from soulbeat.ledger.service import LedgerService
from soulbeat.testing import FakeClock
from soulbeat.wiring import build

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("SOULBEAT_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    settings = make_settings(tmp_path_factory.mktemp("ledger-fuzz"))
    clock = FakeClock()
    with ServerThread(lambda: soulbeat_server(settings, clock, limits={})) as server:
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            assert client.get("/api/v1/submolts/general").status_code == 200  # made at open
            post = {"submolt": "general", "title": "t", "content": "x"}
            assert client.post("/api/v1/posts", json=post).status_code == 201
            comment = client.post("/api/v1/posts/p_1/comments", json={"content": "c"})
            assert comment.status_code == 201
        yield server


def _document() -> dict[str, Any]:
    nowhere = Path(tempfile.gettempdir()) / "soulbeat-openapi-never-written"
    service = build(Settings(data_dir=nowhere, workspace=nowhere))
    clock = FakeClock()
    app = ledger_app(service, LedgerService(service.store, clock))  # type: ignore[arg-type]
    document: dict[str, Any] = app.openapi()
    return document


schema = schemathesis.openapi.from_dict(_document()).include(path_regex=r"^/api/v1/")
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_ledger_routes_never_fail_with_5xx(case: Any, live: ServerThread) -> None:
    response = case.call(base_url=live.url, headers=AUTH, timeout=15)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    body = response.json()
    if response.status_code == 405:  # no ledger route matched: the app's own answer
        assert body["error"], response.text[:500]
        return
    assert body.get("success") is (response.status_code < 400), (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    if response.status_code >= 400:
        assert body["error"] and "hint" in body, response.text[:500]
