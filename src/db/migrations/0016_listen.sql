-- 0016: listening. A source is a feed (or, later, a page read with
-- selectors) a workspace watches; its fetch state (validators, last error,
-- next time) lives on the row so that a restart resumes where it was. An
-- item is one entry read from a source, kept once per source by its
-- dedupe key: "g:" and the guid, else "l:" and the link, else "h:" and a
-- hash of its text.

CREATE TABLE listen_sources (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    kind          TEXT NOT NULL DEFAULT 'feed' CHECK (kind IN ('feed', 'html')),
    title         TEXT NOT NULL DEFAULT '',
    interval_s    INTEGER NOT NULL DEFAULT 900,
    etag          TEXT,
    last_modified TEXT,
    last_error    TEXT,
    last_fetched  INTEGER,
    next_fetch    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, url)
);
CREATE INDEX listen_sources_due ON listen_sources (next_fetch);

CREATE TABLE listen_items (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_id     INTEGER NOT NULL REFERENCES listen_sources (id) ON DELETE CASCADE,
    dedupe_key    TEXT NOT NULL,
    guid          TEXT,
    title         TEXT NOT NULL DEFAULT '',
    link          TEXT,
    author        TEXT,
    published     INTEGER,
    text          TEXT NOT NULL DEFAULT '',
    lang          TEXT,
    sentiment     REAL,
    sentiment_label TEXT,
    fetched_at    INTEGER NOT NULL,
    UNIQUE (source_id, dedupe_key)
);
CREATE INDEX listen_items_ws ON listen_items (workspace_id, published);

-- The workspace's tag queries (tags.rule) an item matched when it was read.
CREATE TABLE listen_item_tags (
    item_id       INTEGER NOT NULL REFERENCES listen_items (id) ON DELETE CASCADE,
    tag_id        INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, tag_id)
);
CREATE INDEX listen_item_tags_tag ON listen_item_tags (tag_id);
