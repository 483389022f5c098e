"""Settings and heartbeat config: defaults, files, environment, precedence and validation."""
