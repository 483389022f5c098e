-- 008_memory (PostgreSQL): the agent's memory between beats (issue 15), the tables of the SQLite
-- migration 008 (numbered alike, so the two stores say the same version).
--
-- scratch: one note per thread that a beat leaves for the next one; `revision` counts writes
-- from 1 and a write names the revision it was based on (compare-and-swap).
-- file_versions gains the kind 'memory' (MEMORY.md, versioned like SOUL.md).

CREATE TABLE scratch (
    thread_id  TEXT PRIMARY KEY,
    revision   INTEGER NOT NULL CHECK (revision >= 1),
    content    TEXT NOT NULL,
    beat_key   TEXT,
    updated_at BIGINT NOT NULL
);

ALTER TABLE file_versions DROP CONSTRAINT IF EXISTS file_versions_kind_check;

ALTER TABLE file_versions ADD CONSTRAINT file_versions_kind_check
    CHECK (kind IN ('soul', 'heartbeat', 'memory'));
