"""`soulbeat init` and `soulbeat doctor`."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from soulbeat.cli import render
from soulbeat.config.loading import find_config_file
from soulbeat.errors import ConfigError, WorkspaceError
from soulbeat.workspace.heartbeat_md import is_heartbeat_content_effectively_empty
from soulbeat.workspace.templates import TEMPLATES, init_workspace

if TYPE_CHECKING:  # doctor loads the turn stack; only `soulbeat doctor` needs it (issue 12)
    from soulbeat.doctor import DoctorReport

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write the workspace into.")] = Path(
        "workspace"
    ),
    template: Annotated[
        str, typer.Option("--template", "-t", help="Template name (see --list).")
    ] = "default",
    list_templates: Annotated[bool, typer.Option("--list", help="List the templates.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a workspace from a template. Existing files are never overwritten."""
    if list_templates:
        if render.wants_json(as_json):
            render.emit_json([{"name": k, "description": v} for k, v in TEMPLATES.items()])
        else:
            render.table("templates", ("name", "description"), TEMPLATES.items())
        return
    try:
        result = init_workspace(directory, template)
    except WorkspaceError as exc:
        render.fail(str(exc))
        raise typer.Exit(2) from exc
    if render.wants_json(as_json):
        render.emit_json(
            {
                "workspace": str(result.root),
                "template": result.template,
                "created": [str(p) for p in result.created],
                "kept": [str(p) for p in result.kept],
                "serve": serve_command(directory),
            }
        )
        return
    render.console.print(f"workspace {result.root} (template {result.template})")
    for path in result.created:
        render.console.print(f"  [green]created[/] {path.relative_to(result.root)}")
    for path in result.kept:
        render.console.print(f"  [yellow]kept[/]    {path.relative_to(result.root)} (exists)")
    heartbeat = result.root / "HEARTBEAT.md"
    if heartbeat.is_file() and is_heartbeat_content_effectively_empty(heartbeat.read_text()):
        render.console.print(f"next: write what to check in {directory / 'HEARTBEAT.md'}")
    render.console.print(f"serve it: {serve_command(directory)}")


def serve_command(directory: Path) -> str:
    """The command that serves the workspace at `directory` (its soulbeat.toml included)."""
    return f"soulbeat serve --workspace {shlex.quote(str(directory))}"


