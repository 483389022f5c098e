"""Schemathesis over the OpenAPI document: nothing a client sends gets a 5xx.

The cases go over real HTTP to a `LiveServer` (with a fake model server behind it, so chat turns
and beats get answers), with both tokens supplied. The event stream is left out: it never ends.
Examples per operation are few, to keep the run well under a minute.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from api_support import AUTH, HOOK_AUTH, LiveServer
from hypothesis import HealthCheck, Phase, settings

from soulbeat.api import create_app
from soulbeat.config.settings import Settings
from soulbeat.testing import FakeLLMServer
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("SOULBEAT_FUZZ_EXAMPLES", "12"))
"""Raise it for a deeper run: ``SOULBEAT_FUZZ_EXAMPLES=300 pytest tests/api/test_api_fuzz.py``."""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("fuzz")
    init_workspace(root / "workspace")
    with FakeLLMServer() as model:
        settings = Settings(
            data_dir=root / "data",
            workspace=root / "workspace",
            llm_provider="openai",
            llm_base_url=model.openai_url,
            llm_model="fake-model",
        )
        with LiveServer(settings) as server:
            response = httpx.post(f"{server.url}/api/threads", json={"id": "t1"}, headers=AUTH)
            assert response.status_code == 201
            yield server


def _openapi_document() -> dict[str, Any]:
    """The app's own OpenAPI document, from an app over a service that is built, never opened
    (nothing touches the disk)."""
    nowhere = Path(tempfile.gettempdir()) / "soulbeat-openapi-never-written"
    service = build(Settings(data_dir=nowhere, workspace=nowhere))
    document: dict[str, Any] = create_app(service, api_token="-", hook_token="-").openapi()
    return document


schema = schemathesis.openapi.from_dict(_openapi_document()).exclude(path="/api/events")
thread_schema = schema.include(path_regex=r"\{tid\}").exclude(method="DELETE")
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _check(case: Any, live: LiveServer) -> None:
    response = case.call(base_url=live.url, headers=AUTH | HOOK_AUTH, timeout=15)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    if response.status_code == 400 and response.text == "Invalid HTTP request received.":
        return  # uvicorn refused bytes that are not HTTP (a generated header): the app never ran
    if response.status_code >= 400:
        assert "error" in response.json(), response.text[:500]


@schema.parametrize()
@FUZZ
def test_api_no_server_errors(case: Any, live: LiveServer) -> None:
    _check(case, live)


@thread_schema.parametrize()
@FUZZ
def test_api_no_server_errors_on_a_real_thread(case: Any, live: LiveServer) -> None:
    """The same, with `{tid}` an existing thread, so the bodies reach the service."""
    case.path_parameters["tid"] = "t1"
    _check(case, live)
