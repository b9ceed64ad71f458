-- 0022: listening fetched on a schedule, politely, from more kinds of
-- source, and alerts on what it finds.
--
-- `format` is what a source is read as. 0016's `kind` has a CHECK that
-- SQLite cannot alter, and rebuilding listen_sources would cascade into
-- its items, so `kind` stays ('feed' for feeds, 'html' for every other
-- format) and `format` is the column read.
ALTER TABLE listen_sources ADD COLUMN format TEXT NOT NULL DEFAULT 'feed'
    CHECK (format IN ('feed', 'html', 'sitemap', 'mastodon_tag', 'mastodon_public'));
-- html: the CSS selectors as JSON {"item", "title", "link", "time", "author"}.
ALTER TABLE listen_sources ADD COLUMN selectors TEXT;
-- Failures in a row: the next fetch waits interval * 2^failures (capped).
ALTER TABLE listen_sources ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE listen_sources ADD COLUMN last_error_at INTEGER;
-- mastodon: the newest status id read (since_id of the next page).
ALTER TABLE listen_sources ADD COLUMN cursor TEXT;

-- Per-host politeness, shared by every workspace and every node: one
-- request at a time (a lease), a minimum delay (next_at, in milliseconds),
-- and the host's robots.txt as fetched (status 0 when it could not be).
CREATE TABLE listen_hosts (
    host          TEXT PRIMARY KEY,  -- scheme://host[:port], lower case
    robots        TEXT,
    robots_status INTEGER,
    robots_at     INTEGER,           -- when robots.txt was fetched (seconds)
    next_at       INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   INTEGER
);

-- An alert on one tag query: each new match, a digest, or a spike.
CREATE TABLE listen_alerts (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tag_id        INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    mode          TEXT NOT NULL CHECK (mode IN ('each', 'hourly', 'daily', 'spike_volume',
                                                'spike_negative')),
    via           TEXT NOT NULL DEFAULT 'in_app',   -- comma list: in_app, email, webhook
    email_to      TEXT NOT NULL DEFAULT '',         -- comma list; '': the alert's creator
    muted         INTEGER NOT NULL DEFAULT 0,
    snoozed_until INTEGER,
    last_item_id  INTEGER NOT NULL DEFAULT 0,       -- items up to this were considered
    last_fired_at INTEGER,
    digest_at     INTEGER,                          -- a digest's last period looked at
    created_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX listen_alerts_ws ON listen_alerts (workspace_id);

-- What an alert said when it fired: why, and which items.
CREATE TABLE listen_alert_events (
    id            INTEGER PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES listen_alerts (id) ON DELETE CASCADE,
    fired_at      INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    items         TEXT NOT NULL DEFAULT '[]'        -- JSON array of item ids
);
CREATE INDEX listen_alert_events_alert ON listen_alert_events (alert_id, fired_at);
