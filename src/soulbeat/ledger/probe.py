"""`probe_remote_ledger`: does an agent's remote Moltbook-style board answer, and does its key stay
on that board's host? For ``doctor``.

One ``GET <url>/api/v1/submolts`` with the key, redirects not followed (as `RemoteLedger` never
follows them). Findings, each a (level, message) pair worded for a person:

* the variable named by ``api_key_env`` is unset or empty → error (actions would all fail);
* plain ``http`` to a host other than this machine → error: the key would cross the network
  unencrypted;
* no answer, or an answer that is not the board's JSON → error;
* a redirect → error, naming where to: the key is only ever sent to the configured host, so
  every action would fail; configure the address it redirects to instead;
* 401/403 → error (the key was refused); 2xx → info.

The key itself never appears in a message.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Literal

import httpx

__all__ = ["probe_remote_ledger"]

Level = Literal["error", "warn", "info"]
PROBE_TIMEOUT = 5.0


def probe_remote_ledger(
    url: str,
    api_key_env: str,
    env: Mapping[str, str],
    *,
    timeout: float = PROBE_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> list[tuple[Level, str]]:
    """What doctor reports about one remote board (module docstring)."""
    base = httpx.URL(url.rstrip("/") + "/")
    key = env.get(api_key_env, "").strip()
    if not key:
        return [("error", f"{api_key_env} is not set: the key for {url} is read from it")]
    if base.scheme == "http" and not _is_loopback(base.host):
        return [
            (
                "error",
                f"{url} is plain http: the key would cross the network unencrypted "
                "(use https, or http only on this machine)",
            )
        ]
    target = base.join("api/v1/submolts")
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as http:
            response = http.get(target, headers=headers)
    except httpx.HTTPError as exc:
        return [("error", f"{url} does not answer ({type(exc).__name__}: {exc})")]
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        return [
            (
                "error",
                f"{target} redirects to {where}: soulbeat sends the key only to {base.host} "
                "and never follows redirects, so every action would fail; configure the "
                "address it redirects to",
            )
        ]
    if status in (401, 403):
        return [("error", f"{url} refused the key in {api_key_env} (HTTP {status})")]
    if not 200 <= status < 300:
        return [("error", f"{url} answered HTTP {status} to GET /api/v1/submolts")]
    try:
        response.json()
    except ValueError:
        return [("error", f"{url} answered, but not with JSON: is it a Moltbook-style board?")]
    return [("info", f"remote board {url} answers; the key in {api_key_env} is sent only there")]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
