-- 0008: the durable job table that sync, publishing and listening run on
-- (issue 17). A worker claims a due queued job by taking a lease (owner and
-- expiry); a lease that runs out puts the job back, so a crashed worker
-- loses nothing. A job that fails waits (run_after) and is tried again until
-- max_attempts, then stays failed with its last error. `dedup_key` makes
-- enqueuing idempotent: while a job with a key is queued or running, asking
-- for the same key again answers with that job.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                     -- sync, publish, ...: what runs it
    channel_id  INTEGER REFERENCES channels (id) ON DELETE CASCADE,
    dedup_key   TEXT,
    payload     TEXT NOT NULL DEFAULT '{}',        -- JSON for the job's kind
    state       TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,        -- claims so far
    max_attempts INTEGER NOT NULL DEFAULT 8,
    run_after   INTEGER NOT NULL,                  -- not claimed before (Unix seconds)
    lease_owner TEXT,                              -- the worker running it
    lease_until INTEGER,                           -- taken back after this
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE UNIQUE INDEX jobs_pending_key ON jobs (dedup_key)
    WHERE dedup_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (state, run_after);
CREATE INDEX jobs_channel ON jobs (channel_id, state);
