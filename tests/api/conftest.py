"""Fixtures of the API tests: a service on a fake clock and a scripted model, its app, clients.

`client` carries the API token; `anon` carries none. The app's tokens are the files made in the
tmp data directory (`ensure_api_token`), so the fixtures also exercise that path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from soulbeat.api import create_app, ensure_api_token, ensure_hook_token
from soulbeat.config.settings import Settings
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

BASE_URL = "http://soulbeat.test"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    init_workspace(root)
    return root


@pytest.fixture
def settings(tmp_path: Path, workspace: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", workspace=workspace)


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
async def service(settings: Settings, clock: FakeClock, llm: ScriptedLLM) -> AsyncIterator[Service]:
    service = build(settings, clock=clock, provider=llm)
    await service.open()
    yield service
    await service.close()


@pytest.fixture
def app(service: Service) -> FastAPI:
    return create_app(service)


@pytest.fixture
def token(settings: Settings, app: FastAPI) -> str:
    return ensure_api_token(settings)[0]


@pytest.fixture
def hook_token(settings: Settings, app: FastAPI) -> str:
    return ensure_hook_token(settings)[0]


@pytest.fixture
async def client(app: FastAPI, token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as c:
        yield c


@pytest.fixture
async def anon(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
async def thread_id(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/threads", json={"id": "t1", "title": "kitchen"})
    assert response.status_code == 201, response.text
    return "t1"
