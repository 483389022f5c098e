"""How a model server's URL is reached: the proxy the environment names for it (`env_proxy`)
and whether a client that only talks to it can ever use TLS (`needs_tls`).

Why `needs_tls` (issue 12): httpx makes a verifying SSL context whenever a client or transport
is made, used or not, loading certifi's bundle of about 140 CA certificates: 1.4 MiB resident
the first time in a process and about 0.9 MiB for every later one (measured). A client that
speaks only to an ``http://`` server, directly or through an ``http://`` proxy, never opens a
TLS connection: httpcore takes the SSL context only for an ``https://`` origin or proxy. Such a
client is made with httpx's ``verify=False``, an SSL context with no certificates loaded that no
connection uses. Anything else (an ``https://`` server or proxy, a proxy URL in another scheme)
keeps verification on. Only a client that follows no redirects may rely on this: a redirect
could lead to an ``https://`` address.
"""

from __future__ import annotations

import urllib.request

import httpx

__all__ = ["env_proxy", "needs_tls"]


def env_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for `url` (``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``ALL_PROXY``, unless ``NO_PROXY`` lists its host), as an ``httpx.AsyncClient`` or the
    ``openai`` client would use it; None to connect directly."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.host):
        return None
    return proxy


def needs_tls(url: str | httpx.URL) -> bool:
    """False only for an ``http://`` URL reached directly or through an ``http://`` proxy."""
    parsed = httpx.URL(url)
    if parsed.scheme != "http":
        return True
    proxy = env_proxy(parsed)
    return proxy is not None and not proxy.lower().startswith("http://")
