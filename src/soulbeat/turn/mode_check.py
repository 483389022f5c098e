"""What ``decision_mode`` each configured model gets, for ``soulbeat doctor`` (issue 14).

Every agent's effective heartbeat config names a model (its ``model``, else ``llm_model``) and a
``decision_mode``. `decision_picks` groups the agents by (model, mode) and says, per group, the
mode a beat would run in: a pinned mode as configured; under ``auto`` what the runner's
`DecisionModes.resolve` decides, with the same probe (`probe_mode`: one tiny constrained request
per model) — ``tools`` without a probe for an agent with MCP servers (their tools exist only as
calls) or a provider that declares no structured output. `decision_picks` asks no server (it
runs inside a running service too); `probe_picks` probes what is left. Without the probe
(``doctor --no-model``) or when the server cannot be reached, an ``auto`` model's pick is None:
unknown until a beat probes.

The turn runner keeps its own `DecisionModes` per process; doctor's probe is made by doctor's
process and remembered nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from soulbeat.config import effective_config
from soulbeat.config.settings import Settings
from soulbeat.llm.base import LLMProvider
from soulbeat.turn.modes import DecisionMode, probe_mode

__all__ = ["ModePick", "decision_picks"]

MakeProvider = Callable[[Settings], LLMProvider]


@dataclass(frozen=True)
class ModePick:
    """The mode one model gets for the `agents` configured with ``decision_mode`` =
    `configured`: ``mode`` is the pick (None: unknown), ``why`` how it was decided."""

    model: str
    agents: tuple[str, ...]
    configured: str
    mode: DecisionMode | None
    why: str

    def as_record(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "agents": list(self.agents),
            "configured": self.configured,
            "mode": self.mode,
            "why": self.why,
        }


@dataclass
class _Group:
    agents: list[str]
    mcp: bool = False


def _groups(settings: Settings) -> dict[tuple[str, str], _Group]:
    found: dict[tuple[str, str], _Group] = {}
    for agent_id in sorted(settings.agents):
        config = effective_config(settings, agent_id=agent_id).config
        model = (config.model or settings.llm_model).strip()
        group = found.setdefault((model, config.decision_mode), _Group([]))
        group.agents.append(agent_id)
        mcp = bool(settings.agents[agent_id].mcp_servers) and config.max_tool_calls > 0
        group.mcp = group.mcp or mcp
    return found


def decision_picks(settings: Settings) -> list[ModePick]:
    """One `ModePick` per configured (model, mode) without asking the server: an ``auto``
    group that needs the probe has mode None (`probe_picks` fills it)."""
    picks: list[ModePick] = []
    for (model, configured), group in _groups(settings).items():
        agents = tuple(group.agents)
        if configured in ("tools", "schema", "text"):
            pinned: DecisionMode = configured  # type: ignore[assignment]  # checked above
            picks.append(ModePick(model, agents, configured, pinned, "pinned"))
        elif group.mcp:
            why = "an agent has MCP servers, whose tools only tool calls reach"
            picks.append(ModePick(model, agents, configured, "tools", why))
        else:
            why = "not probed (--no-model): a beat probes the server once"
            picks.append(ModePick(model, agents, configured, None, why))
    return picks


async def probe_picks(
    picks: list[ModePick], settings: Settings, make_provider: MakeProvider
) -> list[ModePick]:
    """`picks` with each unknown ``auto`` pick probed (once per model); `make_provider` gives the
    provider to probe with (closed here)."""
    if all(pick.mode is not None for pick in picks):
        return picks
    provider = make_provider(settings)
    probed: dict[str, DecisionMode | None] = {}
    found: list[ModePick] = []
    try:
        for pick in picks:
            if pick.mode is not None:
                found.append(pick)
                continue
            if not getattr(provider, "structured_output", False):
                why = f"provider {settings.llm_provider} declares no structured output"
                found.append(replace(pick, mode="tools", why=why))
                continue
            if pick.model not in probed:
                probed[pick.model] = await probe_mode(provider, pick.model)
            mode = probed[pick.model]
            if mode is None:
                why = "the probe told nothing (server down or model unknown); tools meanwhile"
            elif mode == "schema":
                why = "the server answered the probe inside a JSON schema"
            else:
                why = "the server refused or ignored a JSON schema"
            found.append(replace(pick, mode=mode, why=why))
    finally:
        await provider.aclose()
    return found
