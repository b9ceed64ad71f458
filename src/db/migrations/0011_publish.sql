-- 0011: the desk's publishing workflow (issue 18): what a variant carries
-- beyond its text, the approval rules, the approvals and comments of each
-- review round, signed links for approvers without an account, and the
-- tokens of the calendar feeds.

-- A Mastodon instance's own text limit (NULL: the platform's default).
ALTER TABLE channels ADD COLUMN text_limit INTEGER;

ALTER TABLE post_variants ADD COLUMN title TEXT;           -- YouTube's title
ALTER TABLE post_variants ADD COLUMN first_comment TEXT;
-- The media the variant posts: a JSON array of {"type": "image"|"video"|"gif", "url"}.
ALTER TABLE post_variants ADD COLUMN media TEXT NOT NULL DEFAULT '[]';

-- Review rounds: a submission starts round review_round + 1; approvals
-- count only for the round they were given in, so an edit after approval
-- (a new round) needs them again. reject_reason: the last rejection's.
ALTER TABLE posts ADD COLUMN review_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN reject_reason TEXT NOT NULL DEFAULT '';

-- How many approvals a post needs and whose count: per workspace
-- (channel_id 0) and per channel, the strictest of a post's channels
-- applying. roles: comma-separated role names, and 'external' for approval
-- links. No rule: one approval from an admin, an editor or a link.
CREATE TABLE approval_rules (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL DEFAULT 0,            -- 0: the workspace's rule
    approvals   INTEGER NOT NULL DEFAULT 1 CHECK (approvals BETWEEN 1 AND 10),
    roles       TEXT NOT NULL DEFAULT 'admin,editor,external',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, channel_id)
);

-- Approval links for people without an account (a client, a lawyer): the
-- link carries the row's id and an HMAC over id, post, expiry and nonce
-- with a key derived from the server's secret key, so neither a copy of
-- the database nor a guess makes one. Used once, or revoked, it is dead.
CREATE TABLE approval_links (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    round       INTEGER NOT NULL,                      -- the review round it was made for
    name        TEXT NOT NULL DEFAULT '',              -- whom it was sent to
    nonce       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX approval_links_post ON approval_links (post_id);

-- Each decision of a round: by a user or through a link. A user decides a
-- round once (the unique key is what makes a double click a conflict).
CREATE TABLE post_approvals (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    round       INTEGER NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    link_id     INTEGER REFERENCES approval_links (id) ON DELETE SET NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment     TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    UNIQUE (post_id, round, user_id),
    UNIQUE (post_id, round, link_id)
);

CREATE TABLE post_comments (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    link_id     INTEGER REFERENCES approval_links (id) ON DELETE SET NULL,
    body        TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX post_comments_post ON post_comments (post_id, id);

-- Calendar feeds (.ics): calendar apps send no cookies, so the URL carries
-- a token; only its SHA-256 is stored. scope: the whole workspace, one
-- channel or one campaign.
CREATE TABLE calendar_feeds (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id  INTEGER REFERENCES channels (id) ON DELETE CASCADE,
    campaign_id INTEGER REFERENCES campaigns (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX calendar_feeds_workspace ON calendar_feeds (workspace_id);
