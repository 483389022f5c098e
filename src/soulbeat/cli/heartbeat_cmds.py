"""Scheduler and thread commands: status, start, stop, threads, config, beat, history, audit,
wake and send. Each parses its arguments, makes one API call and renders the answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from soulbeat.cli import render
from soulbeat.cli.invoke import call_api, show

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
ThreadArg = Annotated[str, typer.Argument(help="The thread id.")]

threads_app = typer.Typer(help="List, add, show and remove threads.", no_args_is_help=True)
config_app = typer.Typer(help="Show or change a thread's heartbeat config.", no_args_is_help=True)


def _status(data: Any) -> None:
    last = data.get("last_beat") or {}
    render.pairs(
        "soulbeat",
        {
            "scheduler": _scheduler_state(data),
            "threads": data.get("threads"),
            "in flight": len(data.get("in_flight") or []),
            "next due": data.get("next_due_at"),
            "last beat": " ".join(
                str(part)
                for part in (
                    last.get("thread_id"),
                    last.get("outcome") or last.get("status"),
                    last.get("skip_reason"),
                    f"(due {last.get('due_at')})",
                )
                if part
            )
            if last
            else None,
            "model": "{provider} {model} at {base_url}".format(**data.get("model", {}))
            if data.get("model")
            else None,
            "unhealthy": ", ".join(  # issue 16: threads in an unhealthy episode, with streaks
                f"{h.get('thread_id')} ({h.get('reason')}, {h.get('failed_streak')} failed)"
                for h in data.get("unhealthy") or []
            )
            or "none",
        },
    )


def _scheduler_state(data: Any) -> str:
    if data.get("running"):
        return "running"
    if data.get("held_by_kill_switch"):
        return "stopped by heartbeat_enabled=false for this process (`soulbeat start` resumes)"
    return "stopped"


def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Is the scheduler running, how many threads, what is due next, the last beat."""
    show(call_api(ctx, lambda c: c.call("GET", "/api/heartbeat/status")), as_json, _status)


