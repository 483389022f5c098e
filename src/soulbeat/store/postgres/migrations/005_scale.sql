-- 005_scale (PostgreSQL): the SQLite migration 005_scale, for 100,000 threads (issue 12).
--
-- threads.revision: one sequence over all threads, taken anew whenever a thread is added or its
-- config, enabled flag or agent changes; writers take it under a transaction-scoped advisory
-- lock (see tables.py), so revisions become visible in order and a reader that remembers the
-- highest one it saw misses none. schedules.inputs: the fingerprint of what the schedule was
-- planned from. beats.repeats / last_due_at and schedules.last_beat_id: repeated skips folded
-- into one record (SPEC §9.1).

ALTER TABLE threads ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE threads SET revision = sub.n
    FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM threads) AS sub
    WHERE threads.id = sub.id;
CREATE INDEX threads_by_revision ON threads (revision);

ALTER TABLE schedules ADD COLUMN inputs TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN last_beat_id BIGINT;

ALTER TABLE beats ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
ALTER TABLE beats ADD COLUMN last_due_at BIGINT;
CREATE INDEX beats_by_finished ON beats (finished_at) WHERE finished_at IS NOT NULL;
