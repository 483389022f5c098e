"""The SQLite backend: every SQL statement soulbeat runs on SQLite lives in this package.

`SQLiteStore` (`store.py`) implements `soulbeat.store.base.Store` on one file, one part per
class: `SQLiteConnection` (`connection.py`: the file, its thread, its transactions), then
`SQLiteBoard` (`board.py`: `BoardStore`), `SQLiteActions` (`actions.py`: `ActionStore`) and
`SQLiteStore` itself (`BeatStore`). The statements are split by subject: `tables.py`
agents/threads/messages/events/beats, `claims.py` schedules and leases, `files.py` workspace file
versions, `rows.py` rows back into records; `board_tables.py`, `board_votes.py`,
`board_feeds.py` and `board_activity.py` the ledger's; `action_log.py` and `approvals.py` the
action log's and the approval queue's. The schema is the numbered `migrations/NNN_name.sql`
applied by `migrate.py`. No module outside this package runs SQL on SQLite.
"""

from soulbeat.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
