-- 0006: a reply kanal gets before the message it answers (an account's
-- timeline imported before its mentions, a webhook out of order) keeps that
-- message's platform id here until the message comes; then parent_id is set
-- and, for the organisation's own reply, the message's first response.
ALTER TABLE messages ADD COLUMN reply_to TEXT;
CREATE INDEX messages_reply_to ON messages (channel_id, reply_to) WHERE reply_to IS NOT NULL;
