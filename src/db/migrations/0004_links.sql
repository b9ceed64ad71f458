-- 0004: short links and their clicks (issue 6).
-- A link may belong to a post, for its click-through rate against the post's
-- impressions, and to an advocate (an employee sharing it), for the
-- leaderboard. The click log's high-water mark makes its replay exactly-once:
-- it is written in the same transaction as the clicks it covers.

ALTER TABLE links ADD COLUMN post_id INTEGER REFERENCES posts (id) ON DELETE SET NULL;
ALTER TABLE links ADD COLUMN advocate TEXT NOT NULL DEFAULT '';
CREATE INDEX links_workspace ON links (workspace_id, id);
CREATE INDEX links_post ON links (post_id);

CREATE TABLE click_log_applied (
    log_id      TEXT PRIMARY KEY,                  -- the random id in the log file's header
    seq         INTEGER NOT NULL                   -- last click of that log in the store
);
