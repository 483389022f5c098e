"""Who the agent is: SOUL.md, HEARTBEAT.md, skills and the other bootstrap files."""
