"""`WebhookChannel`: delivers by POSTing JSON to a URL, in Slack, Discord or soulbeat's own shape.

Bodies, per ``kind``:

- ``json`` (default): ``{"thread_id", "text", "kind", "indicator", "beat_id", "to", "agent_id"}``
  — the delivery as it is; ``to`` (the recipient override) is passed on for the receiver to use.
- ``slack`` (an incoming webhook): ``{"text": ...}`` with ``&``, ``<`` and ``>`` escaped as Slack
  documents for mrkdwn (so model text cannot form ``<!everyone>`` or ``<url|label>`` links), cut to
  `SLACK_TEXT_LIMIT` characters with a visible marker. ``to`` is not sent: a Slack app's incoming
  webhook always posts to the channel it was created for and ignores overrides.
- ``discord``: ``{"content": ..., "allowed_mentions": {"parse": []}}`` — the empty
  ``allowed_mentions`` means nothing in the text can ping ``@everyone``, a role or a user. Discord
  accepts at most `DISCORD_CONTENT_LIMIT` characters per message, so a longer text is split into
  several POSTs (at a line break, else a space, else hard), at most `DISCORD_MAX_PARTS` of them;
  beyond that the last part ends with a visible marker. Parts are sent in order and the first
  failure stops the rest (the receipt says how many parts went out). ``to`` is not sent either: a
  Discord webhook is bound to one channel.

A delivery made by a beat carries ``Idempotency-Key: <beat key>:<index>`` (its effect, SPEC §9.4;
``.<part>`` appended per part when split): a beat re-run after a crash that cannot know whether
its call arrived sends it again with the same key, so the receiver can drop the copy.

Receipts: any 2xx is ``ok``. Anything else is ``ok=False`` with
``webhook <name>: HTTP <status> from <url>`` and the start of the response body (Slack's
``no_service`` or ``invalid_payload`` say what to fix); a refused connection or a timeout is
``ok=False`` with the reason and no status. Redirects are not followed (a webhook that redirects is
misconfigured). Webhook URLs carry secrets (Slack's and Discord's end in a token), so a detail shows
only the scheme, host, port and first path segment (`display_url`), and header values and the
rest of the URL are masked out of anything quoted from an error.

The channel keeps one HTTP client, made on first use; close it with ``aclose()`` (or ``async with``)
when done. ``transport`` replaces the network (httpx's mock transport in tests); the client owns it
and closes it in ``aclose()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, get_args

from soulbeat.actions.sanitize import escape_and_cap
from soulbeat.channels.base import Delivery, Receipt

if TYPE_CHECKING:  # imported by the functions that use it: a worker without webhooks never does
    import httpx

__all__ = [
    "DISCORD_CONTENT_LIMIT",
    "DISCORD_MAX_PARTS",
    "SLACK_TEXT_LIMIT",
    "WEBHOOK_KINDS",
    "WebhookChannel",
    "WebhookKind",
    "display_url",
    "split_text",
]

WebhookKind = Literal["slack", "discord", "json"]
WEBHOOK_KINDS: tuple[str, ...] = get_args(WebhookKind)
SLACK_TEXT_LIMIT = 40_000
DISCORD_CONTENT_LIMIT = 2_000
DISCORD_MAX_PARTS = 5
_MARKER = " … [truncated]"
_SNIPPET = 200


def display_url(url: str | httpx.URL) -> str:
    """``url`` safe to show: scheme, host, port and the first path segment, ``/…`` for the rest;
    no user info, no query."""
    import httpx

    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port is not None else ""
    segments = [part for part in parsed.path.split("/") if part]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1 or parsed.query:
        path += "/…"
    return f"{parsed.scheme}://{parsed.host}{port}{path}"


def split_text(text: str, limit: int, max_parts: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at the last line break (else
    space) that fits; at most ``max_parts`` pieces, the last one ending with a marker when text
    was left over. Whitespace-only pieces are dropped; an empty text gives ``[text]``."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit and len(parts) < max_parts:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            piece, rest = rest[:limit], rest[limit:]
        else:
            piece, rest = rest[:cut], rest[cut + 1 :]
        if piece.strip():
            parts.append(piece)
    if len(parts) < max_parts:
        if rest.strip() or not parts:
            parts.append(rest)
        return parts
    if rest.strip():
        last = parts[-1]
        parts[-1] = last[: limit - len(_MARKER)].rstrip() + _MARKER
    return parts


class WebhookChannel:
    """POSTs deliveries to ``url`` (see the module docstring for bodies and receipts)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        kind: WebhookKind = "json",
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if kind not in WEBHOOK_KINDS:
            raise ValueError(f"webhook {name}: kind {kind!r} is not one of {WEBHOOK_KINDS}")
        parsed = _parse_url(name, url)
        if timeout <= 0:
            raise ValueError(f"webhook {name}: timeout must be positive, got {timeout}")
        self._name = name
        self._url = url
        self._kind: WebhookKind = kind
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._display = display_url(parsed)
        self._secrets = _secrets(url, parsed, self._headers)

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> WebhookKind:
        return self._kind

    @property
    def display_url(self) -> str:
        """The URL as shown in receipts (no token)."""
        return self._display

    def payloads(self, delivery: Delivery) -> list[dict[str, Any]]:
        """The JSON bodies ``deliver`` would POST, in order (one, except long Discord texts)."""
        if self._kind == "slack":
            return [{"text": escape_and_cap(delivery.text, SLACK_TEXT_LIMIT)}]
        if self._kind == "discord":
            parts = split_text(delivery.text, DISCORD_CONTENT_LIMIT, DISCORD_MAX_PARTS)
            return [{"content": part, "allowed_mentions": {"parse": []}} for part in parts]
        return [
            {
                "thread_id": delivery.thread_id,
                "text": delivery.text,
                "kind": delivery.kind,
                "indicator": delivery.indicator,
                "beat_id": delivery.beat_id,
                "to": delivery.to,
                "agent_id": delivery.agent_id,
            }
        ]

    async def deliver(self, delivery: Delivery) -> Receipt:
        bodies = self.payloads(delivery)
        status: int | None = None
        for index, body in enumerate(bodies):
            status, failure = await self._post(body, _idempotency_key(delivery, index, len(bodies)))
            if failure is not None:
                if len(bodies) > 1:
                    failure += f" (part {index + 1} of {len(bodies)}; {index} sent before it)"
                return Receipt(self._name, False, failure, status_code=status)
        detail = f"webhook {self._name}: HTTP {status} from {self._display}"
        if len(bodies) > 1:
            detail += f" ({len(bodies)} parts)"
        if delivery.to is not None and self._kind != "json":
            detail += f"; 'to' ignored: a {self._kind} webhook posts to the channel it was made for"
        return Receipt(self._name, True, detail, status_code=status)

    async def _post(
        self, body: Mapping[str, Any], idempotency_key: str | None
    ) -> tuple[int | None, str | None]:
        """POST one body: (status, None) on a 2xx, else (status or None, what went wrong)."""
        import httpx

        where = f"webhook {self._name}"
        headers = dict(self._headers)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self._http().post(self._url, json=body, headers=headers)
        except httpx.TimeoutException:
            return None, f"{where}: no answer from {self._display} within {self._timeout:g}s"
        except httpx.ConnectError as error:
            return None, f"{where}: cannot connect to {self._display} ({self._reason(error)})"
        except httpx.HTTPError as error:
            return None, f"{where}: request to {self._display} failed ({self._reason(error)})"
        if response.is_success:
            return response.status_code, None
        detail = f"{where}: HTTP {response.status_code} from {self._display}"
        snippet = self._scrub(" ".join(response.text[: _SNIPPET * 4].split()))[:_SNIPPET]
        return response.status_code, f"{detail}: {snippet}" if snippet else detail

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=self._timeout, follow_redirects=False
            )
        return self._client

    def _scrub(self, text: str) -> str:
        """``text`` (quoted from an error or a reply) with every secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _reason(self, error: httpx.HTTPError) -> str:
        """Why a request failed: the OS error underneath when there is one (``Connection
        refused`` says more than httpx's ``All connection attempts failed``)."""
        cause = _os_reason(error)
        if cause is not None:
            return f"{type(error).__name__}: {self._scrub(cause)}"
        text = self._scrub(" ".join(str(error).split()))
        return f"{type(error).__name__}: {text}" if text else type(error).__name__

    async def aclose(self) -> None:
        """Close the HTTP client (and the transport given, if any). The channel can be used
        again afterwards: a new client is made on the next delivery."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> WebhookChannel:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _parse_url(name: str, url: str) -> httpx.URL:
    """``url`` parsed, or a `ValueError` that does not quote it (it may hold a token)."""
    import httpx

    expected = f"webhook {name}: the url must be http:// or https:// followed by a host"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise ValueError(f"{expected} (it does not parse: {type(error).__name__})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(expected)
    return parsed


def _secrets(url: str, parsed: httpx.URL, headers: Mapping[str, str]) -> list[str]:
    """Strings that must never appear in a detail, longest first: the URL, its query and user
    info, path segments after the first that look like ids or tokens, header values of 4+
    characters (shorter ones are no secret, and masking them would garble the text)."""
    found = {value for value in headers.values() if len(value.strip()) >= 4}
    found.add(url)
    segments = [part for part in parsed.path.split("/") if part]
    found.update(part for part in segments[1:] if _looks_secret(part))
    if parsed.query:
        found.add(parsed.query.decode("ascii", "replace"))
    if parsed.userinfo:
        found.add(parsed.userinfo.decode("ascii", "replace"))
    return sorted(found, key=len, reverse=True)


def _os_reason(error: BaseException) -> str | None:
    """What the innermost `OSError` with an errno in ``error``'s chain of causes says, if any:
    the system's wording for a positive errno, the resolver's message for a negative one."""
    found: str | None = None
    current: BaseException | None = error
    for _ in range(10):
        if current is None:
            break
        if isinstance(current, OSError) and current.errno is not None:
            if current.errno > 0:
                found = os.strerror(current.errno)
            elif current.strerror:
                found = current.strerror
        current = current.__cause__ or current.__context__
    return found


def _looks_secret(segment: str) -> bool:
    return len(segment) >= 16 or (len(segment) >= 4 and any(c.isdigit() for c in segment))


def _idempotency_key(delivery: Delivery, part: int, parts: int) -> str | None:
    """``<beat key>:<index>`` of the delivery's effect (SPEC §9.4); a message split into several
    bodies (Discord) adds ``.<part>`` from 1, so each body is dropped alone by the receiver."""
    if delivery.effect is None:
        return None
    key = delivery.effect.idempotency_key
    return key if parts == 1 else f"{key}.{part + 1}"
