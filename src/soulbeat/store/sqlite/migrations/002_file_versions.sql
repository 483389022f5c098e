-- 002_file_versions: the version history of each agent's SOUL.md and HEARTBEAT.md.
--
-- One row per recorded version; `version` counts from 1 per (agent, kind). `source` says where
-- the content came from: 'api' (a write through soulbeat), 'disk' (an edit noticed on disk) or
-- 'rollback:vN'. Versions outlive agents, like the beat audit.

CREATE TABLE file_versions (
    agent_id   TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('soul', 'heartbeat')),
    version    INTEGER NOT NULL,
    content    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, kind, version)
);
