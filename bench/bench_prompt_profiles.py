"""Prompt size of the shipped templates, ``full`` against ``compact`` (issue 14 item 3).

For each workspace template (`soulbeat init --template NAME`), the first request of a beat of its
main heartbeat — every cadence task counted as due, the template's own config (allowed actions),
no messages or events — is built in both prompt profiles, in ``tools`` and ``schema`` decision
mode. It prints soulbeat's estimate per part and, with ``--llm-url``, the prompt tokens the model
server itself counts for that exact request (one completion token asked), tool and response
schemas included — and the ratio compact / full of each, side by side in the same run; then the
tool schemas (``tools`` mode: ``heartbeat_respond``, the ledger tools, ``heartbeat_remind``) and
the decision schema (``schema`` mode) alone, full against compact.

Run: ``.venv/bin/python bench/bench_prompt_profiles.py`` (estimates only), or against a server:
``.venv/bin/python bench/bench_prompt_profiles.py --llm-url http://127.0.0.1:8000/v1 --model M``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from soulbeat.config import effective_config, load_settings
from soulbeat.llm.base import ChatRequest
from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.turn.budget import budget_request
from soulbeat.workspace.loader import load_workspace
from soulbeat.workspace.templates import TEMPLATES, init_workspace

MODES = ("tools", "schema")


async def counted(provider: OpenAICompatProvider | None, request: ChatRequest) -> int | None:
    """The server's prompt-token count of `request` (None without a server)."""
    if provider is None:
        return None
    ask = ChatRequest(
        request.messages,
        request.model,
        request.tools,
        0.0,
        1,
        300.0,
        "bench",
        request.response_schema,
    )
    completion = await provider.complete(ask)
    return None if completion.usage.estimated else completion.usage.prompt_tokens


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm-url", help="an OpenAI-compatible server (…/v1) to count tokens")
    parser.add_argument("--model", default="model", help="the model to name in the requests")
    args = parser.parse_args()
    provider = OpenAICompatProvider(args.llm_url) if args.llm_url else None
    head = f"{'template':22} {'mode':7} {'profile':8} {'estimate':>8} {'server':>7}  parts"
    print(head)
    totals: dict[tuple[str, str], list[int]] = {}
    schemas: dict[tuple[str, str], int] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(TEMPLATES):
                root = Path(tmp) / name
                init_workspace(root, name)
                config_file = root / "soulbeat.toml"
                settings = load_settings(
                    config_file if config_file.exists() else None,
                    env={},
                    overrides={"workspace": root},
                )
                config = effective_config(settings).config
                ws = load_workspace(root, home=Path(tmp) / "home")
                for mode in MODES:
                    sizes: dict[str, tuple[int, int | None]] = {}
                    for profile in ("full", "compact"):
                        budget, request = budget_request(ws, config, profile, mode, args.model)
                        server = await counted(provider, request)
                        sizes[profile] = (budget.total, server)
                        parts = " ".join(f"{k}={v}" for k, v in budget.parts.items())
                        shown = "-" if server is None else str(server)
                        print(
                            f"{name:22} {mode:7} {profile:8} {budget.total:8} {shown:>7}  {parts}"
                        )
                        totals.setdefault((mode, profile), []).append(server or budget.total)
                        key = (mode, profile)
                        schemas[key] = schemas.get(key, 0) + budget.parts["tool_schemas"]
                    (full_e, full_s), (small_e, small_s) = sizes["full"], sizes["compact"]
                    ratio = f"estimate {small_e / full_e:.2f}"
                    if full_s and small_s:
                        ratio += f", server {small_s / full_s:.2f}"
                    print(f"{'':22} {mode:7} compact/full: {ratio}")
    finally:
        if provider is not None:
            await provider.aclose()
    counted_by = "server" if provider is not None else "estimate"
    for mode in MODES:
        full, small = sum(totals[(mode, "full")]), sum(totals[(mode, "compact")])
        print(
            f"all templates, {mode} mode ({counted_by}): full {full}, compact {small}, "
            f"compact/full {small / full:.2f}"
        )
    for mode in MODES:
        full, small = schemas[(mode, "full")], schemas[(mode, "compact")]
        what = "tool schemas" if mode == "tools" else "decision schema"
        print(
            f"all templates, {mode} mode, {what} alone (estimate): full {full}, "
            f"compact {small}, compact/full {small / full:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
