"""Plain JSON views of records, shared by the API, the CLI and the event stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from soulbeat.store.records import BeatRecord, Message, Schedule, SystemEvent, Thread


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
