"""soulbeat: a heartbeat and a soul for AI agents."""

__version__ = "0.1.0"
