"""`diagnose`: everything a person needs to know about a workspace and its config, as data.

The CLI renders the report; the API (later) returns it as JSON. Findings have a level:
`error` (soulbeat cannot do what it is configured to do — the CLI exits non-zero), `warn`
(works, but probably not as intended), `info`.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from soulbeat.config import ConfigError, effective_config, load_settings
from soulbeat.config.checks import config_warnings, target_problem
from soulbeat.config.settings import Settings
from soulbeat.contract.interval import format_interval
from soulbeat.errors import WorkspaceError
from soulbeat.ledger.probe import probe_remote_ledger
from soulbeat.llm.context_window import ContextWindow, discover_context_window
from soulbeat.llm.probe import probe_model_server
from soulbeat.turn.budget import prompt_budget
from soulbeat.turn.profile import choose_profile
from soulbeat.workspace.files import read_text_file
from soulbeat.workspace.heartbeat_md import is_heartbeat_content_effectively_empty
from soulbeat.workspace.loader import Workspace, load_workspace

Level = Literal["error", "warn", "info"]
BUDGET_WARN_SHARE = 0.75
"""Doctor warns when the prompt before messages takes more than this share of the window."""


@dataclass(frozen=True)
class Finding:
    level: Level
    topic: str
    message: str


@dataclass
class DoctorReport:
    """The whole diagnosis; `ok` is False when any finding is an error."""

    workspace: str
    config_file: str | None = None
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    def add(self, level: Level, topic: str, message: str) -> None:
        self.findings.append(Finding(level, topic, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "workspace": self.workspace,
            "config_file": self.config_file,
            "findings": [f.__dict__ for f in self.findings],
            **self.details,
        }


def diagnose(
    workspace: str | Path,
    *,
    config_file: Path | None = None,
    env: dict[str, str] | None = None,
    home: Path | None = None,
    settings: Settings | None = None,
    probe_model: bool = False,
) -> DoctorReport:
    """Diagnose `workspace` with `settings`, else with the settings loaded from `config_file`
    (or the usual lookup). With `probe_model`, also ask the model server whether it answers,
    has the model and calls tools (`soulbeat.llm.probe`)."""
    report = DoctorReport(
        workspace=str(Path(workspace).expanduser().resolve()),
        config_file=str(config_file) if config_file else None,
    )
    if settings is None:
        settings = _check_settings(report, config_file, env, Path(workspace))
    else:
        _describe_settings(report, settings)
    try:
        ws = load_workspace(
            workspace,
            home=home,
            per_file_cap=settings.bootstrap_per_file_cap if settings else 20_000,
            total_cap=settings.bootstrap_total_cap if settings else 150_000,
        )
    except WorkspaceError as exc:
        report.add("error", "workspace", str(exc))
        return report
    finally:
        if probe_model and settings is not None:
            _check_model(report, settings)
            _check_ledgers(report, settings, env)
        if settings is not None:
            _check_tools(report, settings, connect=probe_model)
    _check_soul(report, ws)
    _check_heartbeat(report, ws)
    _check_skills(report, ws, settings)
    _check_bootstrap(report, ws)
    if settings is not None:
        _check_budget(report, ws, settings, probe_model)
    return report


def _check_tools(report: DoctorReport, settings: Settings, *, connect: bool) -> None:
    """Issue 15: each agent's tools, MCP servers (started and listed when `connect`) and the
    prompt tokens their schemas and memory cost."""
    from soulbeat.tools.report import doctor_tools

    report.details["tools"], problems = doctor_tools(settings, connect=connect)
    for problem in problems:
        report.add("warn", "tools", problem)


def _check_settings(
    report: DoctorReport, config_file: Path | None, env: dict[str, str] | None, workspace: Path
) -> Settings | None:
    """The settings `serve --workspace WORKSPACE` would run with (same file lookup)."""
    try:
        settings = load_settings(config_file, env=env, overrides={"workspace": workspace})
    except ConfigError as exc:
        report.add("error", "config", str(exc))
        return None
    _describe_settings(report, settings)
    return settings


def _describe_settings(report: DoctorReport, settings: Settings) -> None:
    effective = effective_config(settings)
    report.details["heartbeat"] = {
        "effective": [{"key": k, "value": _plain(v), "source": s} for k, v, s in effective.rows()]
    }
    for warning in config_warnings(effective.config):
        report.add("warn", "config", warning)
    report.details["ledgers"] = {
        agent_id: {"url": agent.ledger.url, "api_key_env": agent.ledger.api_key_env}
        for agent_id, agent in sorted(settings.agents.items())
        if agent.ledger is not None
    }
    for agent_id, agent in sorted(settings.agents.items()):
        if agent.heartbeat:
            for warning in config_warnings(effective_config(settings, agent_id=agent_id).config):
                report.add("warn", "config", f"agent {agent_id}: {warning}")
    report.details["model"] = {
        "provider": settings.llm_provider,
        "base_url": settings.llm_base_url,
        "model": settings.llm_model,
    }


def _check_model(report: DoctorReport, settings: Settings) -> None:
    found = probe_model_server(
        settings.llm_provider,
        settings.llm_base_url,
        settings.llm_model,
        api_key=settings.llm_api_key,
        check_tools=True,
    )
    report.details["model"] = found.as_dict()
    if found.problem is not None:
        report.add("error", "model", found.problem)
        return
    where = f"{settings.llm_provider} {settings.llm_model} at {settings.llm_base_url}"
    report.add("info", "model", f"model server answers and has the model: {where}")
    if found.tool_calls is False:
        report.add(
            "warn",
            "model",
            f"{settings.llm_model} did not call a tool when offered one: beats fall back to "
            "reading its text (HEARTBEAT_OK contract); a model with tool calls is more reliable",
        )
    elif found.tool_calls is None:
        report.add("info", "model", "could not check whether the model calls tools")


def _check_ledgers(report: DoctorReport, settings: Settings, env: dict[str, str] | None) -> None:
    environ = os.environ if env is None else env
    for agent_id, agent in sorted(settings.agents.items()):
        if agent.ledger is None:
            continue
        for level, message in probe_remote_ledger(
            agent.ledger.url, agent.ledger.api_key_env, environ
        ):
            report.add(level, "ledger", f"agent {agent_id}: {message}")


def _check_soul(report: DoctorReport, ws: Workspace) -> None:
    soul = ws.soul.soul
    report.details["soul"] = (
        {
            "name": soul.name,
            "path": soul.file_path,
            "source": soul.source,
            "chars": len(soul.content),
        }
        if soul
        else None
    )
    report.details["soul_diagnostics"] = list(ws.soul.diagnostics)
    if soul is None:
        report.add(
            "warn",
            "soul",
            "no SOUL.md found: the agent runs without a personality "
            "(run `soulbeat init` to write one)",
        )
    else:
        report.add("info", "soul", f"SOUL.md in use: {soul.file_path} ({soul.source})")
    if ws.lowercase_soul is not None:
        report.add(
            "warn",
            "soul",
            f"{ws.lowercase_soul} is named in lower case; soulbeat only "
            "reads SOUL.md (names are case-sensitive): rename it",
        )


def _check_heartbeat(report: DoctorReport, ws: Workspace) -> None:
    parsed = ws.heartbeat
    report.details["heartbeat_md"] = {
        "path": str(ws.heartbeat_path) if ws.heartbeat_path else None,
        "effectively_empty": ws.heartbeat_empty,
        "checklist": list(parsed.checklist) if parsed else [],
        "rules": list(parsed.rules) if parsed else [],
        "behaviors": list(parsed.behaviors) if parsed else [],
        "tasks": [
            {"name": t.name, "cadence": t.cadence.describe(), "prompt": t.prompt}
            for t in (parsed.tasks if parsed else ())
        ],
        "problems": list(parsed.problems) if parsed else [],
    }
    if ws.heartbeat_path is None:
        report.add("info", "heartbeat", "no HEARTBEAT.md: beats run on the default prompt")
    elif ws.heartbeat_empty:
        report.add(
            "warn",
            "heartbeat",
            f"{ws.heartbeat_path} is effectively empty: scheduled "
            "beats are skipped (empty-heartbeat-file) until it has content",
        )
    for problem in parsed.problems if parsed else ():
        report.add("error", "heartbeat", problem)
    for diagnostic in ws.diagnostics:
        report.add("error", "heartbeat", diagnostic)


def _check_skills(report: DoctorReport, ws: Workspace, settings: Settings | None) -> None:
    rows: list[dict[str, Any]] = []
    for diagnostic in ws.skills.diagnostics:
        report.add("warn", "skills", diagnostic)
    for skill in ws.skills.skills:
        row: dict[str, Any] = {
            "name": skill.name,
            "description": skill.description,
            "heartbeat_file": skill.heartbeat_file,
            "scheduled": skill.has_schedule,
        }
        if skill.has_schedule and settings is not None:
            try:
                eff = effective_config(settings, skill=dict(skill.heartbeat or {})).config
            except ConfigError as exc:
                report.add("error", "skills", f"skill {skill.name}: {exc}")
            else:
                row["every"] = format_interval(eff.interval)
                if eff.cron is not None:  # issue 16: a skill on cron has no interval
                    row["every"], row["cron"] = None, eff.cron
                row["active_hours"] = eff.active_hours.model_dump() if eff.active_hours else None
                problem = target_problem(eff.target, settings.channels)
                if problem is not None:
                    report.add("error", "skills", f"skill {skill.name}: target: {problem}")
                for warning in config_warnings(eff):
                    report.add("warn", "skills", f"skill {skill.name}: {warning}")
        if skill.heartbeat_file is not None and skill.has_schedule:
            text, _ = read_text_file(Path(skill.heartbeat_file), max_bytes=1_000_000)
            if text is not None and is_heartbeat_content_effectively_empty(text):
                report.add(
                    "warn",
                    "skills",
                    f"skill {skill.name}: {skill.heartbeat_file} is effectively empty: its "
                    "scheduled beats are skipped (empty-heartbeat-file) until it has content",
                )
        rows.append(row)
    report.details["skills"] = rows


def _check_bootstrap(report: DoctorReport, ws: Workspace) -> None:
    boot = ws.bootstrap
    report.details["bootstrap"] = {
        "files": [
            {"name": f.name, "chars": f.original_chars, "truncated": f.truncated}
            for f in boot.files
        ],
        "near_limit": list(boot.near_limit),
    }
    for warning in boot.warnings:
        report.add("warn", "bootstrap", warning.message)
    for name in boot.near_limit:
        report.add(
            "warn",
            "bootstrap",
            f"{name} is above 85% of the per-file cap; it will be truncated if it grows",
        )
    for diagnostic in getattr(boot, "diagnostics", ()):
        report.add("warn", "bootstrap", diagnostic)


def _check_budget(
    report: DoctorReport, ws: Workspace, settings: Settings, probe_model: bool
) -> None:
    """The main heartbeat's prompt, part by part, in both profiles, against the model's context
    window (`soulbeat.turn.budget`; the window as the server reports it, else
    ``context_tokens``)."""
    config = effective_config(settings).config
    mode = _decision_modes(report, settings, probe_model)
    mode_known = mode is not None
    mode = mode or "tools"
    window = None
    if probe_model and report.details.get("model", {}).get("reachable"):
        try:
            window = asyncio.run(
                discover_context_window(
                    settings.llm_provider,
                    settings.llm_base_url,
                    settings.llm_model,
                    api_key=settings.llm_api_key,
                )
            )
        except httpx.TransportError:
            window = None
    if window is None and config.context_tokens is not None:
        window = ContextWindow(config.context_tokens, "config context_tokens")
    chosen = choose_profile(config.prompt_profile, window.tokens if window else None)
    budgets = {p: prompt_budget(ws, config, p, mode) for p in ("full", "compact")}
    report.details["budget"] = {
        "mode": mode,
        "mode_known": mode_known,
        "configured_mode": config.decision_mode,
        "profile": chosen,
        "configured_profile": config.prompt_profile,
        "context_window": window.as_record() if window else None,
        "profiles": {name: budget.as_record() for name, budget in budgets.items()},
    }
    if window is not None and budgets[chosen].total > window.tokens * BUDGET_WARN_SHARE:
        report.add(
            "warn",
            "budget",
            f"the {chosen} prompt takes about {budgets[chosen].total} of the model's "
            f"{window.tokens}-token context before any message or event: shorten SOUL.md or "
            'HEARTBEAT.md, set prompt_profile = "compact", or give the model a larger context',
        )


def _decision_modes(report: DoctorReport, settings: Settings, probe_model: bool) -> str | None:
    """Issue 14: what each configured model's ``decision_mode`` picks (`decision_picks`, the
    runner's probe under ``auto``), in ``details["decision_modes"]``; returns the main
    heartbeat's mode for the budget (None when ``auto``'s pick is unknown)."""
    from soulbeat.llm.registry import create_provider
    from soulbeat.turn.mode_check import decision_picks, probe_picks

    def make(s: Settings) -> Any:
        return create_provider(s.llm_provider, base_url=s.llm_base_url, api_key=s.llm_api_key)

    picks = decision_picks(settings)
    if probe_model and report.details.get("model", {}).get("reachable"):
        picks = asyncio.run(probe_picks(picks, settings, make))
    report.details["decision_modes"] = [pick.as_record() for pick in picks]
    main = next((p for p in picks if "default" in p.agents), None)
    return main.mode if main is not None else None


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return value
