"""The default template on a fresh install: until its person writes what to check, a day of
scheduled beats calls the model not once — neither the thread's own heartbeat nor the example
skill's (issue 10, item 11). Both say so in their records."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from soulbeat.config.settings import Settings
from soulbeat.testing import FakeClock, ScriptedLLM
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace


async def _run_day(service: object, clock: FakeClock, end: datetime) -> None:
    while True:
        due = await service.store.earliest_due()  # type: ignore[attr-defined]
        if due is None or due > end:
            return
        await clock.set(max(due, clock.now()))
        await service.scheduler.run_due()  # type: ignore[attr-defined]


async def test_a_fresh_default_workspace_never_calls_the_model(
    tmp_path: Path, clock: FakeClock
) -> None:
    workspace = tmp_path / "workspace"
    init_workspace(workspace)
    llm = ScriptedLLM()  # any call would fail: nothing is scripted
    settings = Settings(data_dir=tmp_path / "data", workspace=workspace, user_timezone="UTC")
    service = build(settings, clock=clock, provider=llm)
    await service.open()
    try:
        await service.create_thread(thread_id="ops")
        await service.scheduler.run_due()
        await _run_day(service, clock, clock.now() + timedelta(days=1))
        beats = await service.history("ops", limit=500)
        assert llm.requests == []
        kinds = Counter((b.skill, b.outcome, b.skip_reason) for b in beats)
        assert set(kinds) == {
            ("", "skipped", "empty-heartbeat-file"),
            ("inbox-watch", "skipped", "empty-heartbeat-file"),
        }
    finally:
        await service.close()
