-- 0003: what dashboards read, kept up to date as data arrives, so a report
-- over a hundred thousand posts never scans millions of snapshots.
-- The latest snapshot of each variant (its "lifetime" numbers so far):
ALTER TABLE post_variants ADD COLUMN m_at INTEGER;
ALTER TABLE post_variants ADD COLUMN m_reach INTEGER;
ALTER TABLE post_variants ADD COLUMN m_impressions INTEGER;
ALTER TABLE post_variants ADD COLUMN m_reactions INTEGER;
ALTER TABLE post_variants ADD COLUMN m_comments INTEGER;
ALTER TABLE post_variants ADD COLUMN m_shares INTEGER;
ALTER TABLE post_variants ADD COLUMN m_saves INTEGER;
ALTER TABLE post_variants ADD COLUMN m_clicks INTEGER;
ALTER TABLE post_variants ADD COLUMN m_video_views INTEGER;
-- When the organisation first answered an incoming message:
ALTER TABLE messages ADD COLUMN first_response_at INTEGER;

UPDATE post_variants SET m_at = (SELECT MAX(taken_at) FROM post_metrics m WHERE m.variant_id = post_variants.id);
UPDATE post_variants SET
    m_reach = (SELECT reach FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_impressions = (SELECT impressions FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_reactions = (SELECT reactions FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_comments = (SELECT comments FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_shares = (SELECT shares FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_saves = (SELECT saves FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_clicks = (SELECT clicks FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at),
    m_video_views = (SELECT video_views FROM post_metrics m WHERE m.variant_id = post_variants.id AND m.taken_at = post_variants.m_at)
WHERE m_at IS NOT NULL;
UPDATE messages SET first_response_at = (SELECT MIN(r.created_at) FROM messages r
    WHERE r.parent_id = messages.id AND r.is_own = 1)
WHERE is_own = 0;

CREATE INDEX post_variants_published_at ON post_variants (published_at);
-- Everything a report reads of a message, so that scan never touches the table.
CREATE INDEX messages_workspace_stats ON messages (workspace_id, is_own, created_at, channel_id,
    first_response_at);
