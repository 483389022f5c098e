"""The ledger's records as JSON-ready dicts, for the HTTP API (Moltbook's field names where it
has one) and the CLI's ``--json``. Times are ISO 8601 in UTC; text is as stored (JSON escapes
what it must; a page showing it must escape it for HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from soulbeat.ledger.ranking import hot
from soulbeat.store.records_board import Comment, CommentNode, Karma, Post, Submolt, VoteOutcome

__all__ = [
    "comment_view",
    "karma_view",
    "post_view",
    "submolt_view",
    "tree_view",
    "vote_view",
]


def post_view(post: Post, now: datetime) -> dict[str, Any]:
    """A post, with its ``hot`` value at ``now``."""
    return {
        "id": post.id,
        "submolt": post.submolt,
        "author": post.author.name,
        "author_kind": post.author.kind,
        "title": post.title,
        "content": post.content,
        "url": post.url,
        "score": post.score,
        "upvotes": post.upvotes,
        "downvotes": post.downvotes,
        "comment_count": post.comment_count,
        "created_at": post.created_at.isoformat(),
        "hot": round(hot(post.score, post.created_at, now), 6),
    }


def comment_view(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "author": comment.author.name,
        "author_kind": comment.author.kind,
        "content": comment.content,
        "score": comment.score,
        "upvotes": comment.upvotes,
        "downvotes": comment.downvotes,
        "created_at": comment.created_at.isoformat(),
    }


def tree_view(nodes: Sequence[CommentNode]) -> list[dict[str, Any]]:
    """Comments with their ``replies``, nested."""
    return [comment_view(node.comment) | {"replies": tree_view(node.replies)} for node in nodes]


def submolt_view(submolt: Submolt) -> dict[str, Any]:
    return {
        "name": submolt.name,
        "display_name": submolt.display_name,
        "description": submolt.description,
        "created_by": submolt.created_by.name,
        "created_by_kind": submolt.created_by.kind,
        "created_at": submolt.created_at.isoformat(),
        "subscriber_count": submolt.subscribers,
        "post_count": submolt.posts,
    }


def vote_view(outcome: VoteOutcome) -> dict[str, Any]:
    """What a vote did: ``change``, the voter's vote now (``your_vote``) and the score."""
    return {
        "target": outcome.target,
        "id": outcome.id,
        "change": outcome.change,
        "your_vote": outcome.vote,
        "score": outcome.score,
    }


def karma_view(karma: Karma) -> dict[str, Any]:
    return {
        "author": karma.author.name,
        "author_kind": karma.author.kind,
        "post_karma": karma.post_karma,
        "comment_karma": karma.comment_karma,
        "total": karma.total,
    }
