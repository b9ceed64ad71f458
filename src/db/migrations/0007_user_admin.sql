-- 0007: users change after creation. `disabled_at` says since when a user
-- may not sign in (`disabled` stays the flag every query reads); a token may
-- end by itself at `expires_at` (NULL: never); the audit log is read by
-- user and by workspace, newest first.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
CREATE INDEX audit_log_user ON audit_log (user_id, at);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, at);
