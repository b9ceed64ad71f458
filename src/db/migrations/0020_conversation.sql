-- 0020: a message's conversation (issue 19). Moderators leave private notes
-- on a message for each other (never sent to the platform), a note's
-- @mentions tell the colleagues named, and who is looking at or answering a
-- message is kept in the store with the time they were last seen, so that
-- every `kanal serve` on one PostgreSQL sees the same people.
CREATE TABLE message_notes (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,   -- who wrote it
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX message_notes_message ON message_notes (message_id, id);

-- The colleagues a note mentions (docs/inbox.md says how a mention is written).
CREATE TABLE message_note_mentions (
    note_id     INTEGER NOT NULL REFERENCES message_notes (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, user_id)
);

-- One row per person and message they have open; a row not seen for the
-- presence's lifetime (30 s) no longer counts and is removed by the next
-- heartbeat.
CREATE TABLE message_presence (
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('viewing', 'typing')),
    since       INTEGER NOT NULL,       -- when they opened it
    seen_at     INTEGER NOT NULL,       -- their last heartbeat
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_presence_seen ON message_presence (seen_at);

-- Earlier messages of the same person, on any channel of the workspace.
CREATE INDEX messages_author_handle ON messages (workspace_id, author_handle, created_at);
CREATE INDEX messages_author_name ON messages (workspace_id, author_name, created_at);

-- A notification may be about a message (a mention in a note). Its event
-- names are checked by notify/event.c from here on, not by a CHECK that
-- each new event would have to rebuild: PostgreSQL drops the constraint,
-- SQLite rebuilds the table (keeping the deliveries' links to it, which the
-- DROP sets to NULL).
-- postgres: ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
-- postgres: ALTER TABLE notifications ADD COLUMN message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE;
-- sqlite: CREATE TEMP TABLE delivery_links AS SELECT id, notification_id FROM notify_deliveries WHERE notification_id IS NOT NULL;
-- sqlite: CREATE TABLE notifications_new (id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, event TEXT NOT NULL, post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '', read_at INTEGER, created_at INTEGER NOT NULL, message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE);
-- sqlite: INSERT INTO notifications_new (id, workspace_id, user_id, event, post_id, title, body, read_at, created_at) SELECT id, workspace_id, user_id, event, post_id, title, body, read_at, created_at FROM notifications;
-- sqlite: DROP TABLE notifications;
-- sqlite: ALTER TABLE notifications_new RENAME TO notifications;
-- sqlite: CREATE INDEX notifications_user ON notifications (user_id, id);
-- sqlite: UPDATE notify_deliveries SET notification_id = (SELECT l.notification_id FROM delivery_links l WHERE l.id = notify_deliveries.id) WHERE id IN (SELECT id FROM delivery_links);
-- sqlite: DROP TABLE delivery_links;
