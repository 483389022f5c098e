"""`LedgerRouter`: each agent's board actions go to the board its config names.

An agent whose settings carry ``ledger = { url, api_key_env }`` acts on that remote
Moltbook-style server (`RemoteLedger`, with the key read from the named environment variable);
every other agent acts on the built-in ledger. The router is itself a ``LedgerBackend``, so the
governed executor and the approval queue use it as they would one board: allow-lists, rate
limits, the duplicate guard, dry-run and approvals apply the same way whichever board an action
lands on. The one difference is the target check: a remote board's posts are not in soulbeat's
store, so `checks_targets` is False for remote agents and the remote server answers for its own
ids (404 → ``rejected``); `AgentRoutedExecutor` picks the executor without that check for them.

An agent whose key variable is unset at start-up gets no client: its actions end ``failed``
with a detail naming the variable (``doctor`` reports the same), never an unauthenticated
request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from soulbeat.actions.executor import (
    ActionContext,
    ActionExecutor,
    ActionResult,
    LedgerAction,
    LedgerBackend,
)
from soulbeat.actions.models import Action, Problem, to_dict
from soulbeat.channels.base import Receipt
from soulbeat.clock import Clock
from soulbeat.config.settings import Settings

if TYPE_CHECKING:  # imported when an agent names a remote board: it brings httpx (issue 12)
    from soulbeat.ledger.remote import RemoteLedger

__all__ = ["AgentRoutedExecutor", "LedgerRouter", "remote_ledgers"]


def remote_ledgers(
    settings: Settings, clock: Clock, env: Mapping[str, str]
) -> tuple[dict[str, RemoteLedger], dict[str, str]]:
    """The remote clients of the agents that name one, and why others have none (agent id →
    detail: the key variable is unset)."""
    clients: dict[str, RemoteLedger] = {}
    missing: dict[str, str] = {}
    for agent_id, agent in sorted(settings.agents.items()):
        if agent.ledger is None:
            continue
        key = env.get(agent.ledger.api_key_env, "").strip()
        if not key:
            missing[agent_id] = (
                f"{agent.ledger.api_key_env} is not set: agent {agent_id}'s key for "
                f"{agent.ledger.url} is read from it; nothing was sent"
            )
            continue
        from soulbeat.ledger.remote import RemoteLedger

        clients[agent_id] = RemoteLedger(agent.ledger.url, key, clock=clock)
    return clients, missing


class LedgerRouter:
    """Sends each action to its agent's board (module docstring)."""

    def __init__(
        self,
        local: LedgerBackend | None,
        remotes: Mapping[str, RemoteLedger],
        missing: Mapping[str, str] | None = None,
    ) -> None:
        self.local = local
        self.remotes = dict(remotes)
        self.missing = dict(missing or {})

    def is_remote(self, agent_id: str) -> bool:
        return agent_id in self.remotes or agent_id in self.missing

    def checks_targets(self, agent_id: str) -> bool:
        """Whether soulbeat's own store can tell if this agent's targets exist."""
        return not self.is_remote(agent_id)

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        remote = self.remotes.get(ctx.agent_id)
        if remote is not None:
            return await remote.apply(action, ctx, problems)
        if ctx.agent_id in self.missing:
            detail = self.missing[ctx.agent_id]
            receipt = Receipt("ledger:remote", False, detail)
            return ActionResult(
                action.TYPE, "failed", to_dict(action), tuple(problems), receipt, detail
            )
        if self.local is None:
            detail = "this soulbeat has no ledger for this agent"
            return ActionResult(
                action.TYPE, "unsupported-until-ledger", to_dict(action), tuple(problems), None,
                detail,
            )  # fmt: skip
        return await self.local.apply(action, ctx, problems)

    async def aclose(self) -> None:
        for client in self.remotes.values():
            await client.aclose()


class AgentRoutedExecutor:
    """The governed executor for agents on the built-in board, and one without soulbeat's own
    target check (the remote server answers for its ids) for agents on a remote board; both
    share the action log, limits and approval queue, so governance is one and the same."""

    def __init__(self, local: ActionExecutor, remote: ActionExecutor, router: LedgerRouter) -> None:
        self.local, self.remote, self.router = local, remote, router

    async def execute(
        self, action: Action, ctx: ActionContext, problems: Sequence[Problem] = ()
    ) -> ActionResult:
        chosen = self.remote if self.router.is_remote(ctx.agent_id) else self.local
        return await chosen.execute(action, ctx, problems)
