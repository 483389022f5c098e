-- 005_scale: what lets one process keep 100,000 threads (issue 12).
--
-- threads.revision: a number from one sequence over all threads, set anew whenever a thread is
-- added or its config, enabled flag or agent changes. The scheduler re-plans only the threads
-- whose revision is above the highest it has seen (`threads_changed_since`), through an index.
-- schedules.inputs: the fingerprint of everything the schedule was planned from (the thread's
-- revision and the agent's skills), so planning can tell an unchanged schedule without work.
-- beats.repeats / beats.last_due_at: a skip repeated for the same reason beat after beat is
-- folded into the previous record (SPEC §9.1): repeats counts the slots, last_due_at is the due
-- time of the newest. schedules.last_beat_id points at the record a fold would extend.

ALTER TABLE threads ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
UPDATE threads SET revision = rowid;
CREATE INDEX threads_by_revision ON threads (revision);

ALTER TABLE schedules ADD COLUMN inputs TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN last_beat_id INTEGER;

ALTER TABLE beats ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
ALTER TABLE beats ADD COLUMN last_due_at INTEGER;
CREATE INDEX beats_by_finished ON beats (finished_at) WHERE finished_at IS NOT NULL;
