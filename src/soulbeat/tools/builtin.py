"""Soulbeat's own read-only tools for a beat (issue 15 item 2).

========================  ======================================================================
``read_file(path)``       a text file inside the agent's workspace; refuses absolute paths,
                          ``..``, and anything that resolves outside (a symlink out)
``recent_messages(n)``    the thread's newest messages (default 20, at most 50)
``ledger_search(query)``  the newest 100 built-in ledger posts whose title or text has ``query``
``ledger_read(post_id)``  one ledger post with its comments
``beat_history(n)``       this thread's own last beats: when, outcome, summary, tasks addressed
``current_time()``        now in the user's timezone, and in UTC
========================  ======================================================================

None of them changes anything, and none reaches outside soulbeat: what they read is what the
`unchanged` guard already watches. Ledger posts and comments are other people's text: those
answers are ``untrusted`` (wrapped before the model sees them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from soulbeat.clock import Clock
from soulbeat.errors import SoulbeatError
from soulbeat.llm.base import ToolSpec
from soulbeat.store.base import BeatStore
from soulbeat.store.records_board import CommentNode
from soulbeat.tools.base import Tool, ToolAnswer, as_json, problem

if TYPE_CHECKING:  # imported for types only: the turn imports this module
    from soulbeat.ledger.reader import LedgerReader


__all__ = ["BUILTIN_NAMES", "BuiltinScope", "builtin_tools", "workspace_file"]

BUILTIN_NAMES = (
    "read_file",
    "recent_messages",
    "ledger_search",
    "ledger_read",
    "beat_history",
    "current_time",
)
FILE_CHARS = 20_000
SEARCH_POSTS = 100
TEXT_CHARS = 1_000


@dataclass(frozen=True)
class BuiltinScope:
    """What the built-in tools of one beat read."""

    store: BeatStore
    clock: Clock
    thread_id: str
    workspace: Path
    zone: tzinfo
    zone_name: str
    ledger: LedgerReader | None = None


def workspace_file(root: Path, asked: str) -> Path:
    """The file ``asked`` names inside ``root``; `ValueError` saying why it is refused."""
    text = asked.strip()
    if not text:
        raise ValueError("the path is empty")
    pure = PurePosixPath(text.replace("\\", "/"))
    if pure.is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise ValueError(f"{asked!r} is absolute; give a path inside the workspace")
    if ".." in pure.parts:
        raise ValueError(f"{asked!r} leaves the workspace ('..' is not allowed)")
    base = root.resolve()
    target = (base / pure).resolve()
    if not target.is_relative_to(base):
        raise ValueError(f"{asked!r} resolves outside the workspace")
    if not target.is_file():
        raise ValueError(f"{asked!r} is not a file in the workspace")
    return target


def _spec(name: str, description: str, props: Mapping[str, Any], required: list[str]) -> ToolSpec:
    return ToolSpec(
        name,
        description,
        {
            "type": "object",
            "properties": dict(props),
            "required": required,
            "additionalProperties": False,
        },
    )


def _count(args: Mapping[str, Any], key: str, default: int, top: int) -> int:
    value = args.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return default
    return min(value, top)


def _cut(text: str | None, limit: int = TEXT_CHARS) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + " … [cut]"


def builtin_tools(scope: BuiltinScope) -> list[Tool]:
    """The built-in tools of one beat (the ledger ones only when there is a ledger)."""

    async def read_file(args: Mapping[str, Any]) -> ToolAnswer:
        try:
            path = workspace_file(scope.workspace, str(args.get("path") or ""))
            text = path.read_text(encoding="utf-8")
        except ValueError as error:
            return problem(str(error))
        except (OSError, UnicodeDecodeError) as error:
            return problem(f"cannot read it: {error}")
        cut = len(text) > FILE_CHARS
        return as_json(
            {
                "path": str(path.relative_to(scope.workspace.resolve())),
                "content": text[:FILE_CHARS],
                "cut": cut,
            }
        )

    async def recent_messages(args: Mapping[str, Any]) -> ToolAnswer:
        found = await scope.store.messages(scope.thread_id, limit=_count(args, "limit", 20, 50))
        return as_json(
            [
                {"at": m.created_at.isoformat(), "role": m.role, "text": _cut(m.text, 2_000)}
                for m in found
            ]
        )

    async def beat_history(args: Mapping[str, Any]) -> ToolAnswer:
        found = await scope.store.list_beats(
            thread_id=scope.thread_id, limit=_count(args, "limit", 10, 50) + 1
        )
        beats = [b for b in found if b.status == "finished"][: _count(args, "limit", 10, 50)]
        rows = []
        for beat in beats:
            reading = beat.audit.get("reply") if isinstance(beat.audit, Mapping) else None
            rows.append(
                {
                    "at": (beat.started_at or beat.due_at).isoformat(),
                    "reason": beat.reason,
                    "outcome": beat.outcome,
                    "skip_reason": beat.skip_reason,
                    "summary": reading.get("summary") if isinstance(reading, Mapping) else None,
                    "alert": _cut(beat.alert_text, 500) if beat.alert_text else None,
                    "tasks_addressed": beat.audit.get("tasks", {}).get("addressed")
                    if isinstance(beat.audit.get("tasks"), Mapping)
                    else None,
                }
            )
        return as_json(rows)

    async def current_time(args: Mapping[str, Any]) -> ToolAnswer:
        now = scope.clock.now()
        local = now.astimezone(scope.zone)
        return as_json(
            {
                "local": local.isoformat(timespec="seconds"),
                "weekday": f"{local:%A}",
                "timezone": scope.zone_name,
                "utc": now.astimezone(UTC).isoformat(timespec="seconds"),
            }
        )

    tools = [
        Tool(
            _spec(
                "read_file",
                "Read a text file of your workspace (a path inside it, such as notes/todo.md).",
                {"path": {"type": "string"}},
                ["path"],
            ),
            "read_file",
            "builtin",
            read_file,
        ),
        Tool(
            _spec(
                "recent_messages",
                "The newest messages of this thread, oldest first.",
                {"limit": {"type": "integer", "minimum": 1, "maximum": 50}},
                [],
            ),
            "recent_messages",
            "builtin",
            recent_messages,
        ),
        Tool(
            _spec(
                "beat_history",
                "Your own last heartbeats in this thread: outcome, summary, tasks addressed.",
                {"limit": {"type": "integer", "minimum": 1, "maximum": 50}},
                [],
            ),
            "beat_history",
            "builtin",
            beat_history,
        ),
        Tool(
            _spec("current_time", "The current time in the user's timezone.", {}, []),
            "current_time",
            "builtin",
            current_time,
        ),
    ]
    if scope.ledger is not None:
        tools[2:2] = _ledger_tools(scope.ledger)
    return tools


def _ledger_tools(ledger: LedgerReader) -> list[Tool]:
    async def ledger_search(args: Mapping[str, Any]) -> ToolAnswer:
        query = str(args.get("query") or "").strip().casefold()
        if not query:
            return problem("the query is empty")
        submolt = args.get("submolt")
        try:
            posts = await ledger.feed(
                submolt=str(submolt) if submolt else None, sort="new", limit=SEARCH_POSTS
            )
        except SoulbeatError as error:
            return problem(str(error))
        hits = [p for p in posts if query in f"{p.title}\n{p.content or ''}".casefold()]
        return as_json(
            [
                {
                    "id": p.id,
                    "submolt": p.submolt,
                    "title": p.title,
                    "author": p.author.name,
                    "at": p.created_at.isoformat(),
                    "score": p.score,
                    "comments": p.comment_count,
                }
                for p in hits[: _count(args, "limit", 10, 25)]
            ]
        )

    async def ledger_read(args: Mapping[str, Any]) -> ToolAnswer:
        ident = str(args.get("post_id") or "").strip()
        try:
            post = await ledger.get_post(ident)
            tree = await ledger.comments(ident)
        except (SoulbeatError, ValueError) as error:
            return problem(str(error))
        return as_json(
            {
                "id": post.id,
                "submolt": post.submolt,
                "title": post.title,
                "author": post.author.name,
                "content": _cut(post.content or post.url, 4_000),
                "score": post.score,
                "comments": [_comment(node) for node in tree[:30]],
            }
        )

    return [
        Tool(
            _spec(
                "ledger_search",
                "Search recent ledger posts by words in their title or text.",
                {
                    "query": {"type": "string"},
                    "submolt": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 25},
                },
                ["query"],
            ),
            "ledger_search",
            "builtin",
            ledger_search,
            untrusted=True,
        ),
        Tool(
            _spec(
                "ledger_read",
                "Read one ledger post and its comments.",
                {"post_id": {"type": "string"}},
                ["post_id"],
            ),
            "ledger_read",
            "builtin",
            ledger_read,
            untrusted=True,
        ),
    ]


def _comment(node: CommentNode) -> dict[str, Any]:
    c = node.comment
    return {
        "id": c.id,
        "author": c.author.name,
        "text": _cut(c.content, 1_000),
        "replies": [_comment(r) for r in node.replies[:10]],
    }
