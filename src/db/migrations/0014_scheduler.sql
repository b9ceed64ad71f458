-- 0014: the scheduler and the crisis switch (issue 18). A scheduled variant
-- that falls due is handed to connect/ as one action; the variant keeps
-- which (action_id) so it is handed over once, and its attempt counts the
-- hand-overs (a failed variant scheduled again gets a new action key).
-- What to do with a post whose time passed while kanal was down is the
-- workspace's choice; a held one says why (hold_reason). Pauses stop the
-- scheduler for a workspace or some of its channels.

ALTER TABLE post_variants ADD COLUMN action_id INTEGER;
ALTER TABLE post_variants ADD COLUMN publish_attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE post_variants ADD COLUMN hold_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE post_variants ADD COLUMN publish_error TEXT NOT NULL DEFAULT '';
CREATE INDEX post_variants_due ON post_variants (status, scheduled_at);

-- publish_late: post it when kanal is back; hold: back to the desk
-- (approved) with a reason. late_after: seconds past its time after which
-- a variant counts as late rather than merely due.
ALTER TABLE workspaces ADD COLUMN late_policy TEXT NOT NULL DEFAULT 'publish_late'
    CHECK (late_policy IN ('publish_late', 'hold'));
ALTER TABLE workspaces ADD COLUMN late_after INTEGER NOT NULL DEFAULT 300;

-- The crisis switch. channel_id NULL: the whole workspace. A pause holds
-- until it is resumed or its until_at passes.
CREATE TABLE publish_pauses (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id  INTEGER REFERENCES channels (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    until_at    INTEGER,
    paused_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    paused_at   INTEGER NOT NULL,
    resumed_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    resumed_at  INTEGER
);
CREATE INDEX publish_pauses_workspace ON publish_pauses (workspace_id, resumed_at);
