"""The kill -9 crash harness: a real `soulbeat serve`, killed and restarted, then counted.

What runs (all on 127.0.0.1, all real processes and sockets):

* a `FakeLLMServer` (OpenAI protocol) in this process. Every beat is two model rounds: the
  first answers with a ``ledger_post`` tool call, the second (the request that carries the tool
  answer) with an alert. Both are numbered (``{n}``), so an answer the model gives again after a
  crash differs from the first one, and a re-asked model shows up as a second delivery. A share
  of the requests is slow (seconds), so kills land in the middle of model calls.
* a webhook receiver (`WebhookReceiver`, a stdlib HTTP server in a thread) that records every
  call with its ``Idempotency-Key`` header and the ``beat_id`` of its JSON body.
* `soulbeat serve` as a subprocess over its own data directory and a workspace made from the
  templates, with a HEARTBEAT.md that has a checklist (so scheduled beats run), threads every
  ``every`` whose alerts go to the thread (even threads) or to the webhook channel (odd ones),
  and ``post`` allowed with limits high enough never to refuse.

Each cycle starts the server, lets it work, and ends it one of these ways (`KILL_MODES`):

* ``timer`` — SIGKILL after a random 0.5 to ``max_run`` seconds;
* ``mid-call`` — SIGKILL as the next model request arrives (the server dies waiting for it);
* ``after-webhook`` — SIGKILL as the next webhook call arrives, before it is answered (the
  delivery happened, the server never learns it did);
* ``after-post`` — SIGKILL as the next second-round request arrives, i.e. right after a post
  was written and answered to the model;
* ``term`` — SIGTERM at a random moment; once it exited, the leases and ``claimed`` beats left
  are counted (a clean shutdown must leave none).

After the last cycle the server runs once more until every thread has beaten again (bounded by
the thread's interval plus one lease plus a margin), is stopped with SIGTERM, and the SQLite file
is read (read-only) to count what `CrashReport` lists. Time is real: this is a test of a real
process. It is bounded by the number of cycles and by the limits in `CrashPlan`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from soulbeat.testing import FakeLLMServer
from soulbeat.workspace.templates import init_workspace

KILL_MODES = ("timer", "mid-call", "after-webhook", "after-post", "term")
HOOK = "hook"
SUBMOLT = "general"
HEARTBEAT_MD = """# HEARTBEAT.md

## Checklist
- Look at the disks and the deploys; post a status note to the `general` submolt.
- Alert the person when something needs attention.
"""


@dataclass(frozen=True)
class CrashPlan:
    """How hard to push: cycles, threads, their interval and the model's pace."""

    kills: int = 10
    threads: int = 6
    every_seconds: int = 12
    lease_seconds: float = 30.0
    seed: int = 11
    max_run: float = 4.0
    """The longest a server runs before a ``timer`` kill (or an armed kill gives up waiting)."""
    fast_delay: float = 0.3
    slow_delay: float = 2.5
    slow_share: float = 0.3
    modes: tuple[str, ...] = KILL_MODES
    settle_margin: float = 10.0
    """Seconds beyond interval + lease the final run may take before a thread counts as silent."""

    @property
    def silence_bound(self) -> float:
        return self.every_seconds + self.lease_seconds


