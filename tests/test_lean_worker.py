"""The lean worker (issue 12): what `soulbeat worker` imports and builds at start-up leaves the
turn stack, the model clients, httpx and the HTTP API unimported until a beat or a request needs
them. Checked in a fresh interpreter, by the modules it holds after building and opening the
service (an import here would hide one there)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# What a worker with no webhook channel, no remote board and no beat run yet must not hold.
HEAVY = (
    "httpx",
    "soulbeat.turn.runner",
    "soulbeat.turn.prompt",
    "soulbeat.llm.openai_compat",
    "soulbeat.llm.ollama",
    "soulbeat.doctor",
    "soulbeat.api",
    "fastapi",
    "starlette",
    "uvicorn",
    "mcp",
)

START = """
import asyncio, json, sys
from pathlib import Path

import soulbeat.cli.app  # the command line, as `soulbeat worker` starts
from soulbeat.config.settings import Settings
from soulbeat.wiring import build

folder = Path(sys.argv[1])
settings = Settings(
    data_dir=folder / "data",
    workspace=folder / "workspace",
    user_timezone="UTC",
    llm_provider=sys.argv[2],
    llm_base_url="http://127.0.0.1:9/v1",
)


async def start() -> None:
    service = build(settings, worker_id="lean")
    await service.open()
    await service.scheduler.sync_schedules()
    await service.close()


asyncio.run(start())
print(json.dumps(sorted(sys.modules)))
"""


def loaded_at_start(tmp_path: Path, provider: str) -> set[str]:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
    done = subprocess.run(
        [sys.executable, "-c", START, str(tmp_path), provider],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy_in(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_a_started_worker_has_not_imported_the_turn_stack_httpx_or_the_api(
    tmp_path: Path,
) -> None:
    loaded = loaded_at_start(tmp_path, "openai")
    assert "soulbeat.schedule.scheduler" in loaded  # the check looks at a real start-up
    assert "soulbeat.turn.lazy" in loaded
    assert heavy_in(loaded) == []


def test_the_ollama_provider_is_as_lazy(tmp_path: Path) -> None:
    assert heavy_in(loaded_at_start(tmp_path, "ollama")) == []
