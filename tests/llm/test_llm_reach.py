"""`needs_tls` (issue 12): a model client that can only ever speak plain HTTP loads no CA
bundle; one that may meet TLS (an https server or proxy) keeps verifying certificates."""

from __future__ import annotations

import ssl

import pytest

from soulbeat.llm.openai_compat import OpenAICompatProvider
from soulbeat.llm.reach import needs_tls

PROXY_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_NAMES:
        for spelling in (name, name.lower()):
            monkeypatch.delenv(spelling, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("environment", "url", "expected"),
    [
        ({}, "http://127.0.0.1:8000/v1", False),
        ({}, "https://api.example/v1", True),
        ({}, "HTTP://models.test/v1", False),
        ({"HTTP_PROXY": "http://proxy.test:3128"}, "http://models.test/v1", False),
        ({"HTTP_PROXY": "https://proxy.test:3128"}, "http://models.test/v1", True),
        ({"ALL_PROXY": "socks5://proxy.test:1080"}, "http://models.test/v1", True),
        ({"HTTPS_PROXY": "https://proxy.test:3128"}, "http://models.test/v1", False),
        (
            {"HTTP_PROXY": "https://proxy.test:3128", "NO_PROXY": "models.test"},
            "http://models.test/v1",
            False,
        ),
    ],
)
def test_only_plain_http_reached_directly_or_through_an_http_proxy_needs_no_tls(
    no_proxies: pytest.MonkeyPatch, environment: dict[str, str], url: str, expected: bool
) -> None:
    for name, value in environment.items():
        no_proxies.setenv(name, value)
    assert needs_tls(url) is expected


def _verify_mode(provider: OpenAICompatProvider) -> ssl.VerifyMode:
    # httpx keeps the SSL context on its httpcore pool; nothing public reads it back.
    context = provider._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context.verify_mode


def test_a_provider_for_an_https_server_verifies_certificates(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    assert _verify_mode(OpenAICompatProvider("https://api.example/v1")) is ssl.CERT_REQUIRED


def test_a_provider_for_an_http_server_loads_no_certificates(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    provider = OpenAICompatProvider("http://127.0.0.1:8000/v1")
    assert _verify_mode(provider) is ssl.CERT_NONE
    context = provider._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context.cert_store_stats()["x509_ca"] == 0


def test_an_https_proxy_for_an_http_server_is_verified(no_proxies: pytest.MonkeyPatch) -> None:
    no_proxies.setenv("HTTP_PROXY", "https://proxy.test:3128")
    provider = OpenAICompatProvider("http://models.test/v1")
    assert _verify_mode(provider) is ssl.CERT_REQUIRED


def test_env_proxy_is_still_importable_from_the_provider_module() -> None:
    from soulbeat.llm import openai_compat, reach

    assert openai_compat.env_proxy is reach.env_proxy
