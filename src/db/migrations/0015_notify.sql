-- 0015: notifications (issue 18). What waits for someone reaches them: a row
-- per person in the in-app list, and deliveries queued for e-mail (through
-- the configured SMTP relay) and each workspace's outgoing webhook. A
-- delivery is sent by a "notify" job on the job table (0008), which gives
-- it retries with backoff; the delivery row keeps what the desk sees: its
-- state, attempts and last error.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event       TEXT NOT NULL
                CHECK (event IN ('review_requested', 'approved', 'rejected', 'post_failed')),
    post_id     INTEGER REFERENCES posts (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    read_at     INTEGER,                           -- NULL: unread
    created_at  INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE notify_deliveries (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    notification_id INTEGER REFERENCES notifications (id) ON DELETE SET NULL,
    event       TEXT NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('email', 'webhook')),
    target      TEXT NOT NULL,                     -- the address, or the webhook's URL
    subject     TEXT NOT NULL DEFAULT '',          -- e-mail only
    body        TEXT NOT NULL,                     -- the e-mail's text, or the webhook's JSON
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    job_id      INTEGER REFERENCES jobs (id) ON DELETE SET NULL, -- the job that sends it
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX notify_deliveries_workspace ON notify_deliveries (workspace_id, id);

-- One outgoing webhook per workspace. The secret signs each body (HMAC-SHA256).
CREATE TABLE notify_webhooks (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A person's choice per event; no row: e-mail on.
CREATE TABLE notify_prefs (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    email       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user_id, event)
);
