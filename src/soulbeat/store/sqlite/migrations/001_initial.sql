-- 001_initial: settings, agents, threads, messages, schedules, queued events and the beat audit.
--
-- Conventions (see soulbeat/store/codec.py): every datetime column is INTEGER microseconds since
-- 1970-01-01T00:00:00Z, so SQL ordering and max() are time order; mappings and lists are JSON
-- text. Beats are the audit trail and outlive their thread, so they carry no foreign key to it.
-- The ledger (submolts, posts, comments, votes) arrives in a later migration.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,   -- 'install_seed', 'flag:<name>'
    value TEXT NOT NULL
);

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    workspace     TEXT NOT NULL,
    config        TEXT NOT NULL DEFAULT '{}',
    user_timezone TEXT
);

CREATE TABLE threads (
    id                   TEXT PRIMARY KEY,
    agent_id             TEXT NOT NULL REFERENCES agents (id),
    title                TEXT NOT NULL DEFAULT '',
    enabled              INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    config               TEXT NOT NULL DEFAULT '{}',
    created_at           INTEGER NOT NULL,
    last_user_message_at INTEGER,
    last_channel         TEXT
);

CREATE INDEX threads_by_agent ON threads (agent_id, created_at);

CREATE TABLE beats (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    key               TEXT NOT NULL UNIQUE,   -- beat_key(thread_id, skill, due_at)
    thread_id         TEXT NOT NULL,
    skill             TEXT NOT NULL,
    reason            TEXT NOT NULL,
    due_at            INTEGER NOT NULL,
    status            TEXT NOT NULL
                      CHECK (status IN ('claimed', 'deferred', 'finished', 'interrupted')),
    attempt           INTEGER NOT NULL DEFAULT 1,
    worker_id         TEXT,                   -- the worker of the latest attempt
    claimed_at        INTEGER,                -- when the latest attempt was claimed
    started_at        INTEGER,
    finished_at       INTEGER,
    outcome           TEXT,
    skip_reason       TEXT,
    error             TEXT,
    audit             TEXT NOT NULL DEFAULT '{}',
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    alert_text        TEXT
);

CREATE INDEX beats_by_thread_due ON beats (thread_id, due_at);
CREATE INDEX beats_by_due ON beats (due_at);
CREATE INDEX beats_by_outcome_due ON beats (outcome, due_at);
CREATE INDEX beats_by_thread_finished ON beats (thread_id, finished_at);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id  TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    channel    TEXT,
    beat_id    INTEGER REFERENCES beats (id) ON DELETE SET NULL
);

CREATE INDEX messages_by_thread ON messages (thread_id, created_at, id);
CREATE INDEX messages_by_beat ON messages (beat_id) WHERE beat_id IS NOT NULL;

-- One row per thread main heartbeat (skill = '') and per skill heartbeat. The lease lives here:
-- (lease_owner, lease_beat_id) hold it until lease_expires_at. eligible_at is when the schedule
-- may next be claimed; max() is NULL when next_due_at is NULL, so unscheduled rows never match.
CREATE TABLE schedules (
    thread_id        TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    skill            TEXT NOT NULL,
    next_due_at      INTEGER,
    not_before       INTEGER,
    phase_seconds    REAL NOT NULL DEFAULT 0,
    fingerprint      TEXT NOT NULL DEFAULT '',
    last_started_at  INTEGER,
    last_finished_at INTEGER,
    task_last_run    TEXT NOT NULL DEFAULT '{}',   -- {"task name": epoch microseconds}
    recent_starts    TEXT NOT NULL DEFAULT '[]',   -- [epoch microseconds], oldest first
    lease_owner      TEXT,
    lease_beat_id    INTEGER,
    lease_expires_at INTEGER,
    eligible_at      INTEGER GENERATED ALWAYS AS
                     (max(next_due_at, coalesce(not_before, next_due_at))) VIRTUAL,
    PRIMARY KEY (thread_id, skill)
);

CREATE INDEX schedules_by_eligible ON schedules (eligible_at, thread_id, skill)
    WHERE eligible_at IS NOT NULL;
CREATE INDEX schedules_by_lease ON schedules (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id   TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT 'api',
    created_at  INTEGER NOT NULL,
    consumed_at INTEGER
);

CREATE INDEX events_by_thread ON events (thread_id, consumed_at, created_at);
