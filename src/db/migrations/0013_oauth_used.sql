-- 0013: a consent's state is used once (issue 17). The row is kept, marked,
-- until it would have expired anyway, so that a callback that comes back a
-- second time (a reload, a replayed address) is told "already used" rather
-- than "unknown"; the claim is one UPDATE ... WHERE used_at IS NULL, so two
-- callbacks racing with the same state cannot both win.
ALTER TABLE oauth_states ADD COLUMN used_at INTEGER;
