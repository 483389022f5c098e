"""`soulbeat parse-response`: how soulbeat reads a reply, for checking a model's output by hand."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer

from soulbeat.cli import render
from soulbeat.contract.ack import parse_response, strip_heartbeat_token


def parse_response_cmd(
    ack_max_chars: Annotated[
        int, typer.Option("--ack-max-chars", help="Acks up to this long are dropped.")
    ] = 300,
    mode: Annotated[str, typer.Option("--mode", help="heartbeat or message.")] = "heartbeat",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Read a model reply on stdin and show how the HEARTBEAT_OK contract treats it."""
    if mode not in ("heartbeat", "message"):
        render.fail(f'--mode "{mode}" is not a mode (expected heartbeat or message)')
        raise typer.Exit(2)
    chosen: Literal["heartbeat", "message"] = "heartbeat" if mode == "heartbeat" else "message"
    text = sys.stdin.read()
    parsed = parse_response(text, ack_max_chars)
    stripped = strip_heartbeat_token(text, mode=chosen, ack_max_chars=ack_max_chars)
    strip = {
        "mode": chosen,
        "should_skip": stripped.should_skip,
        "text": stripped.text,
        "did_strip": stripped.did_strip,
    }
    verdict = "drop (ack)" if stripped.should_skip else "deliver"
    if render.wants_json(as_json):
        render.emit_json(
            {
                "is_ok": parsed.is_ok,
                "position": parsed.position,
                "content": parsed.content,
                "should_drop": parsed.should_drop,
                "strip": strip,
                "verdict": verdict,
            }
        )
        return
    rows = {
        "is_ok": parsed.is_ok,
        "position": parsed.position,
        "content": parsed.content,
        "should_drop": parsed.should_drop,
    }
    rows.update({f"strip.{key}": value for key, value in strip.items()})
    rows["verdict"] = verdict
    render.pairs("parse-response", rows)
