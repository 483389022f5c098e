"""Issue 16's commands: `remind`, `reminders list|cancel` and `schedule` (cron's next fires,
health, pending reminders). Each makes one API call and renders the answer."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from soulbeat.cli import render
from soulbeat.cli.heartbeat_cmds import JsonOpt, ThreadArg
from soulbeat.cli.invoke import call_api, show

reminders_app = typer.Typer(help="List or cancel a thread's reminders.", no_args_is_help=True)


def _reminder(data: Any) -> None:
    render.pairs(
        f"reminder {data.get('id')}",
        {k: data.get(k) for k in ("thread_id", "text", "due_at", "urgent", "status", "reason")},
    )


def remind(
    ctx: typer.Context,
    thread: ThreadArg,
    text: Annotated[str, typer.Argument(help="What to be reminded of (the beat's event).")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="ISO time, e.g. 2026-12-08T08:00 (the thread's timezone)."),
    ] = None,
    after: Annotated[str | None, typer.Option("--in", help="An interval, e.g. 2h or 90s.")] = None,
    urgent: Annotated[
        bool, typer.Option("--urgent", help="Fire outside active hours too.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """A one-shot beat of THREAD at a time, with TEXT as its reason; kept across restarts."""
    body: dict[str, Any] = {"text": text, "urgent": urgent}
    if at is not None:
        body["at"] = at
    if after is not None:
        body["in"] = after
    show(
        call_api(ctx, lambda c: c.call("POST", f"/api/threads/{thread}/reminders", json=body)),
        as_json,
        _reminder,
    )


@reminders_app.command("list")
def reminders_list(
    ctx: typer.Context,
    thread: ThreadArg,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, done or cancelled.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A thread's reminders, soonest first."""
    params = {"status": status} if status else None
    data = call_api(ctx, lambda c: c.call("GET", f"/api/threads/{thread}/reminders", params=params))
    show(
        data,
        as_json,
        lambda d: render.table(
            f"reminders of {thread}",
            ("id", "due", "status", "by", "text"),
            (
                (r["id"], r["due_at"], r["status"], r["created_by"], r["text"])
                for r in d.get("items", [])
            ),
        ),
    )


@reminders_app.command("cancel")
def reminders_cancel(
    ctx: typer.Context,
    thread: ThreadArg,
    reminder: Annotated[int, typer.Argument(help="The reminder id.")],
    as_json: JsonOpt = False,
) -> None:
    """Cancel a pending reminder."""
    url = f"/api/threads/{thread}/reminders/{reminder}"
    show(call_api(ctx, lambda c: c.call("DELETE", url)), as_json, _reminder)


def _schedule(data: Any) -> None:
    health = data.get("health") or {}
    render.pairs(
        f"schedule of {data.get('thread_id')}",
        {
            "every": data.get("every"),
            "cron": data.get("cron"),
            "timezone": data.get("timezone"),
            "next due": data.get("next_due_at"),
            "next fires": ", ".join(data.get("next_fires") or []) or None,
            "quiet after message": data.get("quiet_after_message"),
            "health": f"{health.get('state')} (failed streak {health.get('failed_streak')})",
            "pending reminders": len(data.get("reminders") or []),
        },
    )


def schedule(ctx: typer.Context, thread: ThreadArg, as_json: JsonOpt = False) -> None:
    """When THREAD beats: every or cron (its next five fires), its health and reminders."""
    show(
        call_api(ctx, lambda c: c.call("GET", f"/api/threads/{thread}/schedule")),
        as_json,
        _schedule,
    )
