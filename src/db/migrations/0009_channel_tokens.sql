-- 0009: a connected channel's tokens (issue 17), sealed by connect/vault.c
-- with a key kept outside the store: each token column holds base64 of a
-- random nonce and the secretbox of "CHANNEL:FIELD:" and the token, so a
-- value copied onto another channel or field does not open. `key_id` names
-- the key that sealed them (a keyed hash, not the key) so a wrong key is
-- told apart from damaged values.
CREATE TABLE channel_tokens (
    channel_id  INTEGER PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    access_token TEXT NOT NULL,
    refresh_token TEXT,                            -- NULL: the platform gave none
    expires_at  INTEGER,                           -- the access token's end; NULL: none
    scopes      TEXT NOT NULL DEFAULT '',          -- as granted, space-separated
    key_id      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
