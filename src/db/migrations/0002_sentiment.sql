-- 0002: what the desk teaches kanal about sentiment. One learner per
-- workspace (the text part's serialized model, base64), and every
-- moderator's correction, so a learner can be rebuilt or audited.

CREATE TABLE sentiment_learners (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    model       TEXT NOT NULL DEFAULT '',          -- base64 of the serialized learner; '' = none yet
    corrections INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE sentiment_corrections (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id  INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    body        TEXT NOT NULL,                     -- the text as corrected, kept for retraining
    previous    TEXT CHECK (previous IN ('pos', 'neu', 'neg')),
    label       TEXT NOT NULL CHECK (label IN ('pos', 'neu', 'neg')),
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX sentiment_corrections_workspace ON sentiment_corrections (workspace_id, at);
