"""`RemoteLedger` over real HTTP: against soulbeat's own `/api/v1/` routes on a real uvicorn on
127.0.0.1 (the API key is the API token; server and client share the fake clock), and against
small stand-in servers for what soulbeat never sends (a verification challenge, a redirect)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from ledger_support import API_TOKEN, AUTH, ServerThread, make_settings, plain, soulbeat_server

from soulbeat.actions.executor import ActionContext
from soulbeat.actions.models import CommentAction, PostAction, VoteAction
from soulbeat.ledger.remote import NEEDS_PERSON, RemoteLedger, parse_retry_after
from soulbeat.testing import FakeClock

pytestmark = pytest.mark.slow

CTX = ActionContext("t1", "default", beat_id=None, allowed=("post", "comment", "vote"))
DRY = ActionContext(
    "t1", "default", beat_id=None, allowed=("post", "comment", "vote"), dry_run=True
)


class Recording(httpx.AsyncBaseTransport):
    """The real transport, remembering every request it sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def serve_soulbeat(tmp_path: Path, clock: FakeClock, **limits: Any) -> ServerThread:
    settings = make_settings(tmp_path)
    return ServerThread(lambda: soulbeat_server(settings, clock, **limits))


@pytest.fixture
def server(tmp_path: Path, clock: FakeClock) -> Iterator[ServerThread]:
    """soulbeat with SPEC §7.1's limits (1 post per 30 min per author), and m/general (every
    board starts with it)."""
    with serve_soulbeat(tmp_path, clock) as running:
        made = httpx.get(f"{running.url}/api/v1/submolts/general", headers=AUTH)
        assert made.status_code == 200, made.text
        yield running


@pytest.fixture
async def recording() -> AsyncIterator[Recording]:
    transport = Recording()
    yield transport
    await transport.aclose()


async def read(server: ServerThread, path: str) -> Any:
    async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
        return (await client.get(path)).json()


def remote(
    server: ServerThread, clock: FakeClock, transport: Recording, **options: Any
) -> RemoteLedger:
    return RemoteLedger(server.url, API_TOKEN, clock=clock, transport=transport, **options)


async def test_post_comment_and_vote_on_soulbeat(
    server: ServerThread, clock: FakeClock, recording: Recording
) -> None:
    async with remote(server, clock, recording) as ledger:
        post = await ledger.apply(PostAction("general", "Daily summary", "3 new posts"), CTX, ())
        assert (post.status, post.detail) == ("executed", "posted p_1 in m/general")
        assert post.receipt is not None and post.receipt.status_code == 201
        note = await ledger.apply(CommentAction("p_1", "first"), CTX, ())
        assert (note.status, note.detail) == ("executed", "commented c_1 on p_1")
        vote = await ledger.apply(VoteAction("comment", "c_1", "up"), CTX, ())
        assert vote.status == "executed" and "Upvoted!" in vote.detail
        missing = await ledger.apply(CommentAction("p_9", "hello?"), CTX, ())
        assert missing.status == "rejected" and missing.problems[0].field == "post_id"
    stored = (await read(server, "/api/v1/posts/p_1"))["post"]
    assert (stored["author"], stored["author_kind"], stored["comment_count"]) == (
        "default",
        "agent",
        1,
    )
    assert all(r.headers["Authorization"] == f"Bearer {API_TOKEN}" for r in recording.requests)


async def test_dry_run_looks_the_target_up_and_writes_nothing(
    server: ServerThread, clock: FakeClock, recording: Recording
) -> None:
    async with remote(server, clock, recording) as ledger:
        good = await ledger.apply(PostAction("general", "t", "x"), DRY, ())
        bad = await ledger.apply(PostAction("nowhere", "t", "x"), DRY, ())
    assert good.status == "would-do"
    assert bad.status == "rejected" and bad.problems[0].field == "submolt"
    assert [r.method for r in recording.requests] == ["GET", "GET"]
    assert (await read(server, "/api/v1/posts"))["posts"] == []


async def test_a_wrong_key_fails_without_leaking_it(
    server: ServerThread, clock: FakeClock, recording: Recording
) -> None:
    async with RemoteLedger(server.url, "wrong-key", clock=clock, transport=recording) as ledger:
        result = await ledger.apply(PostAction("general", "t", "x"), CTX, ())
    assert result.status == "failed" and "HTTP 403" in result.detail
    assert "wrong-key" not in str(result.as_record())


async def test_429_is_honoured_without_hammering(
    server: ServerThread, clock: FakeClock, recording: Recording
) -> None:
    async with remote(server, clock, recording) as ledger:
        assert (await ledger.apply(PostAction("general", "one", "x"), CTX, ())).status == "executed"
        await clock.advance(timedelta(minutes=10))
        limited = await ledger.apply(PostAction("general", "two", "y"), CTX, ())
        assert limited.status == "rate-limited"
        assert "retry after 2026-01-01T00:30:00+00:00" in limited.detail
        held = await ledger.apply(PostAction("general", "three", "z"), CTX, ())
        assert held.status == "rate-limited" and "not sent" in held.detail
        assert len(recording.requests) == 2  # the held-back one made no request
        comment = await ledger.apply(CommentAction("p_1", "comments are not held"), CTX, ())
        assert comment.status == "executed"
        await clock.advance(timedelta(minutes=20))
        again = await ledger.apply(PostAction("general", "two", "y"), CTX, ())
        assert again.status == "executed"


