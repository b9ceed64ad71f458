-- 0012: the inbox as a team's workplace. Teams are rows with members (a
-- channel's owner_team and a message's assigned_team were free text; both
-- become team ids here, and the text columns are no longer read). A message
-- gets a priority; its words are indexed, stemmed by its language, for the
-- inbox's full-text filter; routing rules assign incoming messages.

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    -- round-robin: the member an incoming message was last given to
    last_assigned_user_id INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    on_duty     INTEGER NOT NULL DEFAULT 1,     -- 0: away; routing passes them by
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- The free-text teams become rows, one per workspace and name.
INSERT INTO teams (workspace_id, name, created_at, updated_at)
    SELECT workspace_id, owner_team, MIN(created_at), MIN(created_at) FROM channels
    WHERE owner_team <> '' GROUP BY workspace_id, owner_team;
INSERT INTO teams (workspace_id, name, created_at, updated_at)
    SELECT m.workspace_id, m.assigned_team, MIN(m.received_at), MIN(m.received_at) FROM messages m
    WHERE m.assigned_team <> '' AND NOT EXISTS (SELECT 1 FROM teams t
          WHERE t.workspace_id = m.workspace_id AND t.name = m.assigned_team)
    GROUP BY m.workspace_id, m.assigned_team;

ALTER TABLE channels ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL;
UPDATE channels SET team_id = (SELECT t.id FROM teams t WHERE t.workspace_id = channels.workspace_id
                               AND t.name = channels.owner_team)
    WHERE owner_team <> '';

ALTER TABLE messages ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL;
UPDATE messages SET team_id = (SELECT t.id FROM teams t WHERE t.workspace_id = messages.workspace_id
                               AND t.name = messages.assigned_team)
    WHERE assigned_team <> '';
ALTER TABLE messages ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('low', 'normal', 'high', 'urgent'));
-- 0: its words are not in message_terms yet (kanal indexes such messages at start)
ALTER TABLE messages ADD COLUMN terms_indexed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_team ON messages (team_id, created_at);
CREATE INDEX messages_assignee ON messages (assigned_user_id, created_at);
CREATE INDEX messages_unindexed ON messages (terms_indexed) WHERE terms_indexed = 0;

-- Each distinct word of a message once, as its language's Snowball stem
-- (folded, unstemmed for other languages).
CREATE TABLE message_terms (
    term        TEXT NOT NULL,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (term, message_id)
);
CREATE INDEX message_terms_message ON message_terms (message_id);

-- Routing: evaluated in `position` order on every incoming message.
-- conditions and actions are JSON objects (docs/inbox.md).
CREATE TABLE routing_rules (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    stop        INTEGER NOT NULL DEFAULT 0,     -- 1: no later rule is tried after this one matched
    conditions  TEXT NOT NULL DEFAULT '{}',
    actions     TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);
CREATE INDEX routing_rules_workspace ON routing_rules (workspace_id, position);
-- The last rule that matched a message when it came in (what routed it).
ALTER TABLE messages ADD COLUMN routed_rule_id INTEGER REFERENCES routing_rules (id)
    ON DELETE SET NULL;
