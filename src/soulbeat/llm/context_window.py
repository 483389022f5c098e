"""`discover_context_window`: how many tokens of prompt the model server gives a model.

Asked of the server in its own words, with a short timeout:

* Ollama: ``POST /api/show {"model": …}`` — a ``num_ctx`` in ``parameters`` (what the model is
  set to run with); else, when the model is loaded, its ``context_length`` in ``GET /api/ps``
  (what it runs with now); else ``model_info["<arch>.context_length"]`` (what it was trained
  for) capped at `OLLAMA_DEFAULT_WINDOW`, the window Ollama gives a model without ``num_ctx`` on
  machines under 24 GiB of VRAM (its server setting ``OLLAMA_CONTEXT_LENGTH`` is not reported).
* llama.cpp's own server: ``GET /props`` — ``default_generation_settings.n_ctx`` (or a top-level
  ``n_ctx``), the window it was started with; else ``GET <base>/models`` — the listed model's
  ``meta.n_ctx`` or ``meta.n_ctx_train``.
* Other OpenAI-compatible servers (llama-cpp-python's, vLLM, OpenAI) say none of this: the answer
  is None and the config's ``context_tokens`` decides.

A server that refuses or answers something else gives None ("it does not say"); one that cannot
be reached raises `httpx.TransportError`, so a caller can ask again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from soulbeat.llm.reach import needs_tls

__all__ = [
    "ContextWindow",
    "discover_context_window",
    "read_models_meta",
    "read_ollama_ps",
    "read_ollama_show",
    "read_props",
]

TIMEOUT = 5.0
OLLAMA_DEFAULT_WINDOW = 4096


@dataclass(frozen=True)
class ContextWindow:
    """A context window in tokens and where the number came from (for the audit and doctor)."""

    tokens: int
    source: str

    def as_record(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "source": self.source}


async def discover_context_window(
    provider: str,
    base_url: str,
    model: str,
    *,
    api_key: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    seconds: float = TIMEOUT,
) -> ContextWindow | None:
    """The window the server reports for `model`, else None (module docstring); raises
    `httpx.TransportError` when the server cannot be reached."""
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    # No redirects are followed, so an http:// server needs no CA bundle loaded (`needs_tls`).
    async with httpx.AsyncClient(
        headers=headers, timeout=seconds, transport=transport, verify=needs_tls(base)
    ) as http:
        try:
            if provider == "ollama":
                response = await http.post(f"{base}/api/show", json={"model": model})
                shown = read_ollama_show(_json(response)) if response.is_success else None
                if shown is None or shown.source.endswith("num_ctx"):
                    return shown
                running = await http.get(f"{base}/api/ps")
                loaded = read_ollama_ps(_json(running), model) if running.is_success else None
                return loaded or shown
            root = base.removesuffix("/v1")
            response = await http.get(f"{root}/props")
            found = read_props(_json(response)) if response.is_success else None
            if found is not None:
                return found
            response = await http.get(f"{base}/models")
            return read_models_meta(_json(response), model) if response.is_success else None
        except httpx.TransportError:
            raise
        except (httpx.HTTPError, ValueError):
            return None


def read_ollama_show(body: Any) -> ContextWindow | None:
    """The window in an Ollama ``/api/show`` answer (module docstring)."""
    if not isinstance(body, dict):
        return None
    parameters = body.get("parameters")
    if isinstance(parameters, str):
        for line in parameters.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == "num_ctx" and words[1].isdigit():
                return ContextWindow(int(words[1]), "ollama /api/show num_ctx")
    info = body.get("model_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if str(key).endswith(".context_length") and _positive(value):
                if value <= OLLAMA_DEFAULT_WINDOW:
                    return ContextWindow(int(value), "ollama /api/show context_length")
                return ContextWindow(
                    OLLAMA_DEFAULT_WINDOW,
                    f"ollama default window (trained for {value}; no num_ctx set)",
                )
    return None


def read_ollama_ps(body: Any, model: str) -> ContextWindow | None:
    """The window a loaded model runs with, from Ollama's ``/api/ps``."""
    items = body.get("models") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or model not in (item.get("name"), item.get("model")):
            continue
        if _positive(item.get("context_length")):
            return ContextWindow(int(item["context_length"]), "ollama /api/ps context_length")
    return None


def read_props(body: Any) -> ContextWindow | None:
    """The window in a llama.cpp ``/props`` answer (module docstring)."""
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    if isinstance(settings, dict) and _positive(settings.get("n_ctx")):
        return ContextWindow(int(settings["n_ctx"]), "llama.cpp /props n_ctx")
    if _positive(body.get("n_ctx")):
        return ContextWindow(int(body["n_ctx"]), "llama.cpp /props n_ctx")
    return None


def read_models_meta(body: Any, model: str) -> ContextWindow | None:
    """The window in a llama.cpp ``/v1/models`` answer: the named model's (else the only
    listed model's) ``meta.n_ctx``, else ``meta.n_ctx_train``."""
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return None
    listed = [item for item in items if isinstance(item, dict)]
    named = [item for item in listed if item.get("id") == model] or (
        listed if len(listed) == 1 else []
    )
    for item in named:
        meta = item.get("meta")
        if not isinstance(meta, dict):
            continue
        for key in ("n_ctx", "n_ctx_train"):
            if _positive(meta.get(key)):
                return ContextWindow(int(meta[key]), f"/v1/models meta.{key}")
    return None


def _json(response: httpx.Response) -> Any:
    return response.json()


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
