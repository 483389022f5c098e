"""The heartbeat contract as pure functions: intervals, active hours and the HEARTBEAT_OK token."""
