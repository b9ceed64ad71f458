-- 0028: what the desk teaches kanal about tags. One tag learner per
-- workspace (the text part's serialized model, base64), beside the
-- sentiment learner; the message whose other tags it has still to learn
-- (it learns them once the moderators moved on, so that one correction of
-- several on a message does not teach the others' absence); and, with each
-- tag correction, what the learner said of that message and tag before it
-- learned from it: how often it agrees with the moderators.

CREATE TABLE tag_learners (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    model       TEXT NOT NULL DEFAULT '',          -- base64 of the serialized learner; '' = none yet
    corrections INTEGER NOT NULL DEFAULT 0,
    pending_message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    updated_at  INTEGER NOT NULL
);

-- p: the learner's probability of the tag on the message before the
-- correction, NULL when the tag's model was not ready; suggested: p was at
-- or above the bar at which it suggests.
ALTER TABLE message_tag_corrections ADD COLUMN p REAL;
ALTER TABLE message_tag_corrections ADD COLUMN suggested INTEGER CHECK (suggested BETWEEN 0 AND 1);
