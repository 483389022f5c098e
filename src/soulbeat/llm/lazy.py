"""`LazyProvider`: the model client made (and its module imported) on first use (issue 12).

A worker whose beats a guard skips (an empty HEARTBEAT.md, quiet hours, nothing due) never talks
to the model; setting up the model client at start-up cost such a process memory it never used
(about 13 MiB while it was the official OpenAI client). `LazyProvider` knows its name and server
URL from the settings and builds the real provider on the first call that needs it:
`complete()`, or a question only the provider can answer (`structured_output`). Making it fails
as `create_provider` fails, at that moment; the settings have already checked the provider name
and URL at start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from soulbeat.llm.base import ChatRequest, Completion, LLMProvider

__all__ = ["LazyProvider"]


class LazyProvider:
    """An `LLMProvider` that makes the real one with ``make()`` when first needed."""

    def __init__(self, make: Callable[[], LLMProvider], *, name: str, base_url: str) -> None:
        self._make = make
        self._name = name
        self._base_url = base_url
        self._inner: LLMProvider | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def base_url(self) -> str:
        return self._inner.base_url if self._inner is not None else self._base_url

    @property
    def made(self) -> bool:
        """Whether the real provider exists yet."""
        return self._inner is not None

    @property
    def inner(self) -> LLMProvider:
        if self._inner is None:
            self._inner = self._make()
        return self._inner

    @property
    def structured_output(self) -> bool:
        return bool(getattr(self.inner, "structured_output", False))

    async def complete(self, request: ChatRequest) -> Completion:
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()
