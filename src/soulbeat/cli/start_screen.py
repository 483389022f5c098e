"""What `soulbeat serve` says once it listens: where it is, what it runs on, and what happens
next — as a few lines on stderr for a person, or one JSON line on stdout with `--json`.

The first line (``soulbeat serving <url>``) is printed only after the port is bound, so a script
or a person can wait for it. Then: the workspace, data folder and config file; the model server
and, when the start-up probe (`soulbeat.llm.probe`) found a problem, one line saying what to set;
the API token when it was just made; and what happens next — while HEARTBEAT.md is effectively
empty, scheduled beats are skipped until it is edited, and the commands that show what a beat
would do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from soulbeat.cli import render
from soulbeat.config.settings import Settings
from soulbeat.llm.probe import ProbeResult

__all__ = ["StartFacts", "show_start"]


@dataclass(frozen=True)
class StartFacts:
    settings: Settings
    new_token: str | None
    config_file: Path | None
    probe: ProbeResult
    heartbeat: dict[str, Any]
    """The doctor's ``heartbeat_md`` details of the default workspace."""
    threads: int
    running: bool
    scheduler: bool = True
    """False for ``serve --no-scheduler``: `soulbeat worker`s run the beats."""


def next_steps(facts: StartFacts) -> list[str]:
    """What happens next, one line each, for a person."""
    steps: list[str] = []
    path = facts.heartbeat.get("path")
    if facts.heartbeat.get("effectively_empty"):
        steps.append(
            f"{path} is effectively empty: scheduled beats are skipped until you write "
            "what to check in it"
        )
    elif path is None:
        steps.append("no HEARTBEAT.md: beats run on the default prompt")
    if not facts.scheduler:
        steps.append("API only (--no-scheduler): `soulbeat worker`s on this database run beats")
    elif not facts.running:
        steps.append("the scheduler is stopped: `soulbeat start` starts it")
    if facts.threads == 0:
        steps.append("no threads yet: `soulbeat threads add --id ops` makes one")
    steps.append(
        "to see what a beat would do: `soulbeat beat <thread>` runs one now and prints its "
        "outcome; `soulbeat audit <id>` shows its prompt and reply"
    )
    return steps


def show_start(facts: StartFacts, *, as_json: bool = False) -> None:
    settings = facts.settings
    url = f"http://{settings.host}:{settings.port}"
    if as_json:
        body = {
            "url": url,
            "workspace": str(settings.workspace.resolve()),
            "data_dir": str(settings.data_dir.resolve()),
            "config_file": str(facts.config_file) if facts.config_file else None,
            "model": facts.probe.as_dict(),
            "api_token": facts.new_token,
            "next": next_steps(facts),
        }
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    out = render.errors
    out.print(f"soulbeat serving {url} (panel at {url}/, API at {url}/api, docs at {url}/docs)")
    out.print(f"  workspace {settings.workspace.resolve()}  data {settings.data_dir.resolve()}")
    out.print(f"  config    {facts.config_file or 'none (defaults and environment)'}")
    model = f"{settings.llm_provider} {settings.llm_model} at {settings.llm_base_url}"
    if facts.probe.problem is None:
        out.print(f"  model     {render._escape(model)} (answers, has the model)")
    else:
        out.print(f"  model     {render._escape(model)}")
        out.print(f"  [yellow]model server problem:[/] {render._escape(facts.probe.problem)}")
    if facts.new_token is not None:
        token_file = settings.data_dir / "api-token"
        out.print(f"  API token (shown once; also in {token_file}): {facts.new_token}")
    for step in next_steps(facts):
        out.print(f"  next: {render._escape(step)}")
