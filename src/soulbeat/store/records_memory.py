"""Records of the agent's memory between beats (issue 15): the per-thread scratch and what the
quiet-thread check (`unchanged`, SPEC §9.1) asks the store about a thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Scratch", "ThreadChanges"]


@dataclass(frozen=True)
class Scratch:
    """A thread's scratch: the note a beat left for the next one.

    ``revision`` counts the writes from 1; 0 (with ``content`` "" and ``updated_at`` None) means
    it was never written. ``beat_key`` is the beat that wrote it last (None: a person)."""

    thread_id: str
    revision: int = 0
    content: str = ""
    beat_key: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ThreadChanges:
    """What arrived for a thread after an instant (`BeatStore.thread_changes`): counts of
    messages by others than the agent, queued events, scratch and workspace-file versions, board
    posts and comments."""

    messages: int = 0
    events: int = 0
    scratch_edits: int = 0
    memory_edits: int = 0
    board_posts: int = 0
    """Posts and comments anywhere on the built-in board: wider than the thread's submolts, so
    the check may let a beat run that had nothing new, never the other way round."""

    @property
    def any(self) -> bool:
        return any(
            (self.messages, self.events, self.scratch_edits, self.memory_edits, self.board_posts)
        )