def start(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Start the scheduler (the flag is stored: it survives restarts)."""
    show(call_api(ctx, lambda c: c.call("POST", "/api/heartbeat/start")), as_json, _status)


def stop(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Stop the scheduler (nothing is claimed or recorded until `start`; manual beats run)."""
    show(call_api(ctx, lambda c: c.call("POST", "/api/heartbeat/stop")), as_json, _status)


def _pruned(data: Any) -> None:
    deleted = data.get("deleted") or {}
    render.pairs(
        "pruned",
        {
            "retention": data.get("retention"),
            "older than": data.get("before") or "nothing (retention 0 keeps all)",
            **{kind: count for kind, count in deleted.items()},
        },
    )


def prune(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Delete beats, action log rows and consumed events older than `retention` (30d)."""
    show(call_api(ctx, lambda c: c.call("POST", "/api/heartbeat/prune")), as_json, _pruned)


def _beat_rows(beats: list[dict[str, Any]]) -> None:
    render.table(
        "beats",
        ("id", "thread", "skill", "reason", "due", "outcome", "detail"),
        (
            (
                b.get("id"),
                b.get("thread_id"),
                b.get("skill") or "-",
                b.get("reason"),
                b.get("due_at"),
                b.get("outcome") or b.get("status"),
                b.get("skip_reason") or b.get("error") or b.get("alert_text"),
            )
            for b in beats
        ),
    )


def _beat(data: Any) -> None:
    beat = data.get("beat", data) if isinstance(data, dict) else data
    render.pairs(f"beat {beat.get('id')}", {k: v for k, v in beat.items() if k != "audit"})


def beat(
    ctx: typer.Context,
    thread: ThreadArg,
    skill: Annotated[str, typer.Option("--skill", help="Run this skill's heartbeat.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Run one beat of THREAD now and print its outcome."""
    body = {"skill": skill} if skill else None
    show(
        call_api(
            ctx, lambda c: c.call("POST", f"/api/threads/{thread}/heartbeat/run-now", json=body)
        ),
        as_json,
        _beat,
    )


def history(
    ctx: typer.Context,
    thread: ThreadArg,
    outcome: Annotated[str | None, typer.Option(help="Only this outcome.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """The beats of THREAD, newest first."""
    data = call_api(
        ctx,
        lambda c: c.call(
            "GET",
            f"/api/threads/{thread}/heartbeat/history",
            params={"outcome": outcome, "limit": limit, "offset": offset},
        ),
    )
    show(data, as_json, lambda d: _beat_rows(d.get("items", []) if isinstance(d, dict) else d))


def audit(
    ctx: typer.Context,
    beat_id: Annotated[int | None, typer.Argument(help="A beat id.")] = None,
    export: Annotated[bool, typer.Option("--export", help="All records as JSON lines.")] = False,
    thread: Annotated[str | None, typer.Option(help="With --export: one thread.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The full audit record of one beat, or the whole trail as JSON lines (--export).

    The record is nested data, so it prints as JSON with or without `--json`."""
    if export:
        text = call_api(ctx, lambda c: c.text("/api/audit/export", params={"thread": thread}))
        typer.echo(text, nl=False)
        return
    if beat_id is None:
        render.fail("give a beat id, or --export")
        raise typer.Exit(2)
    render.emit_json(call_api(ctx, lambda c: c.call("GET", f"/api/beats/{beat_id}")))


def wake(
    ctx: typer.Context,
    thread: ThreadArg,
    text: Annotated[
        str, typer.Option("--text", help="The system event to queue.")
    ] = "Manual wake from the CLI.",
    later: Annotated[
        bool, typer.Option("--next", help="Show it at the next beat instead of waking now.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue a system event for THREAD and wake it now (or at its next beat with --next)."""
    body = {"text": text, "wake": "next" if later else "now"}
    show(
        call_api(ctx, lambda c: c.call("POST", f"/api/threads/{thread}/events", json=body)),
        as_json,
        lambda d: render.pairs("event queued", d),
    )


def send(
    ctx: typer.Context,
    thread: ThreadArg,
    text: Annotated[str, typer.Argument(help="What the person says.")],
    as_json: JsonOpt = False,
) -> None:
    """Post a person's message to THREAD and print the agent's reply."""
    data = call_api(
        ctx,
        lambda c: c.call(
            "POST", f"/api/threads/{thread}/messages", json={"text": text, "channel": "cli"}
        ),
    )

    def human(d: Any) -> None:
        reply = d.get("reply") if isinstance(d, dict) else None
        render.console.print(render._escape((reply or {}).get("text", "(no reply)")))

    show(data, as_json, human)


@threads_app.command("list")
def threads_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every thread with its agent, state and next due time."""
    data = call_api(ctx, lambda c: c.call("GET", "/api/threads"))
    rows = data.get("items", []) if isinstance(data, dict) else data
    show(
        data,
        as_json,
        lambda _: render.table(
            "threads",
            ("id", "agent", "title", "enabled", "next due"),
            (
                (
                    t.get("id"),
                    t.get("agent"),
                    t.get("title"),
                    t.get("enabled"),
                    t.get("next_due_at"),
                )
                for t in rows
            ),
        ),
    )


@threads_app.command("add")
def threads_add(
    ctx: typer.Context,
    thread_id: Annotated[str | None, typer.Option("--id", help="Choose the id.")] = None,
    title: Annotated[str, typer.Option(help="A title.")] = "",
    agent: Annotated[str, typer.Option(help="The agent it talks to.")] = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create a thread."""
    body: dict[str, Any] = {"title": title, "agent": agent}
    if thread_id:
        body["id"] = thread_id
    show(
        call_api(ctx, lambda c: c.call("POST", "/api/threads", json=body)),
        as_json,
        lambda d: render.pairs("thread", d),
    )


@threads_app.command("add-many")
def threads_add_many(
    ctx: typer.Context,
    count: Annotated[int, typer.Option(help="How many threads (ids <prefix><n>).")] = 0,
    prefix: Annotated[str, typer.Option(help="Id prefix.")] = "t-",
    start: Annotated[int, typer.Option(help="The first n.")] = 1,
    ids_file: Annotated[
        Path | None, typer.Option("--from", help="A file with one thread id per line.")
    ] = None,
    agent: Annotated[str, typer.Option(help="The agent they talk to.")] = "default",
    as_json: JsonOpt = False,
) -> None:
    """Create many threads at once, in one transaction (all or none)."""
    body: dict[str, Any] = {"count": count, "prefix": prefix, "start": start, "agent": agent}
    if ids_file is not None:
        lines = ids_file.read_text(encoding="utf-8").splitlines()
        body["threads"] = [{"id": line.strip(), "agent": agent} for line in lines if line.strip()]
    show(
        call_api(ctx, lambda c: c.call("POST", "/api/threads/bulk", json=body)),
        as_json,
        lambda d: render.pairs("threads", d),
    )


@threads_app.command("show")
def threads_show(ctx: typer.Context, thread: ThreadArg, as_json: JsonOpt = False) -> None:
    """One thread."""
    show(
        call_api(ctx, lambda c: c.call("GET", f"/api/threads/{thread}")),
        as_json,
        lambda d: render.pairs("thread", d),
    )


@threads_app.command("rm")
def threads_rm(ctx: typer.Context, thread: ThreadArg, as_json: JsonOpt = False) -> None:
    """Delete a thread (its audit records are kept)."""
    show(
        call_api(ctx, lambda c: c.call("DELETE", f"/api/threads/{thread}")),
        as_json,
        lambda _: render.console.print(f"deleted {thread}"),
    )


def _config(data: Any) -> None:
    rows = data.get("effective", []) if isinstance(data, dict) else []
    render.table(
        f"heartbeat config of {data.get('thread_id', '')}",
        ("key", "value", "source"),
        ((r.get("key"), r.get("value"), r.get("source")) for r in rows),
    )
    for warning in data.get("warnings", []) if isinstance(data, dict) else []:
        render.warn(str(warning))
    fires = data.get("next_fires", []) if isinstance(data, dict) else []
    if fires:  # issue 16: a cron thread's next five fire times
        render.console.print("next fires: " + ", ".join(str(f) for f in fires))


@config_app.command("show")
def config_show(
    ctx: typer.Context,
    thread: ThreadArg,
    effective: Annotated[
        bool, typer.Option("--effective", help="Every key with its source.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """The thread's overrides and its effective config, with where each value came from."""
    data = call_api(ctx, lambda c: c.call("GET", f"/api/threads/{thread}/heartbeat/config"))
    if not effective and isinstance(data, dict):
        data = {"thread_id": data.get("thread_id"), "overrides": data.get("overrides")}
        show(data, as_json, lambda d: render.pairs("overrides", d.get("overrides") or {}))
        return
    show(data, as_json, _config)


def parse_assignment(text: str) -> tuple[str, Any]:
    """`key=value`, the value read as JSON when it is JSON (`true`, `3`, `{"a": 1}`), else text;
    dotted keys (`active_hours.start=09:00`) build nested mappings."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f'"{text}" is not key=value (e.g. every=1h, dry_run=true)')
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def nest(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in pairs:
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    thread: ThreadArg,
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="key=value pairs, e.g. every=1h active_hours.start=09:00 "
            "active_hours.end=17:00 dry_run=true; key=null removes an override."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Change the thread's heartbeat config; refused whole when any value is invalid."""
    body = nest([parse_assignment(a) for a in assignments])
    show(
        call_api(
            ctx, lambda c: c.call("POST", f"/api/threads/{thread}/heartbeat/config", json=body)
        ),
        as_json,
        _config,
    )
