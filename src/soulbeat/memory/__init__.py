"""The agent's memory between beats (issue 15): the per-thread scratch, MEMORY.md edits and,
when the config allows, proposed edits of SOUL.md and HEARTBEAT.md."""
