"""`soulbeat eval`: a shipped suite of heartbeat scenarios with known right decisions, run
against a model to see how well it decides (and how many tokens and seconds a beat costs)."""

from __future__ import annotations

from soulbeat.eval.run import EvalReport, ScenarioResult, evaluate, run_scenario
from soulbeat.eval.scenarios import SCENARIOS, Expected, Scenario

__all__ = [
    "SCENARIOS",
    "EvalReport",
    "Expected",
    "Scenario",
    "ScenarioResult",
    "evaluate",
    "run_scenario",
]
