"""``python -m soulbeat.testing.fake_model``: the fake model server as a program, for trying
soulbeat without a real model (the README's tour) — never for production.

It serves both protocols soulbeat speaks (Ollama at ``http://127.0.0.1:PORT``, OpenAI-compatible
at ``http://127.0.0.1:PORT/v1``) with the models named by ``--model`` (default: soulbeat's own
default ``llama3.2:latest``, and ``fake-model``). Each ``--on TEXT=REPLY`` makes a request
whose messages contain TEXT answer REPLY (first match wins); everything else is answered
``HEARTBEAT_OK``. It runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from soulbeat.testing.llm_server import FakeLLMServer

__all__ = ["main"]


def _rule(text: str) -> tuple[str, str]:
    match, sep, reply = text.partition("=")
    if not sep or not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not TEXT=REPLY (e.g. disk=Disk 95% full)")
    return match, reply


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m soulbeat.testing.fake_model",
        description="A fake model server (Ollama and OpenAI protocols) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=11434, help="port (default 11434)")
    parser.add_argument(
        "--on",
        type=_rule,
        action="append",
        default=[],
        metavar="TEXT=REPLY",
        help="answer REPLY when a message contains TEXT (repeatable; first match wins)",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME",
        help="a model it serves (repeatable; default llama3.2:latest and fake-model)",
    )
    args = parser.parse_args(argv)
    models = tuple(args.model) or ("llama3.2:latest", "fake-model")
    server = FakeLLMServer(models=models, port=args.port)
    for match, reply in args.on:
        server.on(match, reply=reply)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        print(f"fake model: cannot serve on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"fake model serving {server.ollama_url} (Ollama) and {server.openai_url} (OpenAI), "
        f"models {', '.join(models)}; Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
