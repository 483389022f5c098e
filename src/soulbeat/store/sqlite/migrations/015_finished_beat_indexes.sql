-- 015_finished_beat_indexes (issue 12): the two indexes of `beats` on what a finish writes
-- (outcome, finished_at) hold finished beats only. A claim inserts its beat row with both NULL;
-- as full indexes, each claim wrote an entry in both and each finish moved it, about three
-- pages of the WAL per beat. Every query that reads them asks for an outcome or a finish time
-- (outcome = ?, finished_at >= ?, finished_at IS NOT NULL), which implies the indexes' WHERE.
DROP INDEX beats_by_outcome_due;
CREATE INDEX beats_by_outcome_due ON beats (outcome, due_at) WHERE outcome IS NOT NULL;
DROP INDEX beats_by_thread_finished;
CREATE INDEX beats_by_thread_finished ON beats (thread_id, finished_at)
    WHERE finished_at IS NOT NULL;
