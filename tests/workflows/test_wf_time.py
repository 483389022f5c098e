"""Issue 16's judged scenario, end to end on an injected clock: a weekday-09:00 cron thread in
Europe/Berlin across the spring-forward change, a reminder set two minutes ahead that arrives
after a restart, and a failing model that makes the thread unhealthy, raises exactly one alert
to a webhook channel (a real HTTP receiver on 127.0.0.1) across another restart, then recovers.
Everything goes through `wiring.build`, the HTTP API (in-process ASGI) and scheduler passes."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from soulbeat.api import create_app
from soulbeat.config.settings import ChannelSettings, Settings
from soulbeat.errors import ProviderUnavailableError
from soulbeat.service.core import Service
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.testing.llm import fail
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

TOKEN = "time-e2e-token"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Pager:
    """A webhook receiver on 127.0.0.1 that keeps every JSON body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                pager.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def pager() -> Iterator[Pager]:
    receiver = Pager()
    yield receiver
    receiver.close()


@asynccontextmanager
async def running(
    settings: Settings, clock: FakeClock, llm: ScriptedLLM
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """One life of the process: the service on the data directory, and an API client."""
    service = build(settings, clock=clock, provider=llm)
    await service.open()
    app = create_app(service, api_token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    transport = httpx.ASGITransport(app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://soulbeat.test", headers=headers
        ) as client:
            yield service, client
    finally:
        await service.close(grace=timedelta(seconds=1))


async def test_cron_dst_reminder_restart_unhealthy_one_alert_recovery(
    tmp_path: Path, clock: FakeClock, pager: Pager
) -> None:
    workspace = tmp_path / "ws"
    init_workspace(workspace)
    shutil.rmtree(
        workspace / ".agents" / "skills" / "inbox-watch"
    )  # only the thread's own heartbeat
    (workspace / "HEARTBEAT.md").write_text("## Checklist\n- Say what the team plans today.\n")
    settings = Settings(
        data_dir=tmp_path / "data",
        workspace=workspace,
        user_timezone="Europe/Berlin",
        channels={"pager": ChannelSettings(url=pager.url, kind="json")},
    )
    llm = ScriptedLLM()  # a new model client per life: closing the service closes its provider
    await clock.set(utc("2026-03-26T12:00"))  # Thursday; Berlin springs forward on Sunday
    config = {
        "cron": "0 9 * * MON-FRI",
        "timezone": "Europe/Berlin",
        "health_target": "pager",
        "idle_pause": "0",
        "skip_unchanged": False,  # the stand-up runs at each fire, news or not (SPEC 9.1)
    }

    # -- life 1: the cron thread across the DST change, then a reminder and a crash-free stop --
    async with running(settings, clock, llm) as (service, api):
        assert (await api.post("/api/threads", json={"id": "standup"})).status_code == 201
        shown = (await api.post("/api/threads/standup/heartbeat/config", json=config)).json()
        assert shown["next_fires"][:3] == [
            "2026-03-27T08:00:00+00:00",  # Friday 09:00 CET
            "2026-03-30T07:00:00+00:00",  # Monday 09:00 CEST, after the change
            "2026-03-31T07:00:00+00:00",
        ]
        await service.scheduler.run_due()  # the loop's pass after a config change: re-planned
        ran: list[str] = []
        for fire in shown["next_fires"][:2]:
            llm.script("HEARTBEAT_OK")
            await clock.set(datetime.fromisoformat(fire))
            await service.scheduler.run_due()
            [last] = await service.history("standup", limit=1)
            assert (last.reason, last.outcome) == ("interval", "ok-token")
            ran.append(last.due_at.isoformat())
        assert ran == shown["next_fires"][:2]  # 09:00 local both times, no beat at 08:00 or 10:00
        reminder = await api.post(
            "/api/threads/standup/reminders", json={"text": "ask about the release", "in": "2m"}
        )
        assert reminder.status_code == 201, reminder.text
        reminder_id = reminder.json()["id"]

    # -- life 2: the reminder arrives after the restart ------------------------------------------
    await clock.advance(timedelta(minutes=2))
    llm = ScriptedLLM("HEARTBEAT_OK")
    async with running(settings, clock, llm) as (service, api):
        await service.scheduler.run_due()
        [beat] = await service.history("standup", limit=1)
        assert beat.reason == f"reminder:{reminder_id}" and beat.outcome == "ok-token", beat.error
        assert "Reminder: ask about the release" in json.dumps(
            llm.requests[-1].messages[-1].content
        )
        done = (await api.get("/api/threads/standup/reminders")).json()["items"]
        assert [(r["id"], r["status"]) for r in done] == [(reminder_id, "done")]

        # -- the model fails: three cron beats in a row make the thread unhealthy, one alert --
        down = ProviderUnavailableError("model server down", reason="provider-unreachable")
        for _ in range(5):
            llm.script(fail(down))
            detail = (await api.get("/api/threads/standup/schedule")).json()
            await clock.set(datetime.fromisoformat(detail["next_due_at"]))
            await service.scheduler.run_due()
        health = (await api.get("/api/threads/standup/health")).json()
        assert (health["state"], health["failed_streak"], health["reason"]) == (
            "unhealthy",
            5,
            "failing",
        )
        status = (await api.get("/api/heartbeat/status")).json()
        assert [h["thread_id"] for h in status["unhealthy"]] == ["standup"]
        assert len(pager.bodies) == 1 and "standup is unhealthy" in json.dumps(pager.bodies[0])
        unhealthy_events = [e for e in service.events.since(0) if e.name == "thread.unhealthy"]
        assert len(unhealthy_events) == 1
        metrics = (await api.get("/metrics")).text
        assert 'soulbeat_thread_unhealthy{thread="standup"} 1.0' in metrics
        assert 'soulbeat_thread_failed_streak{thread="standup"} 5.0' in metrics

    # -- life 3: after another restart, still failing: no second alert; then it recovers -------
    llm = ScriptedLLM()
    async with running(settings, clock, llm) as (service, api):
        llm.script(fail(down))
        detail = (await api.get("/api/threads/standup/schedule")).json()
        await clock.set(datetime.fromisoformat(detail["next_due_at"]))
        await service.scheduler.run_due()
        assert len(pager.bodies) == 1  # exactly one alert per unhealthy episode
        llm.script("HEARTBEAT_OK")
        detail = (await api.get("/api/threads/standup/schedule")).json()
        due = datetime.fromisoformat(detail["next_due_at"])
        assert due.astimezone(UTC).hour == 7  # still 09:00 Berlin (CEST) after the backoff
        await clock.set(due)
        await service.scheduler.run_due()
        health = (await api.get("/api/threads/standup/health")).json()
        assert (health["state"], health["failed_streak"]) == ("healthy", 0)
        assert [e.name for e in service.events.since(0) if e.name.startswith("thread.")] == [
            "thread.recovered"
        ]
        metrics = (await api.get("/metrics")).text
        assert "soulbeat_threads_unhealthy 0.0" in metrics
        assert 'soulbeat_thread_health_events_total{event="thread.recovered"} 1.0' in metrics
        assert len(pager.bodies) == 1
