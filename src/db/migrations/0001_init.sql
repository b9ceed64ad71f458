-- 0001: the whole model of the foundation.
-- Portable SQL: it runs as written on SQLite, and on PostgreSQL after db/
-- maps INTEGER to BIGINT, REAL to DOUBLE PRECISION and INTEGER PRIMARY KEY
-- to an identity column. Instants are Unix seconds (UTC); booleans are 0/1.

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    timezone    TEXT NOT NULL DEFAULT 'Europe/Stockholm',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,            -- stored lower case
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL
                  CHECK (role IN ('admin', 'editor', 'author', 'moderator', 'analyst')),
    password_hash TEXT NOT NULL,                   -- argon2id, libsodium's string form
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Browser sessions. Only a hash of the cookie's token is stored, so a copy
-- of the database does not let anyone in.
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    platform    TEXT NOT NULL CHECK (platform IN ('facebook', 'instagram', 'x', 'linkedin',
                'tiktok', 'youtube', 'mastodon', 'threads', 'bluesky', 'other')),
    handle      TEXT NOT NULL,
    name        TEXT NOT NULL,
    platform_id TEXT,                              -- the page's or account's id at the platform
    owner_team  TEXT NOT NULL DEFAULT '',          -- who answers here: customer service, HR, press
    purpose     TEXT NOT NULL DEFAULT ''
                CHECK (purpose IN ('', 'reach', 'dialogue', 'conversion', 'paid')),
    audience    TEXT NOT NULL DEFAULT '',
    is_peer     INTEGER NOT NULL DEFAULT 0,        -- another organisation's page, for top lists
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (workspace_id, platform, handle)
);

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'theme' CHECK (kind IN ('theme', 'topic', 'audience', 'other')),
    rule        TEXT NOT NULL DEFAULT '',          -- boolean query that applies the tag
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    target_tag_id INTEGER REFERENCES tags (id) ON DELETE SET NULL,
    starts_at   INTEGER,
    ends_at     INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

-- A post is the base material; each channel gets a variant of it, and the
-- variant is what the platform knows (its id, its time, its metrics).
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    title       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    format      TEXT NOT NULL DEFAULT 'status' CHECK (format IN ('photo', 'video', 'link',
                'status', 'reel', 'story', 'live', 'carousel')),
    link_url    TEXT,
    lang        TEXT,
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_review',
                'approved', 'scheduled', 'published', 'failed', 'archived')),
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- The post's place in time, for listing: its first variant's publish (or
    -- schedule) time, else its creation. Kept by model/ as variants change.
    at          INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX posts_workspace_at ON posts (workspace_id, at, id);
CREATE INDEX posts_campaign ON posts (campaign_id);

CREATE TABLE post_variants (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    body        TEXT,                              -- NULL: the post's own body
    platform_id TEXT,                              -- NULL until published
    permalink   TEXT,
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in_review',
                'approved', 'scheduled', 'published', 'failed', 'archived')),
    scheduled_at INTEGER,
    published_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (channel_id, platform_id)
);
CREATE INDEX post_variants_post ON post_variants (post_id);
CREATE INDEX post_variants_published ON post_variants (channel_id, published_at);

CREATE TABLE post_tags (
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag ON post_tags (tag_id);

-- Metrics are snapshots over time, never overwritten: a newer reading is a
-- new row, so growth curves and "as of" reports stay possible.
CREATE TABLE post_metrics (
    id          INTEGER PRIMARY KEY,
    variant_id  INTEGER NOT NULL REFERENCES post_variants (id) ON DELETE CASCADE,
    taken_at    INTEGER NOT NULL,
    reach       INTEGER,
    impressions INTEGER,
    reactions   INTEGER,
    comments    INTEGER,
    shares      INTEGER,
    saves       INTEGER,
    clicks      INTEGER,
    video_views INTEGER,
    UNIQUE (variant_id, taken_at)
);

CREATE TABLE channel_metrics (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    taken_at    INTEGER NOT NULL,
    followers   INTEGER,
    reach       INTEGER,
    impressions INTEGER,
    UNIQUE (channel_id, taken_at)
);

-- Everything people write to or about the organisation, and its answers.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    variant_id  INTEGER REFERENCES post_variants (id) ON DELETE SET NULL,
    parent_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('comment', 'reply', 'mention', 'dm', 'review')),
    platform_id TEXT,
    author_name TEXT NOT NULL DEFAULT '',
    author_handle TEXT NOT NULL DEFAULT '',
    is_own      INTEGER NOT NULL DEFAULT 0,        -- written by the organisation itself
    body        TEXT NOT NULL DEFAULT '',
    lang        TEXT,
    sentiment   TEXT CHECK (sentiment IN ('pos', 'neu', 'neg')),
    sentiment_score REAL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assigned', 'answered',
                'closed', 'hidden', 'removed')),
    assigned_team TEXT NOT NULL DEFAULT '',
    assigned_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,                  -- when it was written, at the platform
    received_at INTEGER NOT NULL,                  -- when kanal got it
    updated_at  INTEGER NOT NULL,
    UNIQUE (channel_id, platform_id)
);
CREATE INDEX messages_workspace ON messages (workspace_id, created_at);
CREATE INDEX messages_parent ON messages (parent_id);
CREATE INDEX messages_variant ON messages (variant_id);

CREATE TABLE message_tags (
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, tag_id)
);
CREATE INDEX message_tags_tag ON message_tags (tag_id);

CREATE TABLE links (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    code        TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,                     -- as given
    target_url  TEXT NOT NULL,                     -- with the UTM parameters
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    channel_id  INTEGER REFERENCES channels (id) ON DELETE SET NULL,
    utm_source  TEXT NOT NULL DEFAULT '',
    utm_medium  TEXT NOT NULL DEFAULT '',
    utm_campaign TEXT NOT NULL DEFAULT '',
    utm_term    TEXT NOT NULL DEFAULT '',
    utm_content TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

-- No IP address and no cookie: a click is when, from where (host only),
-- what kind of device, and a daily-rotating visitor hash.
CREATE TABLE clicks (
    id          INTEGER PRIMARY KEY,
    link_id     INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    referrer_host TEXT NOT NULL DEFAULT '',
    device      TEXT NOT NULL DEFAULT 'other' CHECK (device IN ('desktop', 'mobile', 'tablet',
                'other')),
    is_bot      INTEGER NOT NULL DEFAULT 0,
    visitor_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX clicks_link ON clicks (link_id, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER,
    user_id     INTEGER,
    at          INTEGER NOT NULL,
    action      TEXT NOT NULL,                     -- create, update, delete, login, ...
    entity      TEXT NOT NULL,
    entity_id   INTEGER,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
