"""`soulbeat eval`: run the shipped scenario suite against the configured model.

It asks the model of the settings (``llm_provider``, ``llm_base_url``, ``llm_model``; each can be
overridden here) one beat per scenario, in the chosen decision mode (``auto`` probes the server
first) and prompt profile (``auto`` asks the server for the model's context window, else takes
``--context-tokens``), and prints a table — expected and decided, right or wrong and why, tokens
as the server counted them, seconds per beat — and the overall score. ``--json`` prints the
same as one JSON object; ``--min-score`` makes the command fail below a score, for CI.
"""

from __future__ import annotations

import asyncio
import fnmatch
from typing import TYPE_CHECKING, Annotated

import typer

from soulbeat.cli import render
from soulbeat.cli.invoke import target_of
from soulbeat.config import ConfigError, load_settings
from soulbeat.errors import SoulbeatError

if TYPE_CHECKING:
    from soulbeat.config.settings import Settings
    from soulbeat.eval import EvalReport, Scenario

__all__ = ["eval_cmd"]

_MODES = ("auto", "tools", "schema", "text")
_PROFILES = ("auto", "full", "compact")


def eval_cmd(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option(help="The model to ask (else llm_model).")] = None,
    provider: Annotated[
        str | None, typer.Option(help="ollama or openai (else llm_provider).")
    ] = None,
    llm_url: Annotated[
        str | None, typer.Option("--llm-url", help="The model server (else llm_base_url).")
    ] = None,
    mode: Annotated[str, typer.Option(help="Decision mode: auto, tools, schema or text.")] = "auto",
    profile: Annotated[str, typer.Option(help="Prompt profile: auto, full or compact.")] = "auto",
    context_tokens: Annotated[
        int | None,
        typer.Option(help="The model's context window, when the server does not report it."),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only scenarios whose name matches (glob).")
    ] = None,
    min_score: Annotated[
        float | None, typer.Option(help="Exit 1 when the score is below this (0 to 1).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run the scenario suite against a model and score its decisions."""
    from soulbeat.eval import SCENARIOS

    if mode not in _MODES:
        render.fail(f"--mode: {mode!r} is not a decision mode (expected {', '.join(_MODES)})")
        raise typer.Exit(2)
    if profile not in _PROFILES:
        render.fail(
            f"--profile: {profile!r} is not a prompt profile (expected auto, full, compact)"
        )
        raise typer.Exit(2)
    chosen = [s for s in SCENARIOS if not only or any(fnmatch.fnmatch(s.name, p) for p in only)]
    if not chosen:
        render.fail(f"--only: no scenario matches {', '.join(only or [])}")
        raise typer.Exit(2)
    overrides = {"llm_model": model, "llm_provider": provider, "llm_base_url": llm_url}
    target = target_of(ctx)
    given = {"workspace": target.workspace, "data_dir": target.data_dir, **overrides}
    try:
        settings = load_settings(
            target.config, overrides={k: v for k, v in given.items() if v is not None} or None
        )
    except ConfigError as exc:
        render.fail(str(exc))
        raise typer.Exit(2) from exc
    try:
        report = asyncio.run(_run(settings, mode, profile, context_tokens, chosen))
    except SoulbeatError as exc:
        render.fail(str(exc))
        raise typer.Exit(1) from exc
    if as_json:
        render.emit_json(report.as_record())
    else:
        _show(report)
    if min_score is not None and report.score < min_score:
        raise typer.Exit(1)


async def _run(
    settings: Settings,
    mode: str,
    profile: str,
    context_tokens: int | None,
    scenarios: list[Scenario],
) -> EvalReport:
    from soulbeat.clock import SystemClock
    from soulbeat.eval import evaluate
    from soulbeat.llm.resilience import CircuitBreakers
    from soulbeat.turn.modes import DecisionModes
    from soulbeat.turn.profile import PromptProfiles
    from soulbeat.wiring import build_provider

    clock = SystemClock()
    provider = build_provider(settings, clock, CircuitBreakers(clock))
    try:
        resolved = await DecisionModes().resolve(provider, settings.llm_model, mode)
        chosen, _window = await PromptProfiles().resolve(
            provider, settings.llm_model, profile, context_tokens
        )
        return await evaluate(provider, settings.llm_model, resolved, scenarios, chosen)
    finally:
        await provider.aclose()


def _show(report: EvalReport) -> None:
    rows = [
        (
            r.name,
            r.expected,
            r.decided,
            "right" if r.right else "WRONG",
            f"{r.prompt_tokens}{'~' if r.tokens_estimated else ''}/{r.completion_tokens}",
            f"{r.seconds:.2f}",
        )
        for r in report.results
    ]
    title = f"soulbeat eval: {report.model} ({report.mode} mode, {report.profile} prompt)"
    columns = ("scenario", "expected", "decided", "judged", "tokens in/out", "s")
    render.table(title, columns, rows)
    for result in report.results:
        if not result.right:
            typer.echo(f"WRONG {result.name}: {result.why}")
    record = report.as_record()
    typer.echo(
        f"score: {report.right}/{len(report.results)} ({report.score:.0%}) · "
        f"{record['mean_prompt_tokens']} prompt tokens and {record['mean_seconds']} s per beat"
    )
