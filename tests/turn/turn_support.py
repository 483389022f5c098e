"""Helpers of the turn tests: a `Bench` with a real store, a real workspace and a TurnRunner."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from soulbeat.actions.executor import ActionExecutor
from soulbeat.agents.registry import AgentRegistry
from soulbeat.channels.base import Channel
from soulbeat.config.settings import Settings
from soulbeat.llm.base import LLMProvider
from soulbeat.schedule.plan import BeatPlan
from soulbeat.service.files import WorkspaceFiles
from soulbeat.store.records import BeatRecord, BeatResult, Thread
from soulbeat.store.sqlite import SQLiteStore
from soulbeat.testing import BareExecutor, FakeClock, RecordingChannel
from soulbeat.testing.llm import ScriptedLLM
from soulbeat.tools.assemble import ToolKit
from soulbeat.turn.context import ContextSource
from soulbeat.turn.remind_tool import ScheduleReminder
from soulbeat.turn.runner import TurnRunner

CHECKLIST = "# HEARTBEAT.md\n\n## Checklist\n- Check whether the disk is almost full\n"
SOUL = "---\nname: Ada\n---\n# Ada\nYou are Ada, calm and precise.\n"
MODEL = "fake-model"

Connect = Callable[[str], LLMProvider]
"""`connect(root_url)` (the turn tests' fixture) → a provider of the protocol under test."""


class RecordingSink:
    """An `EventSink` that keeps what was published."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, name: str, data: Mapping[str, Any]) -> None:
        self.events.append((name, dict(data)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]


def write_workspace(root: Path, files: Mapping[str, str | None]) -> Path:
    """Write ``files`` (path → text; None leaves a file out) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def plan_for(thread_id: str, skill: str = "", **changes: Any) -> BeatPlan:
    values: dict[str, Any] = {
        "thread_id": thread_id,
        "skill": skill,
        "enabled": True,
        "interval": timedelta(minutes=30),
        "user_timezone": "Europe/Berlin",
    }
    values.update(changes)
    return BeatPlan(**values)


@dataclass
class Bench:
    """A store, a workspace, an agent registry and the doubles around one `TurnRunner`."""

    tmp: Path
    clock: FakeClock
    store: SQLiteStore
    workspace: Path
    llm: ScriptedLLM = field(default_factory=ScriptedLLM)
    events: RecordingSink = field(default_factory=RecordingSink)
    thread_channel: RecordingChannel = field(default_factory=lambda: RecordingChannel("thread"))
    channels: dict[str, Channel] = field(default_factory=dict)
    settings_extra: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        return Settings(
            workspace=self.workspace,
            data_dir=self.tmp / "data",
            user_timezone="Europe/Berlin",
            llm_model=MODEL,
            **self.settings_extra,
        )

    def registry(self) -> AgentRegistry:
        return AgentRegistry(self.settings(), self.store, home=self.tmp / "home")

    def runner(
        self,
        *,
        provider: LLMProvider | None = None,
        executor: ActionExecutor | None = None,
        thread_channel: Channel | None = None,
        sources: Sequence[ContextSource] = (),
        tool_kit: ToolKit | None = None,
        reminders: ScheduleReminder | None = None,
    ) -> TurnRunner:
        return TurnRunner(
            self.store,
            self.registry(),
            provider or self.llm,
            self.clock,
            default_model=MODEL,
            events=self.events,
            channels=self.channels,
            thread_channel=thread_channel or self.thread_channel,
            executor=executor or BareExecutor(),
            context_sources=sources,
            tool_kit=tool_kit,
            reminders=reminders,
        )

    def tool_kit(self, **changes: Any) -> ToolKit:
        """Issue 15: memory and tools for the bench's beats (no MCP unless `hub` is given)."""
        files = WorkspaceFiles(self.registry(), self.store, self.clock)
        return ToolKit(files, **changes)

    async def thread(self, thread_id: str = "t1", **config: Any) -> Thread:
        await self.registry().sync()
        return await self.store.add_thread(
            Thread(thread_id, "default", self.clock.now(), config=config)
        )

    async def run(
        self,
        thread_id: str = "t1",
        *,
        runner: TurnRunner | None = None,
        plan: BeatPlan | None = None,
        skill: str = "",
        reason: str = "manual",
    ) -> tuple[BeatResult, BeatRecord]:
        """Claim a beat a second from now, run the turn, finish the beat in the store (as the
        scheduler would)."""
        await self.clock.advance(1)
        claim = await self.store.claim_wake(
            thread_id, skill, reason, self.clock.now(), "w1", timedelta(minutes=15)
        )
        assert claim is not None
        runner = runner or self.runner()
        result = await runner.run(
            claim, plan or plan_for(thread_id, skill), started_at=self.clock.now()
        )
        record = await self.store.finish_beat(claim, result, next_due_at=None, advance=False)
        return result, record

    def user_text(self, index: int = -1) -> str:
        """The user message of a request the model got."""
        return self.llm.requests[index].messages[1].content

    def system_text(self, index: int = -1) -> str:
        return self.llm.requests[index].messages[0].content
