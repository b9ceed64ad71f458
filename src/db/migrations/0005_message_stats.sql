-- 0005: response figures kept as messages arrive (model/message_stats.c),
-- so a report over ten million messages reads a few thousand rows.
-- Per channel and local day of the workspace's time zone:
CREATE TABLE message_days (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    day INTEGER NOT NULL,               -- days since 1970-01-01, local
    incoming INTEGER NOT NULL DEFAULT 0, -- messages to the organisation created that day
    answered INTEGER NOT NULL DEFAULT 0, -- of which have an own reply
    waits TEXT NOT NULL DEFAULT '',      -- first-response times: "bin:count ..."
    PRIMARY KEY (channel_id, day)
);
-- Per post variant, the same over every message on it:
ALTER TABLE post_variants ADD COLUMN msg_incoming INTEGER NOT NULL DEFAULT 0;
ALTER TABLE post_variants ADD COLUMN msg_answered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE post_variants ADD COLUMN msg_waits TEXT NOT NULL DEFAULT '';
-- The time zone message_days were cut in; when it is not the workspace's
-- (NULL: never built), kanal builds them again from the messages.
ALTER TABLE workspaces ADD COLUMN stats_tz TEXT;
