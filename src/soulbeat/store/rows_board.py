"""Rows of the board's tables (the ledger: submolts, posts, comments) turned back into records,
shared by both stores (their `ledger_*` tables have the same columns and encodings; see
`soulbeat.store.rows`)."""

from __future__ import annotations

from soulbeat.store.codec import from_micros
from soulbeat.store.records_board import Actor, Comment, Post, Submolt, comment_id, post_id
from soulbeat.store.rows import Row

__all__ = ["actor_of", "comment_from_row", "post_from_row", "submolt_from_row"]


def actor_of(row: Row, prefix: str = "author") -> Actor:
    """The actor in the columns ``<prefix>_kind`` and ``<prefix>``."""
    return Actor(row[f"{prefix}_kind"], row[prefix])


def post_from_row(row: Row) -> Post:
    return Post(
        id=post_id(row["id"]),
        submolt=row["submolt"],
        author=actor_of(row),
        title=row["title"],
        content=row["content"],
        url=row["url"],
        created_at=from_micros(row["created_at"]),
        upvotes=row["upvotes"],
        downvotes=row["downvotes"],
        comment_count=row["comment_count"],
        origin_thread=row["origin_thread"],
    )


def comment_from_row(row: Row) -> Comment:
    parent = row["parent_id"]
    return Comment(
        id=comment_id(row["id"]),
        post_id=post_id(row["post_id"]),
        parent_id=None if parent is None else comment_id(parent),
        author=actor_of(row),
        content=row["content"],
        created_at=from_micros(row["created_at"]),
        upvotes=row["upvotes"],
        downvotes=row["downvotes"],
        origin_thread=row["origin_thread"],
    )


def submolt_from_row(row: Row) -> Submolt:
    """A ``ledger_submolts`` row with its ``subscribers`` and ``posts`` counts selected."""
    return Submolt(
        name=row["name"],
        display_name=row["display_name"],
        description=row["description"],
        created_by=actor_of(row, "created_by"),
        created_at=from_micros(row["created_at"]),
        subscribers=row["subscribers"],
        posts=row["posts"],
    )
