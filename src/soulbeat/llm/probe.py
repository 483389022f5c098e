"""`probe_model_server`: is the configured model server there, does it have the model, does the
model call tools? For ``serve`` (one line at start-up) and ``doctor``.

The probe speaks each provider's own listing route — Ollama's ``GET /api/tags``, an
OpenAI-compatible server's ``GET <base>/models`` — with a short timeout, so a dead server costs
seconds, not minutes. An Ollama model named without a tag (``llama3.2``) matches
``llama3.2:latest``, as Ollama itself resolves it. With ``check_tools`` it also sends one tiny
chat request offering a ``ping`` tool and reports whether the model called it (``None`` when
that could not be tried): soulbeat steers capable models to its ``heartbeat_respond`` tool, and a
model that never calls tools falls back to reading text.

`ProbeResult.problem` is one line a person can act on: what failed and which setting to change.
The API key, when there is one, is sent only to the configured server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from soulbeat.llm.reach import needs_tls

__all__ = ["ProbeResult", "probe_model_server"]

PROBE_TIMEOUT = 3.0
TOOL_TIMEOUT = 60.0
_PING = {
    "type": "function",
    "function": {
        "name": "ping",
        "description": "Answer the check: call this tool, with no arguments.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    },
}


@dataclass(frozen=True)
class ProbeResult:
    """What the probe found; ``problem`` is None when the server answered and has the model."""

    provider: str
    base_url: str
    model: str
    reachable: bool
    models: tuple[str, ...] = ()
    model_present: bool | None = None
    tool_calls: bool | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "base_url": self.base_url,
            "model": self.model,
            "reachable": self.reachable,
            "models": list(self.models),
            "model_present": self.model_present,
            "tool_calls": self.tool_calls,
            "problem": self.problem,
        }


def probe_model_server(
    provider: str,
    base_url: str,
    model: str,
    *,
    api_key: str | None = None,
    check_tools: bool = False,
    timeout: float = PROBE_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> ProbeResult:
    """Probe the server (module docstring). Never raises for what the server does."""
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    found = ProbeResult(provider, base_url, model, reachable=False)
    # No redirects are followed, so an http:// server needs no CA bundle loaded (`needs_tls`).
    verify = needs_tls(base)
    with httpx.Client(headers=headers, timeout=timeout, transport=transport, verify=verify) as http:
        try:
            models = _list_models(http, provider, base)
        except httpx.HTTPError as exc:
            return _unreachable(found, exc)
        except ValueError as exc:
            problem = f"{base_url} answered, but not as a {_noun(provider)} server ({exc})"
            return _with(found, reachable=True, problem=problem + _fix(provider))
        present = _has_model(provider, models, model)
        found = _with(found, reachable=True, models=tuple(models), model_present=present)
        if not present:
            shown = ", ".join(models[:8]) or "none"
            return _with(
                found,
                problem=f"the model server at {base_url} has no model {model!r} (it has: "
                f"{shown}); set SOULBEAT_LLM_MODEL (llm_model) to one of them"
                + (f", or run `ollama pull {model}`" if provider == "ollama" else "")
                + _alias_hint(models, model),
            )
        if check_tools:
            found = _with(found, tool_calls=_calls_tools(http, provider, base, model))
    return found


def _list_models(http: httpx.Client, provider: str, base: str) -> list[str]:
    url = f"{base}/api/tags" if provider == "ollama" else f"{base}/models"
    response = http.get(url)
    if response.status_code in (401, 403):
        raise httpx.HTTPStatusError(
            f"HTTP {response.status_code}: the API key was refused",
            request=response.request,
            response=response,
        )
    response.raise_for_status()
    body = response.json()
    items = body.get("models") if provider == "ollama" else body.get("data")
    if not isinstance(items, list):
        raise ValueError(f"GET {url} gave no model list")
    key = "name" if provider == "ollama" else "id"
    return [str(item[key]) for item in items if isinstance(item, dict) and key in item]


def _alias_hint(models: list[str], model: str) -> str:
    """llama.cpp's server lists its model under the file it was started with unless given an
    alias; say how to name it rather than leave the person to guess."""
    if not any(name.endswith(".gguf") for name in models):
        return ""
    return f"; llama.cpp's server names its model by file: start it with --model_alias {model}"


def _has_model(provider: str, models: list[str], model: str) -> bool:
    if model in models:
        return True
    return provider == "ollama" and ":" not in model and f"{model}:latest" in models


def _calls_tools(http: httpx.Client, provider: str, base: str, model: str) -> bool | None:
    messages = [{"role": "user", "content": "Call the ping tool now."}]
    try:
        if provider == "ollama":
            body = {"model": model, "messages": messages, "tools": [_PING], "stream": False}
            response = http.post(f"{base}/api/chat", json=body, timeout=TOOL_TIMEOUT)
            response.raise_for_status()
            calls = (response.json().get("message") or {}).get("tool_calls")
        else:
            body = {"model": model, "messages": messages, "tools": [_PING], "max_tokens": 64}
            response = http.post(f"{base}/chat/completions", json=body, timeout=TOOL_TIMEOUT)
            if response.status_code == 400:
                return False  # servers without tool support refuse the `tools` field
            response.raise_for_status()
            choices = response.json().get("choices") or [{}]
            calls = (choices[0].get("message") or {}).get("tool_calls")
    except (httpx.HTTPError, ValueError, AttributeError, IndexError):
        return None
    return bool(calls)


def _unreachable(found: ProbeResult, exc: httpx.HTTPError) -> ProbeResult:
    detail = str(exc) or type(exc).__name__
    problem = f"the model server at {found.base_url} does not answer ({detail})"
    return _with(found, problem=problem + _fix(found.provider))


def _fix(provider: str) -> str:
    start = "start Ollama (`ollama serve`)" if provider == "ollama" else "start the server"
    return (
        f"; {start}, or point soulbeat at yours with SOULBEAT_LLM_PROVIDER (ollama|openai) "
        "and SOULBEAT_LLM_BASE_URL"
    )


def _noun(provider: str) -> str:
    return "an Ollama" if provider == "ollama" else "an OpenAI-compatible"


def _with(found: ProbeResult, **changes: Any) -> ProbeResult:
    return ProbeResult(**{**found.as_dict(), "models": found.models, **changes})
