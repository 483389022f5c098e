-- 011_unhealthy_index (issue 12): the status and the fleet's unhealthy filter read the rows of
-- unhealthy threads alone, through this partial index, instead of every thread's health row.
CREATE INDEX thread_health_unhealthy ON thread_health (thread_id) WHERE unhealthy_since IS NOT NULL;
