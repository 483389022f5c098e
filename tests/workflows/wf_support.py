"""Helpers of the workflow tests: seed 000's example workspaces, wired for real.

`open_flow` makes a workspace from a template (`init_workspace`), loads its ``soulbeat.toml``
with `load_settings` (the seed's heartbeat shape), points the model at a `FakeLLMServer` over
real HTTP and builds soulbeat with `wiring.build` on a `FakeClock`. `Flow.next_beat` moves the
clock to a thread's next slot and runs one scheduler pass, as the real loop would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from soulbeat.actions.log import ActionLog
from soulbeat.config import load_settings
from soulbeat.ledger.service import LedgerService
from soulbeat.schedule.cadence import phase_offset
from soulbeat.service.core import Service
from soulbeat.store.records import BeatRecord
from soulbeat.store.records_board import Actor, Post
from soulbeat.testing import FakeClock, FakeLLMServer
from soulbeat.wiring import build
from soulbeat.workspace.templates import init_workspace

ANN, BOB, CAI, DEE = (Actor("person", name) for name in ("ann", "bob", "cai", "dee"))
AGENT = Actor("agent", "default")
_LEDGER_COUNT = re.compile(r"Ledger: (\d+) new posts?")


@dataclass
class Flow:
    """One wired soulbeat over one template workspace."""

    service: Service
    clock: FakeClock
    server: FakeLLMServer
    workspace: Path

    @property
    def ledger(self) -> LedgerService:
        ledger = getattr(self.service, "ledger", None)
        assert isinstance(ledger, LedgerService), "wiring.build sets service.ledger"
        return ledger

    async def board(self, *submolts: str) -> None:
        """Make the submolts (by ann; ``general`` is there from the start) and subscribe the
        agent to them."""
        for name in submolts:
            if name != "general":
                await self.ledger.create_submolt(name, created_by=ANN)
            await self.ledger.subscribe(AGENT, name)

    async def thread(self, thread_id: str, **config: Any) -> str:
        await self.service.create_thread(thread_id=thread_id)
        if config:
            await self.service.configure_thread(thread_id, config)
        return thread_id

    async def next_beat(self, thread_id: str) -> BeatRecord:
        """Move the clock to the thread's next slot, run one pass, return that beat."""
        detail = await self.service.thread_detail(thread_id)
        assert detail.main is not None and detail.main.next_due_at is not None
        await self.clock.set(max(detail.main.next_due_at, self.clock.now()))
        await self.service.scheduler.run_due()
        return (await self.service.history(thread_id, limit=1))[0]

    async def posts(self, submolt: str = "general") -> list[Post]:
        """The submolt's posts, oldest first."""
        found = await self.ledger.feed(submolt=submolt, sort="new", limit=100)
        return list(reversed(found))

    def action_log(self) -> ActionLog:
        """The action log on the flow's database."""
        store = self.service.store
        return ActionLog(store, self.clock)


async def open_flow(
    tmp_path: Path,
    template: str,
    server: FakeLLMServer,
    clock: FakeClock,
    *,
    protocol: str = "openai",
    model: str = "fake-model",
    decision_mode: str = "tools",
) -> Flow:
    """The template's workspace wired to `server`. `decision_mode` is pinned to ``tools`` by
    default: the flows script tool rounds (``ledger_*`` calls answered, then another round),
    which ``auto`` — the product's default, ``schema`` on a server that honours one — has not."""
    workspace = tmp_path / template
    init_workspace(workspace, template)
    url = server.openai_url if protocol == "openai" else server.ollama_url
    settings = load_settings(
        workspace / "soulbeat.toml",
        env={},
        overrides={
            "data_dir": tmp_path / "data",
            "workspace": workspace,
            "llm_provider": protocol,
            "llm_base_url": url,
            "llm_model": model,
            "user_timezone": "UTC",
            "heartbeat": {"decision_mode": decision_mode},
        },
    )
    service = build(settings, clock=clock)
    await service.open()
    return Flow(service, clock, server, workspace)


async def thread_id_with_phase(
    service: Service, prefix: str, every: timedelta, start: timedelta, end: timedelta
) -> str:
    """A thread id whose stable phase on ``every`` falls in [start, end) (SPEC §4.1: the phase
    is sha256(install seed, thread id), so which ids land where differs per database)."""
    seed = await service.store.install_seed()
    for number in range(10_000):
        candidate = f"{prefix}-{number}"
        if start <= phase_offset(seed, candidate, every) < end:
            return candidate
    raise AssertionError(f"no {prefix} thread id with a phase in [{start}, {end})")


# -- reading requests and records ---------------------------------------------------------------
def prompt_text(body: Mapping[str, Any]) -> str:
    """Every message of a chat request body, joined."""
    messages = body.get("messages") or []
    return "\n".join(str(m.get("content") or "") for m in messages if isinstance(m, dict))


def has_tool_answers(body: Mapping[str, Any]) -> bool:
    """Whether the request carries answers to tool calls (a second round)."""
    return any(m.get("role") == "tool" for m in body.get("messages") or [] if isinstance(m, dict))


def new_posts_shown(body: Mapping[str, Any]) -> int:
    """The count in the ledger's trusted summary line of the prompt (0 when absent)."""
    found = _LEDGER_COUNT.search(prompt_text(body))
    return int(found.group(1)) if found else 0


def tool_names(body: Mapping[str, Any]) -> list[str]:
    """The names of the tools offered in a request (both protocols use OpenAI's shape)."""
    return [t["function"]["name"] for t in body.get("tools") or []]


def actions_of(beat: BeatRecord) -> list[tuple[str, str]]:
    return [(a["type"], a["status"]) for a in beat.audit.get("actions", [])]


def json_action(**fields: Any) -> str:
    """A reply in seed 000's JSON action shape."""
    return json.dumps(fields)


def first_round(*needles: str) -> Any:
    """A server matcher: a first-round request whose prompt holds every needle."""

    def match(body: Mapping[str, Any]) -> bool:
        text = prompt_text(body)
        return not has_tool_answers(body) and all(needle in text for needle in needles)

    return match


def last(items: Sequence[Any]) -> Any:
    return items[-1]
