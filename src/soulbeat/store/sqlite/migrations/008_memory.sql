-- 008_memory: the agent's memory between beats (issue 15).
--
-- scratch: one note per thread that a beat leaves for the next one. `revision` counts the writes
-- from 1 (0, no row, means never written); a write names the revision it was based on
-- (compare-and-swap). `beat_key` is the beat that wrote it last (NULL: a person, through the API).
--
-- file_versions gains the kind 'memory' (MEMORY.md, versioned like SOUL.md). SQLite cannot change
-- a CHECK constraint in place, so the table is copied into a new one with the wider check.

CREATE TABLE scratch (
    thread_id  TEXT PRIMARY KEY,
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    content    TEXT NOT NULL,
    beat_key   TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE file_versions_008 (
    agent_id   TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('soul', 'heartbeat', 'memory')),
    version    INTEGER NOT NULL,
    content    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, kind, version)
);

INSERT INTO file_versions_008 (agent_id, kind, version, content, sha256, source, created_at)
SELECT agent_id, kind, version, content, sha256, source, created_at FROM file_versions;

DROP TABLE file_versions;

ALTER TABLE file_versions_008 RENAME TO file_versions;
