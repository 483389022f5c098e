-- 015_finished_beat_indexes (issue 12), as the SQLite store's 015: the two indexes of `beats` on
-- what a finish writes hold finished beats only. A claim inserts its beat row with outcome and
-- finish time NULL; as full indexes, each claim wrote an entry in both and each finish moved it.
-- Every query that reads them asks for an outcome or a finish time (outcome = %s,
-- finished_at >= %s), a strict comparison that implies the indexes' WHERE.
DROP INDEX beats_by_outcome_due;
CREATE INDEX beats_by_outcome_due ON beats (outcome, due_at) WHERE outcome IS NOT NULL;
DROP INDEX beats_by_thread_finished;
CREATE INDEX beats_by_thread_finished ON beats (thread_id, finished_at)
    WHERE finished_at IS NOT NULL;
