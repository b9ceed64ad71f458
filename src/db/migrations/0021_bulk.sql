-- 0021: bulk moderation and tag corrections.
-- A bulk operation hides many messages at once (a spam wave): the filter
-- or the ticked ids it was asked with, the reason, and one item per message
-- with the action queued for it (or why none could be), so that it can be
-- undone (each hidden message shown again) by its id.
CREATE TABLE bulk_moderations (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    action      TEXT NOT NULL CHECK (action IN ('hide')),
    reason      TEXT NOT NULL DEFAULT '',
    selection   TEXT NOT NULL DEFAULT '{}',        -- JSON: the filter or message_ids asked with
    matched     INTEGER NOT NULL DEFAULT 0,        -- messages the selection found (<= the limit)
    more        INTEGER NOT NULL DEFAULT 0,        -- 1: the filter found more than the limit
    requested_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    undone_at   INTEGER,
    undone_by   INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX bulk_moderations_workspace ON bulk_moderations (workspace_id, created_at);

CREATE TABLE bulk_moderation_items (
    bulk_id     INTEGER NOT NULL REFERENCES bulk_moderations (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    action_id   INTEGER REFERENCES connect_actions (id) ON DELETE SET NULL,
    undo_action_id INTEGER REFERENCES connect_actions (id) ON DELETE SET NULL,
    skipped     TEXT NOT NULL DEFAULT '',          -- why no action was queued ('' : queued)
    PRIMARY KEY (bulk_id, message_id)
);

-- A moderator's correction of a message's tags: the latest word per
-- message and tag (added or removed), who and when. A removed tag is not
-- given back by the tag or routing rules, an added one is not taken away.
CREATE TABLE message_tag_corrections (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    added       INTEGER NOT NULL CHECK (added BETWEEN 0 AND 1),
    body        TEXT NOT NULL DEFAULT '',          -- the text as corrected, kept for retraining
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (message_id, tag_id)
);
CREATE INDEX message_tag_corrections_workspace ON message_tag_corrections (workspace_id, at);
CREATE INDEX sentiment_corrections_message ON sentiment_corrections (message_id);