def doctor(
    workspace: Annotated[Path, typer.Argument(help="The workspace to check.")] = Path("workspace"),
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config file (TOML, JSON or YAML).")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Do not contact the model server.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a workspace, its config and the model server; exit status 1 when something is
    wrong."""
    from soulbeat.doctor import diagnose

    report = diagnose(
        workspace, config_file=config or workspace_config(workspace), probe_model=not no_model
    )
    if render.wants_json(as_json):
        render.emit_json(report.as_dict())
    else:
        _show(report)
    failed = not report.ok or (strict and any(f.level == "warn" for f in report.findings))
    if failed:
        raise typer.Exit(1)


def _show_budget(budget: dict[str, Any] | None) -> None:
    """The prompt budget of doctor's report: estimated tokens per part, both profiles."""
    if not budget:
        return
    from soulbeat.turn.budget import BUDGET_PARTS

    con = render.console
    mode = f"{budget['mode']} mode"
    if budget.get("configured_mode") == "auto":
        mode = f"{budget['mode']} mode, what decision_mode = auto picks"
        if not budget.get("mode_known"):  # not probed: tools, the larger prompt of the two
            mode = "tools mode, the larger of what decision_mode = auto may pick"
    con.print(
        f"[bold]prompt budget[/] (estimated tokens, {mode}; the thread's "
        "messages and events come on top)"
    )
    window = budget["context_window"]
    for name, row in budget["profiles"].items():
        parts = " · ".join(f"{part.replace('_', ' ')} {row[part]}" for part in BUDGET_PARTS)
        share = f" ({row['total'] / window['tokens']:.0%} of the context)" if window else ""
        mark = " ←" if name == budget["profile"] else ""
        con.print(f"  {name:8} {parts} = {row['total']}{share}{mark}")
    if window:
        con.print(f"  model context: {window['tokens']} tokens ({window['source']})")
    else:
        con.print("  model context: unknown (the server does not say; set context_tokens)")
    con.print(f"  prompt_profile = {budget['configured_profile']} → {budget['profile']}")


def _show_modes(picks: list[dict[str, Any]]) -> None:
    """Issue 14: the decision mode each configured model gets (doctor's ``decision_modes``)."""
    if not picks:
        return
    con = render.console
    con.print("[bold]decision mode[/] (per model; the agents that use it)")
    for pick in picks:
        picked = pick["mode"] or "unknown"
        agents = ", ".join(pick["agents"])
        con.print(
            f"  {render._escape(pick['model'])}: decision_mode = {pick['configured']} → {picked}"
            f" ({render._escape(pick['why'])}; {render._escape(agents)})"
        )


def workspace_config(workspace: Path) -> Path | None:
    """The config file the CLI and `serve` would read for `workspace` (`find_config_file`):
    `--config`, `$SOULBEAT_CONFIG`, `./soulbeat.toml`, then the workspace's own."""
    try:
        return find_config_file(None, workspace=workspace)
    except ConfigError:
        return None  # a missing $SOULBEAT_CONFIG file: diagnose reports it when it loads


def _show(report: DoctorReport) -> None:
    con = render.console
    con.print(f"[bold]workspace[/] {report.workspace}")
    if report.config_file:
        con.print(f"[bold]config[/]    {report.config_file}")
    soul = report.details.get("soul")
    con.print(f"[bold]SOUL.md[/]   {soul['path'] + ' (' + soul['source'] + ')' if soul else '-'}")
    for line in report.details.get("soul_diagnostics", []):
        con.print(f"  passed over: {render._escape(line)}")
    hb = report.details.get("heartbeat_md")
    if hb:
        state = "effectively empty" if hb["effectively_empty"] else "has content"
        con.print(
            f"[bold]HEARTBEAT.md[/] {hb['path'] or '- (default prompt)'}: {state}; "
            f"{len(hb['checklist'])} checklist, {len(hb['rules'])} rules, "
            f"{len(hb['behaviors'])} behaviors, {len(hb['tasks'])} cadence tasks"
        )
        for task in hb["tasks"]:
            con.print(f"  task {task['name']}: {task['cadence']}")
    skills = report.details.get("skills", [])
    if skills:
        render.table(
            "skills",
            ("name", "scheduled", "every", "active hours", "HEARTBEAT.md"),
            (
                (
                    s["name"],
                    s["scheduled"],
                    s.get("every"),
                    s.get("active_hours"),
                    s["heartbeat_file"],
                )
                for s in skills
            ),
        )
    boot = report.details.get("bootstrap")
    if boot:
        render.table(
            "bootstrap files",
            ("file", "chars", "truncated"),
            ((f["name"], f["chars"], f["truncated"]) for f in boot["files"]),
        )
    _show_modes(report.details.get("decision_modes") or [])
    _show_budget(report.details.get("budget"))
    _show_tools(report.details.get("tools") or {})
    colours = {"error": "bold red", "warn": "yellow", "info": "cyan"}
    for f in report.findings:
        con.print(f"[{colours[f.level]}]{f.level:5}[/] {f.topic}: {render._escape(f.message)}")
    con.print("[green]ok[/]" if report.ok else "[bold red]problems found[/]")


def _show_tools(reports: dict[str, Any]) -> None:
    """Issue 15: each agent's tools, MCP servers (and why one is missing), prompt tokens."""
    con = render.console
    for agent_id, found in reports.items():
        allowed = [t["name"] for t in found["tools"] if t["allowed"]]
        con.print(
            f"[bold]tools[/] of {agent_id} (allow-list {found['allow_list']}): "
            f"{', '.join(allowed) or '-'}"
        )
        for server in found["mcp_servers"]:
            state = "ok" if server["ok"] else f"missing: {server['missing_because']}"
            names = ", ".join(t["name"] for t in server["tools"] if t["allowed"])
            con.print(
                f"  MCP {server['server']} ({server['transport']} {server['where']}): "
                f"{render._escape(state)}{'; ' + names if names else ''}"
            )
        budget = found["budget"]
        con.print(
            f"  prompt tokens: heartbeat_respond {budget['respond_schema_tokens']}, "
            f"built-in and memory tools {budget['local_schema_tokens']}, "
            f"MCP schemas {budget['mcp_schema_tokens']}, MEMORY.md {budget['memory_tokens']}"
        )
