-- 010_event_log (SQLite, issue 13): the durable event journal, as PostgreSQL has had since its
-- migration 002. Its ids are the SSE event ids, so a client's Last-Event-ID resumes correctly
-- after the process restarts (the events it missed are read back from here). AUTOINCREMENT:
-- an id is never handed out twice, even after pruning emptied the table.

CREATE TABLE event_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    name   TEXT NOT NULL,
    at     INTEGER NOT NULL,     -- epoch microseconds
    data   TEXT NOT NULL,        -- JSON object
    origin TEXT NOT NULL         -- the worker id of the publishing process
);

-- pruning by age (`soulbeat prune`, the retention setting)
CREATE INDEX event_log_by_at ON event_log (at);
