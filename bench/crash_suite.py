"""The full crash suite: kill -9 a real `soulbeat serve` 100 times at random moments (mid model
call, right after a post, right after a webhook delivery, or at a random instant; some cycles are
a SIGTERM instead), restart it each time, then count duplicates, leftovers and silences.

The harness is `tests/crash/crash_harness.py` (its docstring says what runs and what is counted);
`tests/crash/test_crash_suite.py` runs the same with 8 kills in CI. This prints the report and
exits non-zero when a promise is broken.

Run: `nice .venv/bin/python bench/crash_suite.py` (options: --kills, --threads, --seed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "crash"))

from crash_harness import CrashPlan, run_crash_suite


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="cycles (kill -9 or SIGTERM)")
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    plan = CrashPlan(kills=args.kills, threads=args.threads, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="soulbeat-crash-") as root:
        report = run_crash_suite(Path(root), plan, progress=lambda line: print(line, flush=True))
    print()
    print(
        f"crash suite: {plan.kills} cycles, {plan.threads} threads every {plan.every_seconds} s, "
        f"lease {plan.lease_seconds:.0f} s, seed {plan.seed}"
    )
    for line in report.lines():
        print(f"  {line}")
    problems = report.problems()
    for problem in problems:
        print(f"BROKEN: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
