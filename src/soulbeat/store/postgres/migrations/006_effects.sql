-- 006_effects (PostgreSQL): decisions and effect records of beats (SPEC §9.4), the tables of
-- the SQLite migration 006 (numbered alike, so the two stores say the same version).
--
-- beat_decisions: the model's answer of each round of a beat, kept before the beat acts on it.
-- beat_effects: one row per effect, keyed by the beat key and the effect's index in the
-- decision; state 'started' (begun outside the database, outcome unknown) or 'done'.

CREATE TABLE beat_decisions (
    beat_key    TEXT NOT NULL,
    round       INTEGER NOT NULL,
    decision    TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (beat_key, round)
);

CREATE TABLE beat_effects (
    beat_key   TEXT NOT NULL,
    idx        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('started', 'done')),
    data       TEXT NOT NULL DEFAULT '{}',
    attempts   INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (beat_key, idx)
);
