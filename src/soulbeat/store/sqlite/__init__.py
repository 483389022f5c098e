"""The SQLite backend: every SQL statement soulbeat runs on SQLite lives in this package.

`SQLiteStore` (`store.py`) implements `soulbeat.store.base.Store` on one file; the statements are
split by subject (`tables.py` agents/threads/messages/events/beats, `claims.py` schedules and
leases, `files.py` workspace file versions, `rows.py` rows back into records), the schema is the
numbered `migrations/NNN_name.sql` applied by `migrate.py`.
"""

from soulbeat.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
