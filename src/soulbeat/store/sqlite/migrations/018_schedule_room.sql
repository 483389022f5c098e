-- 018_schedule_room (issue 12): room in each schedule row for what its first beat writes.
-- A fleet's schedules are planned in one bulk insert, which packs the table's pages full. The
-- first claim of a schedule then adds its lease and the first finish its start, finish and
-- last beat, so the row grew inside a full page and SQLite split it: about two more pages in
-- the WAL per beat (and in the checkpoint) for every thread's first beat, which is every beat
-- of a fleet's first interval. A new row is written with `room` (a zeroed blob of the bytes a
-- first beat adds, `claims.ROOM`); the first claim sets it to NULL in the same UPDATE as its
-- lease, so the row does not grow past its planned size. Rows planned before this migration
-- have no room (NULL) and behave as before. PostgreSQL leaves room in its pages by itself.
ALTER TABLE schedules ADD COLUMN room BLOB;