@dataclass
class CrashReport:
    """What the harness counted; `problems()` names every broken promise."""

    plan: CrashPlan
    cycles: Counter[str] = field(default_factory=Counter)
    beats: int = 0
    beats_sent: int = 0
    model_requests: int = 0
    thread_deliveries: int = 0
    webhook_calls: int = 0
    webhook_retries: int = 0
    posts: int = 0
    duplicate_thread_slots: int = 0
    duplicate_webhook_slots: int = 0
    duplicate_post_slots: int = 0
    posts_without_log: int = 0
    admitted_left: int = 0
    claimed_after_term: int = 0
    leases_after_term: int = 0
    lost_schedules: int = 0
    max_silence: float = 0.0
    silent_threads: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def problems(self) -> list[str]:
        """Every broken promise: `takeover_problems` and `effect_problems`."""
        return self.takeover_problems() + self.effect_problems()

    def effect_problems(self) -> list[str]:
        """Effects that happened more than once per slot, or bookkeeping left half done."""
        names = (
            "duplicate_thread_slots",
            "duplicate_webhook_slots",
            "duplicate_post_slots",
            "posts_without_log",
            "admitted_left",
        )
        return [f"{name} = {getattr(self, name)}" for name in names if getattr(self, name)]

    def takeover_problems(self) -> list[str]:
        """Leases left after SIGTERM, schedules lost, threads silent after a restart."""
        names = ("claimed_after_term", "leases_after_term", "lost_schedules")
        found = [f"{name} = {getattr(self, name)}" for name in names if getattr(self, name)]
        if self.silent_threads:
            found.append(f"threads silent after the last restart: {self.silent_threads}")
        if self.max_silence > self.plan.silence_bound:
            found.append(
                f"max silence after a restart {self.max_silence:.1f} s > interval + lease "
                f"{self.plan.silence_bound:.0f} s"
            )
        return found

    def lines(self) -> list[str]:
        kills = sum(n for mode, n in self.cycles.items() if mode != "term")
        return [
            f"cycles: {dict(self.cycles)} ({kills} kill -9, {self.cycles['term']} SIGTERM)",
            f"beats: {self.beats} ({self.beats_sent} sent), model requests: {self.model_requests}",
            f"deliveries: {self.thread_deliveries} to threads, {self.webhook_calls} webhook calls "
            f"({self.webhook_retries} repeats of a key already received)",
            f"posts: {self.posts}",
            f"duplicate slots: thread {self.duplicate_thread_slots}, webhook "
            f"{self.duplicate_webhook_slots}, post {self.duplicate_post_slots}; posts without an "
            f"executed log row: {self.posts_without_log}",
            f"action-log rows left admitted: {self.admitted_left}; after SIGTERM: claimed beats "
            f"{self.claimed_after_term}, leases {self.leases_after_term}; lost schedules "
            f"{self.lost_schedules}",
            f"max silence after a restart: {self.max_silence:.1f} s (bound: interval + lease = "
            f"{self.plan.silence_bound:.0f} s)",
            f"elapsed: {self.elapsed:.0f} s",
        ]


# -- the outside world ------------------------------------------------------------------------


class WebhookReceiver:
    """Records webhook calls; `arm(fn)` runs `fn` once, as the next call comes, before answering."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, Mapping[str, Any]]] = []
        self._lock = threading.Lock()
        self._armed: Callable[[], None] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                with receiver._lock:
                    receiver.calls.append((self.headers.get("Idempotency-Key"), body))
                    hook, receiver._armed = receiver._armed, None
                if hook is not None:
                    hook()
                    return  # the sender is dead: it never learns this delivery happened
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def arm(self, hook: Callable[[], None] | None) -> None:
        with self._lock:
            self._armed = hook

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class ModelTrap:
    """Arms a kill on the next model request (any, or only second-round ones)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: tuple[Callable[[], None], bool] | None = None

    def arm(self, hook: Callable[[], None] | None, *, second_round: bool = False) -> None:
        with self._lock:
            self._armed = None if hook is None else (hook, second_round)

    def check(self, body: Mapping[str, Any]) -> None:
        with self._lock:
            armed = self._armed
            if armed is None or (armed[1] and not _is_second_round(body)):
                return
            self._armed = None
        armed[0]()


def _is_second_round(body: Mapping[str, Any]) -> bool:
    return any(m.get("role") == "tool" for m in body.get("messages") or ())


def script_model(llm: FakeLLMServer, plan: CrashPlan, rng: random.Random, trap: ModelTrap) -> None:
    """Round one posts, round two alerts; a share of each is slow (module docstring)."""

    def slow(second: bool) -> Callable[[Mapping[str, Any]], bool]:
        def fits(body: Mapping[str, Any]) -> bool:
            trap.check(body)
            return _is_second_round(body) == second and rng.random() < plan.slow_share

        return fits

    def fast(second: bool) -> Callable[[Mapping[str, Any]], bool]:
        return lambda body: _is_second_round(body) == second

    post = (
        "ledger_post",
        {"submolt": SUBMOLT, "title": "Status {n}", "content": "Status note number {n}."},
    )
    alert = "Disk usage alert {n}: volume {n} needs attention."
    for second, delay in ((False, plan.slow_delay), (True, plan.slow_delay)):
        if second:
            llm.on(slow(True), reply=alert, delay=delay, numbered=True)
        else:
            llm.on(slow(False), tool_calls=[post], delay=delay, numbered=True)
    llm.on(fast(False), tool_calls=[post], delay=plan.fast_delay, numbered=True)
    llm.on(fast(True), reply=alert, delay=plan.fast_delay, numbered=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(root: Path, llm_url: str, hook_url: str, plan: CrashPlan) -> Path:
    workspace = root / "ws"
    init_workspace(workspace)
    (workspace / "HEARTBEAT.md").write_text(HEARTBEAT_MD)
    config = root / "soulbeat.toml"
    config.write_text(
        f"""data_dir = "{root / "data"}"
workspace = "{workspace}"
llm_provider = "openai"
llm_base_url = "{llm_url}"
llm_model = "fake-model"
max_concurrent_beats = 8

[heartbeat]
every = "{plan.every_seconds}s"
timeout = "60s"
dedupe = "off"

[heartbeat.actions]
allowed = ["message", "post", "none"]

[heartbeat.actions.limits]
post = "100000/1m"

[channels.{HOOK}]
url = "{hook_url}"
kind = "json"
"""
    )
    return config


# -- the server under test ----------------------------------------------------------------------


class Serve:
    """`soulbeat serve` as a subprocess, restarted over the same data directory."""

    def __init__(self, root: Path, config: Path) -> None:
        self.root, self.config = root, config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = (root / "serve.log").open("ab")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOULBEAT_")}
        self.env["HOME"] = str(root)

    def start(self, limit: float = 30.0) -> float:
        """Spawn and wait until it answers /healthz; returns the spawn time (epoch seconds)."""
        spawned = time.time()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "soulbeat",
                "--config",
                str(self.config),
                "serve",
                "--port",
                str(self.port),
            ],
            env=self.env,
            cwd=self.root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}; see serve.log")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return spawned
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("serve did not answer /healthz in time")

    def kill(self) -> None:
        """SIGKILL now (safe to call from another thread, and on a process already gone)."""
        if self.proc is not None and self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)

    def term(self, limit: float = 60.0) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired as exc:
            self.proc.kill()
            raise AssertionError("serve did not stop within 60 s of SIGTERM") from exc

    def wait(self, limit: float = 30.0) -> None:
        assert self.proc is not None
        self.proc.wait(timeout=limit)

    @property
    def token(self) -> str:
        return (self.root / "data" / "api-token").read_text().strip()

    def close(self) -> None:
        self.kill()
        if self.proc is not None:
            self.proc.wait(timeout=10)
        self.log.close()


