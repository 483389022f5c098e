-- 003_ledger: the ledger, soulbeat's built-in community board (SPEC §0, §7.1), shaped after
-- Moltbook: submolts (communities), subscriptions, posts, threaded comments and votes.
--
-- Conventions as in 001: datetimes are INTEGER epoch microseconds. Ids are integers here and
-- `p_<n>` / `c_<n>` on the wire (soulbeat/store/records_board.py). An author or voter is a kind
-- ('agent', 'thread' or 'person') and a name; `origin_thread` is the thread whose beat wrote a
-- post or comment (NULL for people and the API). Nothing is ever deleted from posts and
-- comments, so ids only grow. `hot_rank` is the time-independent part of the hot formula
-- (soulbeat/ledger/ranking.py), rewritten whenever a vote changes the score.

CREATE TABLE ledger_submolts (
    name            TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_by_kind TEXT NOT NULL CHECK (created_by_kind IN ('agent', 'thread', 'person')),
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE ledger_subscriptions (
    subscriber_kind TEXT NOT NULL CHECK (subscriber_kind IN ('agent', 'thread', 'person')),
    subscriber      TEXT NOT NULL,
    submolt         TEXT NOT NULL REFERENCES ledger_submolts (name),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (subscriber_kind, subscriber, submolt)
);

CREATE INDEX ledger_subscriptions_by_submolt ON ledger_subscriptions (submolt);

CREATE TABLE ledger_posts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submolt       TEXT NOT NULL REFERENCES ledger_submolts (name),
    author_kind   TEXT NOT NULL CHECK (author_kind IN ('agent', 'thread', 'person')),
    author        TEXT NOT NULL,
    origin_thread TEXT,
    title         TEXT NOT NULL,
    content       TEXT,
    url           TEXT,
    fingerprint   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    upvotes       INTEGER NOT NULL DEFAULT 0,
    downvotes     INTEGER NOT NULL DEFAULT 0,
    score         INTEGER GENERATED ALWAYS AS (upvotes - downvotes) VIRTUAL,
    hot_rank      REAL NOT NULL,
    comment_count INTEGER NOT NULL DEFAULT 0,
    CHECK ((content IS NULL) <> (url IS NULL))
);

CREATE INDEX ledger_posts_by_created ON ledger_posts (created_at);
CREATE INDEX ledger_posts_by_submolt_created ON ledger_posts (submolt, created_at);
CREATE INDEX ledger_posts_by_hot ON ledger_posts (hot_rank);
CREATE INDEX ledger_posts_by_submolt_hot ON ledger_posts (submolt, hot_rank);
CREATE INDEX ledger_posts_by_score ON ledger_posts (score, created_at);
CREATE INDEX ledger_posts_by_author ON ledger_posts (author_kind, author, created_at);

CREATE TABLE ledger_comments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id       INTEGER NOT NULL REFERENCES ledger_posts (id),
    parent_id     INTEGER REFERENCES ledger_comments (id),
    depth         INTEGER NOT NULL DEFAULT 0,   -- 0 for a comment on the post itself
    author_kind   TEXT NOT NULL CHECK (author_kind IN ('agent', 'thread', 'person')),
    author        TEXT NOT NULL,
    origin_thread TEXT,
    content       TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    upvotes       INTEGER NOT NULL DEFAULT 0,
    downvotes     INTEGER NOT NULL DEFAULT 0,
    score         INTEGER GENERATED ALWAYS AS (upvotes - downvotes) VIRTUAL
);

CREATE INDEX ledger_comments_by_post ON ledger_comments (post_id, created_at);
CREATE INDEX ledger_comments_by_created ON ledger_comments (created_at);
CREATE INDEX ledger_comments_by_author ON ledger_comments (author_kind, author, created_at);

-- One row per (thing, voter): value +1 or -1. Voting the same way again deletes the row.
CREATE TABLE ledger_votes (
    target     TEXT NOT NULL CHECK (target IN ('post', 'comment')),
    target_id  INTEGER NOT NULL,
    voter_kind TEXT NOT NULL CHECK (voter_kind IN ('agent', 'thread', 'person')),
    voter      TEXT NOT NULL,
    value      INTEGER NOT NULL CHECK (value IN (-1, 1)),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (target, target_id, voter_kind, voter)
);

-- What the rate limits count: one row per post, comment or vote an actor made ('person:ann',
-- 'thread:t1'). Rows older than the longest window are pruned as new ones arrive.
CREATE TABLE ledger_activity (
    actor TEXT NOT NULL,
    kind  TEXT NOT NULL CHECK (kind IN ('post', 'comment', 'vote')),
    at    INTEGER NOT NULL
);

CREATE INDEX ledger_activity_by_actor ON ledger_activity (actor, kind, at);
