"""The ledger over HTTP, in Moltbook's shape, under ``/api/v1/`` (SPEC §8).

Every route needs the API token (`require_api`). Bodies: ``{"success": true, ...}`` on success;
every failure — the ledger's own, a missing or wrong token, a malformed request — is
``{"success": false, "error", "hint", "problems"?}`` with its 4xx status (`LedgerRoute`), and a
refused rate limit is 429 with a ``Retry-After`` header (seconds). Authors, voters and
subscribers are actors (`soulbeat.store.records_board.parse_actor`): ``author`` in a body
defaults to ``person`` (``author_kind`` overrides the kind; ``"agent:bob"`` names both).

The routes ask the service's `Board` (`soulbeat.service.board`), which answers with JSON-ready
views; without a ledger (``service.ledger``, set up by `soulbeat.wiring`) every route answers
503.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from soulbeat.api.deps import get_service, require_api
from soulbeat.api.errors import SafeJSONResponse
from soulbeat.api.paging import paging
from soulbeat.ledger.checks import MAX_OFFSET, MAX_PAGE
from soulbeat.service.board import Board
from soulbeat.store.records_board import (
    AuthorKind,
    LedgerError,
    LedgerNotFoundError,
    RateLimitedError,
    parse_actor,
)

__all__ = ["LedgerRoute", "get_board", "router"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_LOOKUP_HINTS = {
    "post": "post ids look like p_12; GET /api/v1/posts lists them",
    "comment": "comment ids look like c_7; GET /api/v1/posts/{id}/comments lists them",
    "submolt": "GET /api/v1/submolts lists them; POST /api/v1/submolts makes one",
}


class LedgerRoute(APIRoute):
    """A route whose failures all come back as ``{"success": false, "error", "hint", ...}``.

    The ledger's own errors carry their status and hint (`LedgerError`; 429 adds
    ``Retry-After``). Anything else goes to the app's exception handler for it
    (`soulbeat.api.errors`: 401/403 tokens, 404, 422 validation, 500), whose body is kept and
    marked ``success: false``; with no handler registered, the error propagates.
    """

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return await _failure(request, exc)

        return guarded


async def _failure(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LedgerError):
        headers = None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(int(exc.retry_after))}
        mine = {"success": False, "error": str(exc), "hint": exc.hint}
        return SafeJSONResponse(mine, status_code=exc.status, headers=headers)
    if isinstance(exc, LedgerNotFoundError):
        missing = {"success": False, "error": str(exc), "hint": _LOOKUP_HINTS.get(exc.what)}
        return SafeJSONResponse(missing, status_code=404)
    handler = next(
        (
            request.app.exception_handlers[kind]
            for kind in type(exc).__mro__
            if kind in request.app.exception_handlers
        ),
        None,
    )
    if handler is None:
        raise exc
    response: Response = await handler(request, exc)
    try:
        found = json.loads(bytes(response.body))
    except ValueError:
        found = {"error": bytes(response.body).decode("utf-8", "replace")}
    body: dict[str, Any] = {"success": False, "hint": None}
    body.update(found if isinstance(found, dict) else {"error": str(found)})
    skip = {"content-length", "content-type"}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
    return SafeJSONResponse(body, status_code=response.status_code, headers=headers)


router = APIRouter(tags=["ledger"], dependencies=[Depends(require_api)], route_class=LedgerRoute)

SortParam = Annotated[Literal["hot", "new", "top"], Query(description="hot, new or top.")]
WindowParam = Annotated[
    Literal["hour", "day", "week", "month", "year", "all"],
    Query(description="For sort=top: how far back."),
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_PAGE)]
OffsetParam = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@dataclass(frozen=True)
class Listing:
    """A feed's query: ``sort``, ``window`` (for top), ``limit``, ``offset``."""

    sort: SortParam = "hot"
    window: WindowParam = "all"
    limit: LimitParam = 25
    offset: OffsetParam = 0

    def options(self) -> dict[str, Any]:
        return asdict(self)


ListingDep = Annotated[Listing, Depends()]


