-- 0010: connected channels (issue 17). A channel connected through a
-- platform's OAuth has a connection: where its API is (a Mastodon server's
-- own address), its state on the desk ('connected', or 'needs_reconnect'
-- with the platform's own words when a token expired or was revoked: its
-- jobs stop until a person connects it again), and when it last synced.
-- The tokens themselves are in channel_tokens (0009), sealed.
CREATE TABLE channel_connections (
    channel_id  INTEGER PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    api_url     TEXT NOT NULL DEFAULT '',          -- '' : the platform's configured address
    state       TEXT NOT NULL DEFAULT 'connected'
                CHECK (state IN ('connected', 'needs_reconnect', 'paused')),
    problem     TEXT NOT NULL DEFAULT '',          -- why it needs reconnecting, as the platform said
    connected_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    connected_at INTEGER NOT NULL,
    synced_at   INTEGER,                           -- the last sync that ended well
    last_error  TEXT NOT NULL DEFAULT '',          -- the last sync's or action's failure, '' none
    last_error_at INTEGER,
    updated_at  INTEGER NOT NULL
);

-- Paging cursors kept between syncs, per channel and resource ("statuses",
-- "notifications", "comments:POSTID"): a since_id, a next link, a time.
CREATE TABLE sync_cursors (
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    resource    TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, resource)
);

-- A consent in progress: the random `state` sent to the platform and
-- checked when the browser comes back (one use, short-lived), the PKCE
-- verifier (X), and what to connect (a workspace; a Mastodon server).
CREATE TABLE oauth_states (
    state       TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    api_url     TEXT NOT NULL DEFAULT '',
    verifier    TEXT NOT NULL DEFAULT '',          -- sealed like a token when not ''
    channel_id  INTEGER REFERENCES channels (id) ON DELETE CASCADE, -- reconnecting this one
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- Apps kanal registered on a server (Mastodon registers per server): the
-- client id, and the secret sealed under the vault's key.
CREATE TABLE oauth_apps (
    platform    TEXT NOT NULL,
    api_url     TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    client_secret TEXT NOT NULL,                   -- sealed
    key_id      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, api_url)
);

-- Actions on a platform (publish, reply, hide, ...): what was asked, and
-- what came of it. `key` is kanal's name for the action, sent as an
-- Idempotency-Key where the platform takes one; an action whose answer was
-- lost ('unknown') is looked up at the platform before it is sent again, so
-- nothing is posted twice.
CREATE TABLE connect_actions (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('publish', 'delete-post', 'reply', 'hide',
                'unhide', 'delete-message', 'like')),
    target      TEXT,                              -- the post's or message's id at the platform
    body        TEXT NOT NULL DEFAULT '{}',        -- JSON: text, link, image path and type, alt
    key         TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sent', 'unknown', 'done', 'failed')),
    platform_id TEXT,                              -- what the platform made: the post's id
    permalink   TEXT,
    error       TEXT NOT NULL DEFAULT '',
    requested_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    first_sent_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX connect_actions_channel ON connect_actions (channel_id, state);
