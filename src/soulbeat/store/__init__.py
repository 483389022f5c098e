"""What soulbeat remembers: the `Store` protocol, its records and its backends."""
