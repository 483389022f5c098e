-- 004_actions: the action log (what the rate limits and the duplicate guard read) and the
-- approval queue (SPEC §7.1).
--
-- action_log: one row per action the model proposed, whatever became of it. `status` is the
-- action's status (executed, would-do, pending-approval, rejected, rate-limited, failed,
-- unsupported-until-ledger) or 'admitted' while an admitted action is being carried out.
-- `content_hash` is the sha256 of the action's normalised content (NULL for types the duplicate
-- guard does not look at). Rows whose status is executed, pending-approval or admitted use
-- quota; the rest are kept so that nothing refused is ever lost silently. Like the beat audit,
-- the log outlives its thread: no foreign key.
--
-- approvals: an action that waits for a person, stored with everything needed to carry it out
-- later (the sanitised action in seed 000's JSON shape and the beat it came from). `status` is
-- the person's decision; `result` the ActionResult record once decided.

CREATE TABLE action_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id    TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    beat_id      INTEGER,
    skill        TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL,
    content_hash TEXT,
    status       TEXT NOT NULL,
    dry_run      INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1)),
    at           INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    action       TEXT NOT NULL DEFAULT '{}',
    problems     TEXT NOT NULL DEFAULT '[]',
    detail       TEXT NOT NULL DEFAULT '',
    retry_after  INTEGER
);

CREATE INDEX action_log_window ON action_log (thread_id, type, at);
CREATE INDEX action_log_content ON action_log (thread_id, type, content_hash, at);

CREATE TABLE approvals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id  TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    beat_id    INTEGER,
    skill      TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    action     TEXT NOT NULL,
    problems   TEXT NOT NULL DEFAULT '[]',
    log_id     INTEGER REFERENCES action_log (id),
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    reason     TEXT,
    result     TEXT
);

CREATE INDEX approvals_by_status ON approvals (status, id);
CREATE INDEX approvals_by_thread ON approvals (thread_id, id);