async def test_a_short_retry_after_is_waited_out_on_the_clock(
    server: ServerThread, clock: FakeClock, recording: Recording
) -> None:
    async with remote(server, clock, recording, retry_within=3600) as ledger:
        await ledger.apply(PostAction("general", "one", "x"), CTX, ())
        start = clock.now()
        task = asyncio.create_task(ledger.apply(PostAction("general", "two", "y"), CTX, ()))
        for _ in range(200):
            if task.done():
                break
            await asyncio.sleep(0.02)  # real time for the HTTP round trip in the server thread
            if len(recording.requests) >= 2:
                await clock.advance(timedelta(minutes=5))
        result = await task
    assert result.status == "executed"
    assert [r.method for r in recording.requests] == ["POST", "POST", "POST"]
    assert clock.now() - start >= timedelta(minutes=30)


def test_retry_after_forms(clock: FakeClock) -> None:
    now = clock.now()
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after(None, now) == parse_retry_after("soon", now) == 60
    assert parse_retry_after("Thu, 01 Jan 2026 00:02:00 GMT", now) == 120
    assert parse_retry_after("-5", now) == 0


# -- stand-in servers -----------------------------------------------------------------------------


def challenge_app(seen: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/posts")
    async def forbidden(request: Request) -> JSONResponse:
        seen.append(request.url.path)
        body = {"success": False, "error": "verify first", "challenge": "What is 7 + 5?"}
        body["verification_url"] = "https://moltbook.example/verify"
        return JSONResponse(body, status_code=403)

    @app.post("/api/v1/posts/{post_id}/comments")
    async def asks(post_id: str, request: Request) -> JSONResponse:
        seen.append(request.url.path)
        return JSONResponse(
            {
                "success": True,
                "verification_required": True,
                "challenge": "Type the word in the picture",
            }
        )

    return app


async def test_a_verification_challenge_is_left_to_a_person(
    clock: FakeClock, recording: Recording
) -> None:
    seen: list[str] = []
    with ServerThread(lambda: plain(challenge_app(seen))) as stub:
        async with RemoteLedger(stub.url, "key", clock=clock, transport=recording) as ledger:
            post = await ledger.apply(PostAction("general", "t", "x"), CTX, ())
            note = await ledger.apply(CommentAction("p_1", "x"), CTX, ())
    for result in (post, note):
        assert result.status == "failed"
        assert result.detail.startswith(f"{NEEDS_PERSON}: verification challenge")
        assert [p.field for p in result.problems] == ["verification"]
    assert "What is 7 + 5?" in post.detail and "moltbook.example/verify" in post.detail
    assert "Type the word in the picture" in note.detail
    assert seen == ["/api/v1/posts", "/api/v1/posts/p_1/comments"]  # asked once, never answered


def recorder_app(seen: list[dict[str, str]]) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def anything(path: str, request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        return JSONResponse({"success": True, "post": {"id": "stolen"}})

    return app


def redirect_app(target: str) -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/posts")
    async def moved() -> RedirectResponse:
        return RedirectResponse(f"{target}/api/v1/posts", status_code=307)

    @app.post("/api/v1/posts/{post_id}/upvote")
    async def elsewhere(post_id: str) -> RedirectResponse:
        return RedirectResponse(f"{target}/collect", status_code=302)

    return app


async def test_the_key_never_goes_to_another_host(clock: FakeClock, recording: Recording) -> None:
    stolen: list[dict[str, str]] = []
    with ServerThread(lambda: plain(recorder_app(stolen))) as evil:
        other_host = evil.url.replace("127.0.0.1", "localhost")
        with ServerThread(lambda: plain(redirect_app(other_host))) as home:
            async with RemoteLedger(home.url, "secret", clock=clock, transport=recording) as ledger:
                post = await ledger.apply(PostAction("general", "t", "x"), CTX, ())
                vote = await ledger.apply(VoteAction("post", "p_1", "up"), CTX, ())
                sneaky = await ledger.apply(VoteAction("post", f"{evil.url}/x", "up"), CTX, ())
                with pytest.raises(ValueError, match="not sent there"):
                    ledger.headers_for(httpx.URL(evil.url))
    assert post.status == vote.status == "failed"
    assert "redirected" in post.detail and "not followed" in post.detail
    assert sneaky.status in ("rejected", "failed")
    assert stolen == []
    assert {r.url.host for r in recording.requests} == {"127.0.0.1"}
    assert {r.url.port for r in recording.requests} == {home.port}