def setup_threads(serve: Serve, count: int) -> list[str]:
    auth = {"Authorization": f"Bearer {serve.token}"}
    ids = [f"t{i:02d}" for i in range(count)]
    with httpx.Client(base_url=serve.url, headers=auth, timeout=10) as http:
        made = http.post("/api/v1/submolts", json={"name": SUBMOLT, "description": "status"})
        assert made.status_code in (200, 201, 409), made.text  # 409: every board has general
        for i, tid in enumerate(ids):
            added = http.post("/api/threads", json={"id": tid})
            assert added.status_code in (200, 201), added.text
            if i % 2:
                done = http.post(f"/api/threads/{tid}/heartbeat/config", json={"target": HOOK})
                assert done.status_code == 200, done.text
    return ids


# -- the run ------------------------------------------------------------------------------------


def run_crash_suite(
    root: Path, plan: CrashPlan, progress: Callable[[str], None] | None = None
) -> CrashReport:
    """Run the cycles of `plan` under `root` and count (module docstring)."""
    rng = random.Random(plan.seed)
    report = CrashReport(plan)
    began = time.monotonic()
    windows: list[tuple[float, float]] = []
    trap = ModelTrap()
    with FakeLLMServer(models=None) as llm, WebhookReceiver() as hooks:
        script_model(llm, plan, rng, trap)
        config = write_config(root, llm.openai_url, hooks.url, plan)
        serve = Serve(root, config)
        try:
            spawned = serve.start()
            threads = setup_threads(serve, plan.threads)
            for cycle in range(plan.kills):
                mode = rng.choice(plan.modes)
                _end_cycle(serve, mode, rng, plan, trap, hooks)
                windows.append((spawned, time.time()))
                report.cycles[mode] += 1
                if mode == "term":
                    claimed, leases = count_held(root)
                    report.claimed_after_term += claimed
                    report.leases_after_term += leases
                if progress is not None:
                    progress(f"cycle {cycle + 1}/{plan.kills}: {mode}")
                spawned = serve.start()
            silent = _settle(root, threads, spawned, plan)
            serve.term()
            windows.append((spawned, time.time()))
            report.cycles["term"] += 1
            claimed, leases = count_held(root)
            report.claimed_after_term += claimed
            report.leases_after_term += leases
        finally:
            trap.arm(None)
            hooks.arm(None)
            serve.close()
        report.model_requests = len(llm.requests)
        report.silent_threads = silent
        count_effects(root, report, hooks.calls)
        report.max_silence = max_silence(root, threads, windows, plan)
    report.elapsed = time.monotonic() - began
    return report


def _end_cycle(
    serve: Serve,
    mode: str,
    rng: random.Random,
    plan: CrashPlan,
    trap: ModelTrap,
    hooks: WebhookReceiver,
) -> None:
    wait = rng.uniform(0.5, plan.max_run)
    if mode == "term":
        time.sleep(wait)
        serve.term()
        return
    if mode == "timer":
        time.sleep(wait)
    else:
        if mode == "after-webhook":
            hooks.arm(serve.kill)
        else:
            trap.arm(serve.kill, second_round=mode == "after-post")
        deadline = time.monotonic() + plan.max_run * 3
        while serve.proc is not None and serve.proc.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        trap.arm(None)
        hooks.arm(None)
    serve.kill()
    serve.wait()


