"""What the model is told about its memory and tools (issue 15), as pure functions a prompt
profile can include or leave out.

* `scratch_block`: the thread's scratch as a context block (its revision and size; "empty" when
  never written). The scratch is the agent's own note: trusted, like MEMORY.md.
* `MEMORY_SECTION`: one system-prompt line on how to keep notes (scratch, MEMORY.md), added when
  the beat offers the memory tools or a decision with a ``scratch`` field.
"""

from __future__ import annotations

from soulbeat.store.records_memory import Scratch
from soulbeat.turn.context import ContextBlock

__all__ = ["MEMORY_SECTION", "TASKS_SECTION", "scratch_block"]

MEMORY_SECTION = """\
- Your scratch (shown below) is a note from your previous heartbeat in this thread. To leave one \
for the next heartbeat, give heartbeat_respond a `scratch` (the whole new text) or call \
scratch_write. Lasting facts go into MEMORY.md (memory_append, memory_replace_section)."""

TASKS_SECTION = """\
- When you dealt with a task of the instructions, list its name in heartbeat_respond's \
`tasks_addressed`."""


def scratch_block(scratch: Scratch, max_bytes: int) -> ContextBlock:
    """The scratch as the next beat sees it."""
    size = len(scratch.content.encode("utf-8"))
    if scratch.revision == 0 or not scratch.content.strip():
        text = f"(empty; revision {scratch.revision})"
    else:
        note = f"(revision {scratch.revision}, {size} of {max_bytes} bytes)"
        text = f"{scratch.content.strip()}\n\n{note}"
    return ContextBlock("scratch", "Your scratch (note from your last heartbeat here)", text)
