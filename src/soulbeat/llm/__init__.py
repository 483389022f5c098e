"""Who thinks: model providers behind one protocol.

`LLMProvider` (contract on the protocol, in `soulbeat.llm.base`) with two implementations,
`OllamaProvider` and `OpenAICompatProvider`, found by name through `create_provider`;
`ResilientProvider` adds retries, a fallback model and a circuit breaker around any of them.
The two concrete providers are imported on first use so that importing this package does not load
the ``ollama`` and ``openai`` client libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from soulbeat.llm.base import (
    ChatMessage,
    ChatRequest,
    Completion,
    LLMProvider,
    ToolCall,
    ToolSpec,
    Usage,
    estimate_tokens,
)
from soulbeat.llm.registry import (
    create_provider,
    provider_names,
    register_provider,
    unregister_provider,
)
from soulbeat.llm.resilience import (
    BreakerState,
    BreakerStatus,
    CircuitBreaker,
    CircuitBreakers,
    ResilientProvider,
)

if TYPE_CHECKING:
    from soulbeat.llm.ollama import OllamaProvider
    from soulbeat.llm.openai_compat import OpenAICompatProvider

__all__ = [
    "BreakerState",
    "BreakerStatus",
    "ChatMessage",
    "ChatRequest",
    "CircuitBreaker",
    "CircuitBreakers",
    "Completion",
    "LLMProvider",
    "OllamaProvider",
    "OpenAICompatProvider",
    "ResilientProvider",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "create_provider",
    "estimate_tokens",
    "provider_names",
    "register_provider",
    "unregister_provider",
]

_LAZY = {
    "OllamaProvider": "soulbeat.llm.ollama",
    "OpenAICompatProvider": "soulbeat.llm.openai_compat",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
