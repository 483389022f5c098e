"""`WebhookChannel` against a real HTTP server on 127.0.0.1: bodies, failures, no leaked secrets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from soulbeat.channels import Channel, Delivery, WebhookChannel, WebhookKind
from soulbeat.channels.webhook import (
    DISCORD_CONTENT_LIMIT,
    DISCORD_MAX_PARTS,
    SLACK_TEXT_LIMIT,
    display_url,
    split_text,
)
from soulbeat.store.records import EffectRef

TOKEN = "s3cr3t-t0ken-value"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HookServer:
    """Answers every POST with ``status`` and ``reply``; ``received`` holds what came in."""

    url: str = ""
    status: int = 200
    reply: str = "ok"
    fail_after: int | None = None
    """Answer 500 to every request after this many successful ones."""
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    state = HookServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            state.received.append(
                Received(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
            )
            status = state.status
            if state.fail_after is not None and len(state.received) > state.fail_after:
                status = 500
            payload = state.reply.encode()
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alert(text: str = "disk <90%> & rising", **kwargs: object) -> Delivery:
    fields: dict[str, object] = {
        "thread_id": "t1",
        "text": text,
        "kind": "alert",
        "indicator": "alert",
        "beat_id": 7,
    }
    fields.update(kwargs)
    return Delivery(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., WebhookChannel]]:
    made: list[WebhookChannel] = []

    def factory(url: str, kind: WebhookKind = "json", **kwargs: object) -> WebhookChannel:
        channel = WebhookChannel("ops", url, kind=kind, **kwargs)  # type: ignore[arg-type]
        made.append(channel)
        return channel

    yield factory
    for channel in made:
        await channel.aclose()


async def test_json_body_is_the_delivery_with_to(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    channel = make(f"{hook_server.url}/hook", headers={"Authorization": f"Bearer {TOKEN}"})
    receipt = await channel.deliver(alert(to="oncall", agent_id="a1"))
    assert receipt.ok, receipt.detail
    assert receipt.status_code == 200
    assert receipt.channel == "ops"
    assert receipt.detail == f"webhook ops: HTTP 200 from {hook_server.url}/hook"
    [got] = hook_server.received
    assert got.path == "/hook"
    assert got.headers["authorization"] == f"Bearer {TOKEN}"
    assert got.headers["content-type"] == "application/json"
    assert got.body == {
        "thread_id": "t1",
        "text": "disk <90%> & rising",
        "kind": "alert",
        "indicator": "alert",
        "beat_id": 7,
        "to": "oncall",
        "agent_id": "a1",
    }


async def test_a_beats_delivery_carries_its_idempotency_key(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    effect = EffectRef("t1@2026-01-01T00:00:00+00:00", 2, "message")
    await make(hook_server.url).deliver(alert(effect=effect))
    await make(hook_server.url).deliver(alert())  # not a beat's effect: no key
    lines = [f"line {i:04d} " + "x" * 90 for i in range(50)]
    await make(hook_server.url, kind="discord").deliver(alert("\n".join(lines), effect=effect))
    keys = [r.headers.get("idempotency-key") for r in hook_server.received]
    assert keys == [
        "t1@2026-01-01T00:00:00+00:00:2",
        None,
        "t1@2026-01-01T00:00:00+00:00:2.1",
        "t1@2026-01-01T00:00:00+00:00:2.2",
        "t1@2026-01-01T00:00:00+00:00:2.3",
    ]


async def test_slack_body_escapes_mrkdwn_control_characters(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    channel = make(f"{hook_server.url}/services/T000/B000/XXXXXXXX", kind="slack")
    receipt = await channel.deliver(alert("ping <!everyone> & <https://x.test|click> now"))
    assert receipt.ok, receipt.detail
    assert [r.body for r in hook_server.received] == [
        {"text": "ping &lt;!everyone&gt; &amp; &lt;https://x.test|click&gt; now"}
    ]
    assert receipt.detail == f"webhook ops: HTTP 200 from {hook_server.url}/services/…"


async def test_slack_text_is_capped_with_a_marker(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    channel = make(hook_server.url, kind="slack")
    await channel.deliver(alert("<" * SLACK_TEXT_LIMIT))
    text = hook_server.received[0].body["text"]
    assert len(text) <= SLACK_TEXT_LIMIT
    assert text.endswith("[truncated]")
    assert text.startswith("&lt;&lt;")


async def test_slack_and_discord_say_that_to_is_ignored(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    for kind in ("slack", "discord"):
        receipt = await make(hook_server.url, kind=kind).deliver(alert(to="#elsewhere"))
        assert receipt.ok
        assert "'to' ignored" in receipt.detail
    assert all("to" not in r.body and "channel" not in r.body for r in hook_server.received)


async def test_discord_body_blocks_every_mention(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    channel = make(f"{hook_server.url}/api/webhooks/123456/{TOKEN}", kind="discord")
    receipt = await channel.deliver(alert("@everyone look <b>now</b> & then"))
    assert receipt.ok, receipt.detail
    assert [r.body for r in hook_server.received] == [
        {"content": "@everyone look <b>now</b> & then", "allowed_mentions": {"parse": []}}
    ]
    assert TOKEN not in receipt.detail


async def test_long_discord_text_goes_in_parts_split_at_lines(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    lines = [f"line {i:04d} " + "x" * 90 for i in range(50)]  # 50 × 100 chars = 5,049 with \n
    receipt = await make(hook_server.url, kind="discord").deliver(alert("\n".join(lines)))
    assert receipt.ok, receipt.detail
    assert receipt.detail.endswith("(3 parts)")
    contents = [r.body["content"] for r in hook_server.received]
    assert len(contents) == 3
    assert all(len(c) <= DISCORD_CONTENT_LIMIT for c in contents)
    assert "\n".join(contents).split("\n") == lines


async def test_a_failing_discord_part_stops_the_rest_and_says_how_far_it_got(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    hook_server.fail_after = 1
    receipt = await make(hook_server.url, kind="discord").deliver(alert("word " * 1000))
    assert not receipt.ok
    assert receipt.status_code == 500
    assert "(part 2 of 3; 1 sent before it)" in receipt.detail
    assert len(hook_server.received) == 2


async def test_http_500_is_a_failed_receipt_with_the_status_and_the_reply(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    hook_server.status = 500
    hook_server.reply = "no_service\n"
    channel = make(f"{hook_server.url}/hook", headers={"X-Api-Key": TOKEN})
    receipt = await channel.deliver(alert())
    assert not receipt.ok
    assert receipt.status_code == 500
    assert receipt.detail == f"webhook ops: HTTP 500 from {hook_server.url}/hook: no_service"
    assert TOKEN not in receipt.detail


async def test_a_redirect_is_not_followed(
    hook_server: HookServer, make: Callable[..., WebhookChannel]
) -> None:
    hook_server.status = 302
    receipt = await make(hook_server.url).deliver(alert())
    assert not receipt.ok
    assert receipt.status_code == 302


async def test_a_refused_connection_is_a_failed_receipt(
    closed_port: int, make: Callable[..., WebhookChannel]
) -> None:
    url = f"http://127.0.0.1:{closed_port}/hooks/{TOKEN}"
    receipt = await make(url, headers={"Authorization": TOKEN}).deliver(alert())
    assert not receipt.ok
    assert receipt.status_code is None
    assert receipt.detail == (
        f"webhook ops: cannot connect to http://127.0.0.1:{closed_port}/hooks/… "
        "(ConnectError: Connection refused)"
    )
    assert TOKEN not in receipt.detail


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


async def test_a_timeout_is_a_failed_receipt(
    silent_port: int, make: Callable[..., WebhookChannel]
) -> None:
    receipt = await make(f"http://127.0.0.1:{silent_port}/", timeout=0.2).deliver(alert())
    assert not receipt.ok
    assert receipt.status_code is None
    assert (
        receipt.detail == f"webhook ops: no answer from http://127.0.0.1:{silent_port} within 0.2s"
    )


async def test_errors_quoted_from_the_transport_are_scrubbed(
    make: Callable[..., WebhookChannel],
) -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError(f"bad reply to {request.url} with {TOKEN}")

    url = f"https://hooks.example.test/services/{TOKEN}?key={TOKEN}"
    channel = make(url, headers={"Authorization": TOKEN}, transport=httpx.MockTransport(explode))
    receipt = await channel.deliver(alert())
    assert not receipt.ok
    assert TOKEN not in receipt.detail
    assert receipt.detail.startswith(
        "webhook ops: request to https://hooks.example.test/services/… failed (RemoteProtocolError"
    )


def test_the_webhook_channel_is_a_channel() -> None:
    channel: Channel = WebhookChannel("ops", "http://127.0.0.1:9/")
    assert channel.name == "ops"


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("ftp://host/x", {}, "http"),
        ("/relative", {}, "http"),
        ("http://127.0.0.1:abc/", {}, "does not parse"),
        ("http:///x", {}, "followed by a host"),
        ("http://127.0.0.1/", {"kind": "teams"}, "kind"),
        ("http://127.0.0.1/", {"timeout": 0}, "timeout"),
    ],
)
def test_bad_configuration_is_refused_at_construction(
    url: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WebhookChannel("ops", url, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/abc", "https://hooks.slack.com/services/…"),
        ("https://discord.com/api/webhooks/1/tok", "https://discord.com/api/…"),
        ("http://user:pw@127.0.0.1:8080/hook?token=x", "http://127.0.0.1:8080/hook/…"),
        ("http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"),
        ("http://example.test", "http://example.test"),
    ],
)
def test_display_url_hides_everything_after_the_first_segment(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("text", "limit", "parts"),
    [
        ("short", 10, ["short"]),
        ("", 10, [""]),
        ("aaaa bbbb cccc", 9, ["aaaa bbbb", "cccc"]),
        ("aaaa\nbbbb cccc", 10, ["aaaa", "bbbb cccc"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
        ("aaaa\n\n\n\nbbbb", 4, ["aaaa", "bbbb"]),
    ],
)
def test_split_text(text: str, limit: int, parts: list[str]) -> None:
    assert split_text(text, limit, max_parts=5) == parts


def test_split_text_caps_the_number_of_parts_with_a_marker() -> None:
    parts = split_text("x" * (DISCORD_CONTENT_LIMIT * 7), DISCORD_CONTENT_LIMIT, DISCORD_MAX_PARTS)
    assert len(parts) == DISCORD_MAX_PARTS
    assert all(len(p) <= DISCORD_CONTENT_LIMIT for p in parts)
    assert parts[-1].endswith("[truncated]")
    exact = split_text("x" * (DISCORD_CONTENT_LIMIT * 5), DISCORD_CONTENT_LIMIT, DISCORD_MAX_PARTS)
    assert len(exact) == 5
    assert not exact[-1].endswith("[truncated]")
