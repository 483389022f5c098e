"""The lean worker (issue 12): what `soulbeat worker` imports and builds at start-up leaves the
turn stack, the model clients, httpx and the HTTP API unimported until a beat or a request needs
them, and never imports what a SQLite worker does not use (psycopg, rich, httpx's own command
line). Checked in a fresh interpreter, by the modules it holds after building and opening the
service, after a real beat, and after the real `soulbeat worker` command has run (an import here
would hide one there)."""

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

# What a SQLite worker must not hold even after beats: the PostgreSQL driver, the rich console
# (the worker prints one plain line) and httpx's command line (click, pygments, rich).
NEVER = ("psycopg", "psycopg_pool", "soulbeat.store.postgres", "rich", "click", "pygments")

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
    if len(sys.argv) > 3:  # then one real beat: the model server does not answer
        await service.create_thread(thread_id="t1")
        await service.run_now("t1")
    await service.close()


asyncio.run(start())
print(json.dumps(sorted(sys.modules)))
"""


def loaded_at_start(tmp_path: Path, provider: str, *, beat: bool = False) -> set[str]:
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
    done = subprocess.run(
        [sys.executable, "-c", START, str(tmp_path), provider, *(["beat"] if beat else [])],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def heavy_in(loaded: set[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in heavy))


def test_a_started_worker_has_not_imported_the_turn_stack_httpx_or_the_api(
    tmp_path: Path,
) -> None:
    loaded = loaded_at_start(tmp_path, "openai")
    assert "soulbeat.schedule.scheduler" in loaded  # the check looks at a real start-up
    assert "soulbeat.turn.lazy" in loaded
    assert heavy_in(loaded) == []


def test_the_ollama_provider_is_as_lazy(tmp_path: Path) -> None:
    assert heavy_in(loaded_at_start(tmp_path, "ollama")) == []


def test_after_a_beat_the_worker_holds_httpx_but_not_its_command_line(tmp_path: Path) -> None:
    loaded = loaded_at_start(tmp_path, "openai", beat=True)
    assert "soulbeat.turn.runner" in loaded  # the beat reached the turn and the model client
    assert "soulbeat.llm.openai_compat" in loaded
    assert "httpx" in loaded
    assert "httpx._main" not in loaded
    assert heavy_in(loaded, NEVER) == []


# The real command: `soulbeat worker` parsed by the command line, run until it plans the seeded
# thread, then stopped by SIGTERM as a service manager would stop it.
COMMAND = """
import json, os, signal, sqlite3, sys, threading, time

from soulbeat.cli.app import main

db = sys.argv[1]


def stop_once_planned() -> None:
    while True:
        time.sleep(0.1)
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                if conn.execute("SELECT count(*) FROM schedules").fetchone()[0]:
                    break
        except sqlite3.Error:
            pass  # not made yet
    os.kill(os.getpid(), signal.SIGTERM)


threading.Thread(target=stop_once_planned, daemon=True).start()
sys.argv = ["soulbeat", sys.argv[2]]
try:
    main()
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(sorted(sys.modules)))
"""


def run_command(tmp_path: Path, command: str) -> tuple[set[str], str]:
    """The modules `soulbeat <command>` held when it stopped, and what it printed on stderr."""
    import asyncio
    import os
    import socket
    from datetime import UTC, datetime

    from soulbeat.store.records import Agent, Thread
    from soulbeat.store.sqlite import SQLiteStore

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "HEARTBEAT.md").write_text("# Checks\n- look at the inbox\n")
    db = tmp_path / "data" / "soulbeat.db"

    async def seed() -> None:
        store = SQLiteStore(db)
        await store.open()
        await store.upsert_agent(Agent(id="default", workspace=str(workspace), user_timezone="UTC"))
        await store.add_threads([Thread("t1", "default", datetime.now(UTC))])
        await store.close()

    asyncio.run(seed())
    env = {
        **os.environ,
        "SOULBEAT_DATA_DIR": str(tmp_path / "data"),
        "SOULBEAT_WORKSPACE": str(workspace),
        "SOULBEAT_LLM_PROVIDER": "openai",
        "SOULBEAT_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "SOULBEAT_USER_TIMEZONE": "UTC",
        "SOULBEAT_HEARTBEAT_EVERY": "1h",
    }
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        env["SOULBEAT_PORT"] = str(free.getsockname()[1])
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, str(db), command],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1])), done.stderr


def test_the_real_worker_command_holds_no_postgres_driver_rich_or_turn_stack(
    tmp_path: Path,
) -> None:
    loaded, said = run_command(tmp_path, "worker")
    assert "soulbeat worker running on sqlite:///" in said
    assert "soulbeat.schedule.scheduler" in loaded
    assert heavy_in(loaded) == []
    assert heavy_in(loaded, NEVER) == []
    # The worker's own app: no other command's module (cli/app.py).
    others = [m for m in loaded if m.startswith("soulbeat.cli.") and m.endswith("_cmds")]
    assert sorted(others) == ["soulbeat.cli.db_cmds", "soulbeat.cli.serve_cmds"]


def test_serve_holds_httpx_without_its_command_line_and_no_postgres_driver(
    tmp_path: Path,
) -> None:
    loaded, _ = run_command(tmp_path, "serve")
    assert {"soulbeat.api.app", "httpx", "soulbeat.llm.probe"} <= loaded  # a real serve
    assert "httpx._main" not in loaded
    assert heavy_in(loaded, ("psycopg", "soulbeat.store.postgres", "pygments")) == []


IMPORT_HTTPX = """
import importlib, json, sys

from soulbeat.importing import import_httpx

httpx = import_httpx()
first = sorted(sys.modules)
again = import_httpx() is httpx
cli = importlib.import_module("httpx._main")  # whoever asks for the command line still gets it
print(json.dumps({"first": first, "again": again, "cli": hasattr(cli, "main")}))
"""


def test_import_httpx_leaves_out_only_httpx_own_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_HTTPX],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert "httpx._client" in found["first"]
    assert heavy_in(set(found["first"]), ("httpx._main", "click", "pygments", "rich")) == []
    assert found["again"] is True
    assert found["cli"] is True