def _settle(root: Path, threads: list[str], since: float, plan: CrashPlan) -> list[str]:
    """Wait until every thread has started a beat since `since` (bounded); the ones that did not."""
    deadline = since + plan.silence_bound + plan.settle_margin
    while True:
        waiting = [t for t, at in first_starts(root, threads, since).items() if at is None]
        if not waiting or time.time() > deadline:
            return waiting
        time.sleep(0.2)


# -- counting -----------------------------------------------------------------------------------


@contextmanager
def _db(root: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{root / 'data' / 'soulbeat.db'}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def count_held(root: Path) -> tuple[int, int]:
    """Beats left ``claimed`` and schedules left under a lease (read while no server runs)."""
    with _db(root) as conn:
        claimed = conn.execute("SELECT count(*) FROM beats WHERE status = 'claimed'").fetchone()[0]
        leases = conn.execute(
            "SELECT count(*) FROM schedules WHERE lease_owner IS NOT NULL"
        ).fetchone()[0]
    return int(claimed), int(leases)


def _starts(conn: sqlite3.Connection, thread: str) -> list[float]:
    """When the thread's beats were claimed or started (epoch seconds)."""
    rows = conn.execute(
        "SELECT claimed_at, started_at FROM beats WHERE thread_id = ? AND skill = ''", (thread,)
    ).fetchall()
    return sorted(v / 1e6 for row in rows for v in (row[0], row[1]) if v is not None)


def first_starts(root: Path, threads: list[str], since: float) -> dict[str, float | None]:
    with _db(root) as conn:
        found: dict[str, float | None] = {}
        for thread in threads:
            after = [at for at in _starts(conn, thread) if at >= since]
            found[thread] = after[0] if after else None
        return found


def max_silence(
    root: Path, threads: list[str], windows: list[tuple[float, float]], plan: CrashPlan
) -> float:
    """The longest a thread went without a beat after a restart: for each run window, from the
    spawn to the thread's first beat claimed in it; a window without one counts its whole length
    only when that is longer than the bound (shorter ones cannot tell)."""
    worst = 0.0
    with _db(root) as conn:
        starts = {thread: _starts(conn, thread) for thread in threads}
    for begin, end in windows:
        for thread in threads:
            inside = [at for at in starts[thread] if begin <= at < end]
            if inside:
                worst = max(worst, inside[0] - begin)
            elif end - begin > plan.silence_bound:
                worst = max(worst, end - begin)
    return worst


def count_effects(
    root: Path, report: CrashReport, hook_calls: list[tuple[str | None, Mapping[str, Any]]]
) -> None:
    with _db(root) as conn:
        report.beats = conn.execute("SELECT count(*) FROM beats").fetchone()[0]
        report.beats_sent = conn.execute(
            "SELECT count(*) FROM beats WHERE outcome = 'sent'"
        ).fetchone()[0]
        per_beat = conn.execute(
            """SELECT beat_id, count(*) FROM messages WHERE role = 'assistant'
            AND beat_id IS NOT NULL GROUP BY beat_id"""
        ).fetchall()
        report.thread_deliveries = sum(row[1] for row in per_beat)
        report.duplicate_thread_slots = sum(1 for row in per_beat if row[1] > 1)
        report.posts = conn.execute("SELECT count(*) FROM ledger_posts").fetchone()[0]
        executed = conn.execute(
            """SELECT beat_id, count(*) FROM action_log WHERE type = 'post'
            AND status = 'executed' GROUP BY beat_id"""
        ).fetchall()
        report.duplicate_post_slots = sum(1 for row in executed if row[1] > 1)
        report.posts_without_log = max(0, report.posts - sum(row[1] for row in executed))
        report.admitted_left = conn.execute(
            "SELECT count(*) FROM action_log WHERE status = 'admitted'"
        ).fetchone()[0]
        threads = conn.execute("SELECT id FROM threads").fetchall()
        scheduled = conn.execute(
            "SELECT thread_id FROM schedules WHERE skill = '' AND next_due_at IS NOT NULL"
        ).fetchall()
        report.lost_schedules = len({r[0] for r in threads} - {r[0] for r in scheduled})
    texts: dict[Any, set[str]] = defaultdict(set)
    keys: Counter[str] = Counter()
    for key, body in hook_calls:
        texts[body.get("beat_id")].add(str(body.get("text")))
        if key is not None:
            keys[key] += 1
    report.webhook_calls = len(hook_calls)
    report.webhook_retries = sum(n - 1 for n in keys.values())
    report.duplicate_webhook_slots = sum(1 for found in texts.values() if len(found) > 1)
