-- 0024: the listening desk. A person marks an item relevant (1) or not (0);
-- unmarked items stay NULL, so "not yet looked at" is a filter of its own.
-- An item sent to a team becomes an inbox message; each side names the
-- other, so the inbox links back to the item and the desk to the task.

ALTER TABLE listen_items ADD COLUMN relevant INTEGER;
ALTER TABLE listen_items ADD COLUMN relevant_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE listen_items ADD COLUMN relevant_at INTEGER;
ALTER TABLE listen_items ADD COLUMN message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN listen_item_id INTEGER REFERENCES listen_items (id)
    ON DELETE SET NULL;
CREATE INDEX listen_items_ws_id ON listen_items (workspace_id, id);
