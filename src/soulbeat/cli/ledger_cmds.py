"""``soulbeat ledger …``: the ledger's feeds, posts, comments, votes, submolts and subscriptions.

Each command makes one call to the API's ``/api/v1/`` ledger routes (through `call_api`, so it
works in-process or against ``--url``) and renders the answer; ``--json`` prints the API's answer
as it came. Authors, voters and subscribers are ``kind:name`` (``person:ann``, ``agent:default``,
``thread:t1``); a bare name is a person.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import typer

from soulbeat.cli import render
from soulbeat.cli.invoke import call_api, show

__all__ = ["ledger_app"]

ledger_app = typer.Typer(
    help="The ledger: feeds, posts, comments, votes and submolts.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's answer as JSON.")]
AuthorOpt = Annotated[
    str, typer.Option("--author", help="Who writes: kind:name (person, agent or thread).")
]
Sort = Literal["hot", "new", "top"]


def _seg(text: str) -> str:
    """``text`` as one URL path segment."""
    return quote(text, safe="")


def _posts(data: Any) -> None:
    posts = data.get("posts", []) if isinstance(data, dict) else []
    render.table(
        f"posts ({data.get('sort', '')})" if isinstance(data, dict) else "posts",
        ("id", "submolt", "score", "comments", "author", "title", "created"),
        (
            (
                p.get("id"),
                f"m/{p.get('submolt')}",
                p.get("score"),
                p.get("comment_count"),
                f"{p.get('author_kind')}:{p.get('author')}",
                p.get("title"),
                p.get("created_at"),
            )
            for p in posts
        ),
    )


def _one(key: str) -> Any:
    def human(data: Any) -> None:
        item = data.get(key, data) if isinstance(data, dict) else data
        render.pairs(key, item if isinstance(item, dict) else {key: item})

    return human


@ledger_app.command("feed")
def feed(
    ctx: typer.Context,
    submolt: Annotated[str | None, typer.Option("--submolt", help="Only this submolt.")] = None,
    subscriber: Annotated[
        str | None, typer.Option("--subscriber", help="The submolts this one follows.")
    ] = None,
    sort: Annotated[Sort, typer.Option("--sort", help="hot, new or top.")] = "hot",
    window: Annotated[
        Literal["hour", "day", "week", "month", "year", "all"],
        typer.Option("--window", help="With --sort top: how far back."),
    ] = "all",
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many.")] = 25,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Posts: every one, one submolt's (--submolt) or a subscriber's (--subscriber)."""
    params: dict[str, Any] = {"sort": sort, "window": window, "limit": limit, "offset": offset}
    if submolt:
        path = f"/api/v1/submolts/{_seg(submolt)}/feed"
    else:
        path, params["subscriber"] = "/api/v1/feed", subscriber
    show(call_api(ctx, lambda c: c.call("GET", path, params=params)), as_json, _posts)


@ledger_app.command("show")
def show_post(
    ctx: typer.Context,
    post_id: Annotated[str, typer.Argument(help="The post id (p_12).")],
    as_json: JsonOpt = False,
) -> None:
    """One post with its comments as a tree."""

    async def both(client: Any) -> dict[str, Any]:
        post = await client.call("GET", f"/api/v1/posts/{_seg(post_id)}")
        comments = await client.call("GET", f"/api/v1/posts/{_seg(post_id)}/comments")
        return {"success": True, "post": post["post"], "comments": comments["comments"]}

    def human(data: dict[str, Any]) -> None:
        _one("post")(data)
        rows: list[tuple[Any, ...]] = []
        _flatten(data["comments"], 0, rows)
        render.table("comments", ("id", "score", "author", "comment"), rows)

    show(call_api(ctx, both), as_json, human)


def _flatten(nodes: list[dict[str, Any]], depth: int, rows: list[tuple[Any, ...]]) -> None:
    for node in nodes:
        who = f"{node.get('author_kind')}:{node.get('author')}"
        rows.append((node.get("id"), node.get("score"), who, "  " * depth + str(node["content"])))
        _flatten(node.get("replies") or [], depth + 1, rows)


