-- Effects happen once per slot (SPEC §9.4).
--
-- beat_decisions: the model's answer of each round of a beat, kept before the beat acts on it;
-- a beat re-run after a crash replays these instead of asking the model again.
-- beat_effects: one row per effect of a beat, keyed by the beat key and the effect's index in
-- the decision. state 'started': begun outside the database (a webhook call), outcome unknown;
-- 'done': made, `data` says what it produced (message id, action result, delivery record).

CREATE TABLE beat_decisions (
    beat_key    TEXT NOT NULL,
    round       INTEGER NOT NULL,
    decision    TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (beat_key, round)
) WITHOUT ROWID;

CREATE TABLE beat_effects (
    beat_key   TEXT NOT NULL,
    idx        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('started', 'done')),
    data       TEXT NOT NULL DEFAULT '{}',
    attempts   INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (beat_key, idx)
) WITHOUT ROWID;