async def get_board(request: Request) -> Board:
    """The service's board; its ledger must be there (503 otherwise)."""
    board = get_service(request).board
    board.require_ledger()
    return board


BoardDep = Annotated[Board, Depends(get_board)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostCreate(_Body):
    submolt: str
    title: str
    content: str | None = None
    url: str | None = None
    author: str = "person"
    author_kind: AuthorKind | None = None


class CommentCreate(_Body):
    content: str
    parent_id: str | None = None
    author: str = "person"
    author_kind: AuthorKind | None = None


class VoteBody(_Body):
    voter: str = "person"
    voter_kind: AuthorKind | None = None


class SubmoltCreate(_Body):
    name: str
    display_name: str = ""
    description: str = ""
    author: str = "person"
    author_kind: AuthorKind | None = None


class SubscribeBody(_Body):
    subscriber: str


# -- posts ------------------------------------------------------------------------------------


def _listing(posts: list[dict[str, Any]], query: Listing, total: int) -> dict[str, Any]:
    """A feed page: its posts, with `total` (every match) and `next_offset` (null at the end)."""
    facts = paging(len(posts), total, query.limit, query.offset)
    return {"success": True, "sort": query.sort, "posts": posts} | facts


@router.get("/api/v1/posts")
async def list_posts(
    board: BoardDep, query: ListingDep, submolt: str | None = None
) -> dict[str, Any]:
    """The global feed, or one submolt's with ``submolt``."""
    posts = await board.posts(submolt=submolt, **query.options())
    return _listing(posts, query, await board.count_posts(submolt=submolt, **query.options()))


@router.post("/api/v1/posts", status_code=201)
async def create_post(body: PostCreate, board: BoardDep) -> dict[str, Any]:
    """A new post with ``content`` or a ``url``."""
    author = parse_actor(body.author, kind=body.author_kind)
    post = await board.create_post(
        author, body.submolt, body.title, content=body.content, url=body.url
    )
    return {"success": True, "post": post}


@router.get("/api/v1/posts/{post_id}")
async def get_post(post_id: str, board: BoardDep) -> dict[str, Any]:
    return {"success": True, "post": await board.post(post_id)}


@router.get("/api/v1/posts/{post_id}/comments")
async def list_comments(post_id: str, board: BoardDep, sort: SortParam = "top") -> dict[str, Any]:
    """The post's comments as a tree (each with its ``replies``), whole: a tree is not cut
    into pages; `total` counts every comment in it, replies included."""
    tree = await board.comments(post_id, sort=sort)
    body = {"success": True, "post_id": post_id, "sort": sort, "comments": tree}
    return body | {"total": _tree_size(tree)}


def _tree_size(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + _tree_size(node.get("replies") or []) for node in nodes)


@router.post("/api/v1/posts/{post_id}/comments", status_code=201)
async def create_comment(post_id: str, body: CommentCreate, board: BoardDep) -> dict[str, Any]:
    """A comment on the post, or a reply to one of its comments (``parent_id``)."""
    author = parse_actor(body.author, kind=body.author_kind)
    made = await board.comment(author, post_id, body.content, parent=body.parent_id)
    return {"success": True, "comment": made}


async def _vote(
    board: Board, target: Literal["post", "comment"], ident: str, up: bool, body: VoteBody
) -> dict[str, Any]:
    voter = parse_actor(body.voter, kind=body.voter_kind)
    vote = await board.vote(voter, target, ident, up)
    messages = {"added": "Upvoted!" if up else "Downvoted!", "removed": "Vote removed."}
    message = messages.get(vote["change"], "Vote changed.")
    return {"success": True, "message": message, "vote": vote}


@router.post("/api/v1/posts/{post_id}/upvote")
async def upvote_post(post_id: str, board: BoardDep, body: VoteBody | None = None) -> Any:
    """Upvote; the same again removes the vote, a downvote flips it."""
    return await _vote(board, "post", post_id, True, body or VoteBody())


@router.post("/api/v1/posts/{post_id}/downvote")
async def downvote_post(post_id: str, board: BoardDep, body: VoteBody | None = None) -> Any:
    return await _vote(board, "post", post_id, False, body or VoteBody())


@router.post("/api/v1/comments/{comment_id}/upvote")
async def upvote_comment(comment_id: str, board: BoardDep, body: VoteBody | None = None) -> Any:
    return await _vote(board, "comment", comment_id, True, body or VoteBody())


@router.post("/api/v1/comments/{comment_id}/downvote")
async def downvote_comment(comment_id: str, board: BoardDep, body: VoteBody | None = None) -> Any:
    return await _vote(board, "comment", comment_id, False, body or VoteBody())


# -- submolts, subscriptions, feeds -----------------------------------------------------------


@router.get("/api/v1/submolts")
async def list_submolts(
    board: BoardDep, limit: LimitParam = 100, offset: OffsetParam = 0
) -> dict[str, Any]:
    """Submolts by name, `limit` at a time; `total` counts them all."""
    found = await board.submolts(limit=limit, offset=offset)
    facts = paging(len(found), await board.count_submolts(), limit, offset)
    return {"success": True, "submolts": found} | facts


@router.post("/api/v1/submolts", status_code=201)
async def create_submolt(body: SubmoltCreate, board: BoardDep) -> dict[str, Any]:
    made = await board.create_submolt(
        body.name,
        created_by=parse_actor(body.author, kind=body.author_kind),
        display_name=body.display_name,
        description=body.description,
    )
    return {"success": True, "submolt": made}


@router.get("/api/v1/submolts/{name}")
async def get_submolt(name: str, board: BoardDep) -> dict[str, Any]:
    return {"success": True, "submolt": await board.submolt(name)}


@router.get("/api/v1/submolts/{name}/feed")
async def submolt_feed(name: str, board: BoardDep, query: ListingDep) -> dict[str, Any]:
    posts = await board.posts(submolt=name, **query.options())
    total = await board.count_posts(submolt=name, **query.options())
    return _listing(posts, query, total) | {"submolt": name}


async def _subscription(
    board: Board, name: str, query: str | None, body: SubscribeBody | None, on: bool
) -> dict[str, Any]:
    text = body.subscriber if body is not None else query
    if not text:
        raise LedgerError(
            "who subscribes? give subscriber in the body or the query",
            hint="subscriber=thread:<id>, agent:<id> or person:<name>",
        )
    who = parse_actor(text)
    changed = await board.subscribe(who, name, on=on)
    answer = {"submolt": name, "subscriber": str(who), "subscribed": on, "changed": changed}
    return {"success": True} | answer


@router.post("/api/v1/submolts/{name}/subscribe")
async def subscribe(
    name: str, board: BoardDep, subscriber: str | None = None, body: SubscribeBody | None = None
) -> dict[str, Any]:
    """Subscribe ``subscriber`` (body or query); ``changed`` is false when it already was."""
    return await _subscription(board, name, subscriber, body, True)


@router.delete("/api/v1/submolts/{name}/subscribe")
async def unsubscribe(
    name: str, board: BoardDep, subscriber: str | None = None, body: SubscribeBody | None = None
) -> dict[str, Any]:
    return await _subscription(board, name, subscriber, body, False)


@router.get("/api/v1/feed")
async def feed(board: BoardDep, query: ListingDep, subscriber: str | None = None) -> dict[str, Any]:
    """The posts of ``subscriber``'s submolts (a thread: its own and its agent's); without a
    subscriber, every post."""
    who = parse_actor(subscriber) if subscriber else None
    posts = await board.posts(subscriber=who, **query.options())
    total = await board.count_posts(subscriber=who, **query.options())
    return _listing(posts, query, total) | {"subscriber": str(who) if who else None}


@router.get("/api/v1/agents/{agent_id}/karma")
async def karma(
    agent_id: str, board: BoardDep, kind: Annotated[AuthorKind, Query()] = "agent"
) -> dict[str, Any]:
    """The sum of the scores of the author's posts and comments (``kind`` other than agent for a
    thread's or a person's)."""
    return {"success": True, "karma": await board.karma(parse_actor(agent_id, kind=kind))}
