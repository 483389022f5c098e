"""kill -9 a real `soulbeat serve` at random moments and restart it: every effect happens once
per slot, a restarted server takes its beats back at once, and SIGTERM leaves nothing claimed.

The count is small here (``SOULBEAT_CRASH_KILLS``, default 8); `bench/crash_suite.py` runs the
full 100-kill version and prints the same report.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from crash_harness import CrashPlan, run_crash_suite

pytestmark = pytest.mark.slow


def test_kill_9_at_random_moments_loses_and_repeats_nothing(tmp_path: Path) -> None:
    plan = CrashPlan(
        kills=int(os.environ.get("SOULBEAT_CRASH_KILLS", "8")),
        seed=int(os.environ.get("SOULBEAT_CRASH_SEED", "11")),
    )
    report = run_crash_suite(tmp_path, plan)
    print("\n".join(report.lines()))
    assert report.beats_sent > 0, "no beat was delivered: the harness tested nothing"
    assert report.takeover_problems() == []
