-- 0018: images a post or an action carries (issue 17). The bytes live in the
-- store, not in a folder beside it, so that every `kanal serve` on one
-- PostgreSQL can send an image that another one received. An image is
-- immutable once stored (its alt text aside).
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,          -- image/jpeg, image/png, image/gif, image/webp
    bytes        BLOB NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,          -- hex
    alt          TEXT NOT NULL DEFAULT '', -- its description, for those who cannot see it
    width        INTEGER,
    height       INTEGER,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX media_workspace ON media (workspace_id, id);
