-- 007_time (issue 16): one-shot reminders and each thread's health.
--
-- reminders: a beat at due_at with the text as a system event (reason reminder:<id>).
-- status 'pending' until its beat finished ('done') or it was cancelled ('cancelled');
-- event_id is the system event queued when it fired (so a fire re-tried after a restart does not
-- queue the text twice); created_by 'person' or 'model' (the heartbeat_remind tool).
-- thread_health: the failure streak and the dead-man's deadline (dead_at) of a thread; one
-- unhealthy episode at a time (episode counts them), alerted_at set once per episode.

CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id   TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    due_at      INTEGER NOT NULL,
    urgent      INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL DEFAULT 'person',
    created_at  INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'cancelled')),
    event_id    INTEGER,
    beat_key    TEXT,
    settled_at  INTEGER
);
CREATE INDEX reminders_pending ON reminders (due_at) WHERE status = 'pending';
CREATE INDEX reminders_thread ON reminders (thread_id, status);

CREATE TABLE thread_health (
    thread_id       TEXT PRIMARY KEY REFERENCES threads(id) ON DELETE CASCADE,
    failed_streak   INTEGER NOT NULL DEFAULT 0,
    last_ok_at      INTEGER,
    last_failed_at  INTEGER,
    dead_at         INTEGER,
    unhealthy_since INTEGER,
    reason          TEXT,
    episode         INTEGER NOT NULL DEFAULT 0,
    alerted_at      INTEGER,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX thread_health_dead ON thread_health (dead_at) WHERE unhealthy_since IS NULL;
