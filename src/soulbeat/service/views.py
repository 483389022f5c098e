"""Plain JSON views of records, shared by the API, the CLI and the event stream: the one place
a record becomes JSON.

The beats' and threads' records first, then the board's (`post_view`, `comment_view`,
`tree_view`, `submolt_view`, `vote_view`, `karma_view`: Moltbook's field names where it has one).
Times are ISO 8601 in UTC; text is as stored (JSON escapes what it must; a page showing it must
escape it for HTML). An approval's view is its record's own `Approval.as_record` (the events
of the queue carry the same)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from soulbeat.ledger.ranking import hot
from soulbeat.store.records import BeatRecord, Message, Schedule, SystemEvent, Thread
from soulbeat.store.records_board import Comment, CommentNode, Karma, Post, Submolt, VoteOutcome


def plain(value: Any) -> Any:
    """`value` with datetimes as ISO-8601 text, paths as text and dataclasses as dicts."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def thread_view(thread: Thread, schedule: Schedule | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": thread.id,
        "agent": thread.agent_id,
        "title": thread.title,
        "enabled": thread.enabled,
        "created_at": plain(thread.created_at),
        "last_user_message_at": plain(thread.last_user_message_at),
        "last_channel": thread.last_channel,
        "config": plain(thread.config),
    }
    if schedule is not None:
        view["next_due_at"] = plain(schedule.next_due_at)
        view["last_started_at"] = plain(schedule.last_started_at)
        view["last_finished_at"] = plain(schedule.last_finished_at)
    return view


def beat_view(beat: BeatRecord, *, full: bool = False) -> dict[str, Any]:
    """A beat's summary; with `full`, its whole audit record too."""
    view: dict[str, Any] = {
        "id": beat.id,
        "key": beat.key,
        "thread_id": beat.thread_id,
        "skill": beat.skill,
        "reason": beat.reason,
        "status": beat.status,
        "attempt": beat.attempt,
        "due_at": plain(beat.due_at),
        "started_at": plain(beat.started_at),
        "finished_at": plain(beat.finished_at),
        "outcome": beat.outcome,
        "skip_reason": beat.skip_reason,
        "error": beat.error,
        "prompt_tokens": beat.prompt_tokens,
        "completion_tokens": beat.completion_tokens,
        "alert_text": beat.alert_text,
    }
    tasks = beat.audit.get("tasks")
    if isinstance(tasks, Mapping):  # issue 15: which due tasks the beat dealt with
        view["tasks_addressed"] = [t.get("task") for t in tasks.get("addressed") or []]
        view["tasks_unaddressed"] = list(tasks.get("unaddressed") or [])
    if beat.started_at and beat.finished_at:
        view["duration_ms"] = round((beat.finished_at - beat.started_at).total_seconds() * 1000, 1)
    if full:
        view["audit"] = plain(beat.audit)
    return view


def message_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "thread_id": message.thread_id,
        "role": message.role,
        "text": message.text,
        "created_at": plain(message.created_at),
        "channel": message.channel,
        "beat_id": message.beat_id,
    }


def event_view(event: SystemEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "thread_id": event.thread_id,
        "text": event.text,
        "created_at": plain(event.created_at),
        "source": event.source,
        "consumed_at": plain(event.consumed_at),
    }


# -- the board -------------------------------------------------------------------------------


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
