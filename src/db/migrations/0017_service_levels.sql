-- 0017: service levels. A workspace has office hours and a holiday
-- calendar (base/worktime.c); a team has a first-answer level per priority,
-- in working seconds. Each incoming message with a team gets the level it
-- is held to and the instants at which it is at risk and due, counted on
-- the office-hours clock, so the inbox filters on them without doing the
-- clock's arithmetic in SQL.
ALTER TABLE workspaces ADD COLUMN office_hours TEXT NOT NULL DEFAULT 'mon-fri 08:00-16:00';
ALTER TABLE workspaces ADD COLUMN holidays TEXT NOT NULL DEFAULT 'se'
    CHECK (holidays IN ('se', 'fi', 'none'));

CREATE TABLE service_levels (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    first_answer_seconds INTEGER NOT NULL CHECK (first_answer_seconds > 0),
    at_risk_percent INTEGER NOT NULL DEFAULT 80 CHECK (at_risk_percent BETWEEN 1 AND 99),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (team_id, priority)
);
CREATE INDEX service_levels_workspace ON service_levels (workspace_id);

-- The level the message is held to (working seconds; NULL: none), and when
-- it is at risk and due (UTC instants on the office-hours clock).
ALTER TABLE messages ADD COLUMN sla_seconds INTEGER;
ALTER TABLE messages ADD COLUMN sla_risk_at INTEGER;
ALTER TABLE messages ADD COLUMN sla_due_at INTEGER;
CREATE INDEX messages_sla_due ON messages (workspace_id, sla_due_at);

-- Time to first answer in working time (seconds on the office-hours clock
-- from the message to its first answer), kept with the answer; NULL for
-- messages answered before kanal kept it.
ALTER TABLE messages ADD COLUMN first_response_work INTEGER;
-- The response figures per channel and local day (0005) extended, not
-- duplicated: messages held to a level, those answered within it, and a
-- histogram of working-time first answers beside the wall-clock one.
ALTER TABLE message_days ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_days ADD COLUMN within_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_days ADD COLUMN work_waits TEXT NOT NULL DEFAULT '';

-- Answered elsewhere: a moderator who answered by phone or e-mail says so
-- and when; the figures count the message answered then, and how many
-- were first answered outside kanal.
ALTER TABLE messages ADD COLUMN answered_elsewhere_at INTEGER;
ALTER TABLE messages ADD COLUMN answered_elsewhere_via TEXT
    CHECK (answered_elsewhere_via IN ('phone', 'email', 'other'));
ALTER TABLE messages ADD COLUMN answered_elsewhere_by INTEGER REFERENCES users (id)
    ON DELETE SET NULL;
ALTER TABLE message_days ADD COLUMN elsewhere INTEGER NOT NULL DEFAULT 0;

-- Saved replies: a workspace's answers to common questions, per language,
-- with variables ({first_name}, {channel}, ...) filled in for a message.
CREATE TABLE saved_replies (
    id          INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('sv', 'fi', 'en')),
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (workspace_id, name, lang)
);