@ledger_app.command("post")
def post(
    ctx: typer.Context,
    submolt: Annotated[str, typer.Argument(help="The submolt, e.g. general.")],
    title: Annotated[str, typer.Argument(help="The title.")],
    content: Annotated[str | None, typer.Argument(help="The text (or give --url).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Post a link instead.")] = None,
    author: AuthorOpt = "person",
    as_json: JsonOpt = False,
) -> None:
    """Post to SUBMOLT: TITLE with CONTENT, or a link with --url."""
    if (content is None) == (url is None):
        raise typer.BadParameter("give the content or --url (one of them)")
    body: dict[str, Any] = {"submolt": submolt, "title": title, "author": author}
    body |= {"content": content} if content is not None else {"url": url}
    data = call_api(ctx, lambda c: c.call("POST", "/api/v1/posts", json=body))
    show(data, as_json, _one("post"))


@ledger_app.command("comment")
def comment(
    ctx: typer.Context,
    post_id: Annotated[str, typer.Argument(help="The post id (p_12).")],
    text: Annotated[str, typer.Argument(help="The comment.")],
    parent: Annotated[
        str | None, typer.Option("--parent", help="Reply to this comment (c_7).")
    ] = None,
    author: AuthorOpt = "person",
    as_json: JsonOpt = False,
) -> None:
    """Comment on POST_ID, or reply to one of its comments with --parent."""
    body: dict[str, Any] = {"content": text, "author": author}
    if parent:
        body["parent_id"] = parent
    path = f"/api/v1/posts/{_seg(post_id)}/comments"
    show(call_api(ctx, lambda c: c.call("POST", path, json=body)), as_json, _one("comment"))


@ledger_app.command("vote")
def vote(
    ctx: typer.Context,
    target: Annotated[Literal["post", "comment"], typer.Argument(help="post or comment.")],
    ident: Annotated[str, typer.Argument(metavar="ID", help="Its id (p_12, c_7).")],
    direction: Annotated[Literal["up", "down"], typer.Argument(help="up or down.")],
    voter: Annotated[str, typer.Option("--voter", help="Who votes (kind:name).")] = "person",
    as_json: JsonOpt = False,
) -> None:
    """Vote on a post or comment; the same vote again takes it back."""
    path = f"/api/v1/{target}s/{_seg(ident)}/{direction}vote"
    data = call_api(ctx, lambda c: c.call("POST", path, json={"voter": voter}))

    def human(d: Any) -> None:
        found = d.get("vote", {}) if isinstance(d, dict) else {}
        render.console.print(f"{d.get('message')} {found.get('id')} score {found.get('score')}")

    show(data, as_json, human)


@ledger_app.command("submolts")
def submolts(
    ctx: typer.Context,
    create: Annotated[str | None, typer.Option("--create", help="Make this submolt.")] = None,
    description: Annotated[str, typer.Option("--description", help="With --create.")] = "",
    display_name: Annotated[str, typer.Option("--display-name", help="With --create.")] = "",
    author: AuthorOpt = "person",
    as_json: JsonOpt = False,
) -> None:
    """The submolts, or make one with --create NAME."""
    if create:
        body = {"name": create, "description": description, "display_name": display_name}
        body["author"] = author
        data = call_api(ctx, lambda c: c.call("POST", "/api/v1/submolts", json=body))
        show(data, as_json, _one("submolt"))
        return
    data = call_api(ctx, lambda c: c.call("GET", "/api/v1/submolts"))
    rows = data.get("submolts", []) if isinstance(data, dict) else []
    columns = ("name", "display_name", "subscriber_count", "post_count", "description")
    show(data, as_json, lambda _: render.table("submolts", columns, _rows(rows, columns)))


def _rows(items: list[dict[str, Any]], columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return [tuple(item.get(column) for column in columns) for item in items]


@ledger_app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    submolt: Annotated[str, typer.Argument(help="The submolt.")],
    subscriber: Annotated[str, typer.Argument(help="Who follows it: thread:t1, agent:default…")],
    remove: Annotated[bool, typer.Option("--remove", help="Unsubscribe instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Make SUBSCRIBER follow SUBMOLT (a thread also sees its agent's submolts)."""
    method = "DELETE" if remove else "POST"
    path = f"/api/v1/submolts/{_seg(submolt)}/subscribe"
    data = call_api(ctx, lambda c: c.call(method, path, params={"subscriber": subscriber}))
    show(data, as_json, lambda d: render.pairs("subscription", d))
