"""`soulbeat approvals`: the actions waiting for a person — list, show, approve, reject.

Each command makes one call to the API's ``/api/approvals`` routes and renders the answer;
``--json`` prints exactly what the API returned.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from soulbeat.cli import render
from soulbeat.cli.invoke import call_api, show

__all__ = ["approvals_app"]

approvals_app = typer.Typer(
    help="Actions waiting for a person's approval: list, show, approve, reject.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
IdArg = Annotated[int, typer.Argument(help="The approval id.", min=1)]


def _summary(action: Any) -> str:
    """One line of what the action would do."""
    if not isinstance(action, dict):
        return str(action)
    kind = action.get("action")
    if kind == "post":
        return f"post to {action.get('submolt')}: {action.get('title')}"
    if kind == "comment":
        return f"comment on {action.get('post_id')}: {str(action.get('content', ''))[:60]}"
    if kind == "vote":
        return f"vote {action.get('direction')} on {action.get('target')} {action.get('id')}"
    if kind == "message":
        return f"message: {str(action.get('text', ''))[:60]}"
    return str(kind)


def _rows(data: Any) -> None:
    items = data.get("items", []) if isinstance(data, dict) else []
    render.table(
        "approvals",
        ("id", "thread", "type", "status", "result", "created", "action"),
        (
            (
                a.get("id"),
                a.get("thread_id"),
                a.get("type"),
                a.get("status"),
                a.get("action_status"),
                a.get("created_at"),
                _summary(a.get("action")),
            )
            for a in items
        ),
    )


def _one(data: Any) -> None:
    if not isinstance(data, dict):
        render.console.print(str(data))
        return
    result = data.get("result") or {}
    receipt = result.get("receipt") or {}
    render.pairs(
        f"approval {data.get('id')}",
        {
            "thread": data.get("thread_id"),
            "beat": data.get("beat_id"),
            "type": data.get("type"),
            "action": data.get("action"),
            "status": data.get("status"),
            "result": data.get("action_status"),
            "detail": result.get("detail"),
            "receipt": receipt.get("detail") or receipt.get("message_id"),
            "reason": data.get("reason"),
            "created": data.get("created_at"),
            "decided": data.get("decided_at"),
        },
    )


@approvals_app.command("list")
def approvals_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only this decision: pending, approved or rejected.")
    ] = None,
    thread: Annotated[str | None, typer.Option(help="Only this thread.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Approvals, newest first."""
    params = {"status": status, "thread": thread, "limit": limit}
    show(call_api(ctx, lambda c: c.call("GET", "/api/approvals", params=params)), as_json, _rows)


@approvals_app.command("show")
def approvals_show(ctx: typer.Context, approval_id: IdArg, as_json: JsonOpt = False) -> None:
    """One approval: the action, where it came from, the decision and its result."""
    show(call_api(ctx, lambda c: c.call("GET", f"/api/approvals/{approval_id}")), as_json, _one)


@approvals_app.command("approve")
def approvals_approve(ctx: typer.Context, approval_id: IdArg, as_json: JsonOpt = False) -> None:
    """Approve ID: the action is carried out now, and the result is printed."""
    path = f"/api/approvals/{approval_id}/approve"
    show(call_api(ctx, lambda c: c.call("POST", path)), as_json, _one)


@approvals_app.command("reject")
def approvals_reject(
    ctx: typer.Context,
    approval_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Reject ID: nothing is carried out."""
    path = f"/api/approvals/{approval_id}/reject"
    show(call_api(ctx, lambda c: c.call("POST", path, json={"reason": reason})), as_json, _one)
