/* oauth: the rows behind connecting an account through a platform's OAuth:
 * consents in progress (one use, ten minutes), the apps kanal registered
 * per server, and the channel an account stands for, marked connected.
 * Secrets reach this file sealed by connect/vault.c, never in the clear. */
#include "model/internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* A state kanal gives out is base64url of random bytes; anything else that
 * comes back is no consent of ours, and is not looked up. */
static bool state_form_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 16 || n > OAUTH_STATE_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

int oauth_state_insert(struct db *db, const struct oauth_state *s, struct error *err)
{
    assert(db && s && s->workspace_id > 0 && s->expires_at > s->created_at);
    if (!state_form_ok(s->state))
        return error_set(err, ERR_INVALID,
                         "a consent's state must be 16 to %d base64url characters",
                         OAUTH_STATE_MAX);
    const int64_t *user = s->user_id ? &s->user_id : NULL;
    const int64_t *channel = s->channel_id ? &s->channel_id : NULL;
    return db_do(db, err,
                 "INSERT INTO oauth_states (state, platform, workspace_id, user_id, api_url, "
                 "verifier, channel_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 "ttiIttIii", s->state, s->platform, s->workspace_id, user, s->api_url, s->verifier,
                 channel, s->created_at, s->expires_at);
}

int oauth_state_get(struct db *db, const char *state, struct oauth_state *out, struct error *err)
{
    assert(db && out);
    *out = (struct oauth_state){0};
    if (!state_form_ok(state))
        return 0;
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT state, platform, workspace_id, user_id, channel_id, "
                       "api_url, verifier, created_at, expires_at, used_at FROM "
                       "oauth_states WHERE state = ?",
                       "t", state);
    if (found <= 0)
        return found;
    snprintf(out->state, sizeof out->state, "%s", db_col_text(st, 0));
    snprintf(out->platform, sizeof out->platform, "%s", db_col_text(st, 1));
    out->workspace_id = db_col_int(st, 2);
    out->user_id = db_col_null(st, 3) ? 0 : db_col_int(st, 3);
    out->channel_id = db_col_null(st, 4) ? 0 : db_col_int(st, 4);
    snprintf(out->api_url, sizeof out->api_url, "%s", db_col_text(st, 5));
    snprintf(out->verifier, sizeof out->verifier, "%s", db_col_text(st, 6));
    out->created_at = db_col_int(st, 7);
    out->expires_at = db_col_int(st, 8);
    out->used_at = db_col_null(st, 9) ? 0 : db_col_int(st, 9);
    db_finalize(st);
    return 1;
}

int oauth_state_claim(struct db *db, const char *state, int64_t now, struct oauth_state *out,
                      struct error *err)
{
    assert(db && out);
    int found = oauth_state_get(db, state, out, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return error_set(err, ERR_NOT_FOUND,
                         "this consent is not one kanal started (unknown state): start "
                         "connecting the account again");
    /* The one statement that decides: of two callbacks with one state,
     * only one changes the row. */
    int64_t n = db_run(db, err,
                       "UPDATE oauth_states SET used_at = ? WHERE state = ? AND used_at IS NULL "
                       "AND expires_at > ?",
                       "iti", now, out->state, now);
    if (n < 0)
        return -1;
    if (n == 1) {
        out->used_at = now;
        return 0;
    }
    if (oauth_state_get(db, state, out, err) < 0)
        return -1;
    if (out->used_at)
        return error_set(err, ERR_CONFLICT,
                         "this consent was already used (a state is good for one connection): "
                         "start connecting the account again");
    char started[21];
    time_format_iso(out->created_at, started);
    return error_set(err, ERR_INVALID,
                     "this consent expired: it was started at %s and a consent must be finished "
                     "within %d minutes; start connecting the account again",
                     started, OAUTH_STATE_TTL / 60);
}

int64_t oauth_states_purge(struct db *db, int64_t now, struct error *err)
{
    return db_run(db, err, "DELETE FROM oauth_states WHERE expires_at < ?", "i", now - 86400);
}

int oauth_app_get(struct db *db, const char *platform, const char *api_url, char *client_id,
                  char *sealed_secret, char *key_id, struct error *err)
{
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT client_id, client_secret, key_id FROM oauth_apps WHERE platform = ? "
                       "AND api_url = ?",
                       "tt", platform, api_url);
    if (found <= 0)
        return found;
    snprintf(client_id, 256, "%s", db_col_text(st, 0));
    snprintf(sealed_secret, OAUTH_SEALED_MAX, "%s", db_col_text(st, 1));
    snprintf(key_id, 17, "%s", db_col_text(st, 2));
    db_finalize(st);
    return 1;
}

int oauth_app_put(struct db *db, const char *platform, const char *api_url, const char *client_id,
                  const char *sealed_secret, const char *key_id, bool replace, int64_t now,
                  struct error *err)
{
    if (!*client_id || strlen(client_id) > 255 || strlen(sealed_secret) >= OAUTH_SEALED_MAX)
        return error_set(err, ERR_INVALID,
                         "%s at %s: the app's client id must be 1 to 255 bytes and its secret "
                         "shorter",
                         platform, api_url);
    return db_do(db, err,
                 "INSERT INTO oauth_apps (platform, api_url, client_id, client_secret, key_id, "
                 "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, api_url) DO "
                 "UPDATE SET client_id = excluded.client_id, client_secret = "
                 "excluded.client_secret, key_id = excluded.key_id, created_at = "
                 "excluded.created_at WHERE ? = 1",
                 "tttttIi", platform, api_url, client_id, sealed_secret, key_id, &now,
                 (int64_t)replace);
}

int oauth_channel_for(struct db *db, int64_t workspace_id, const char *platform,
                      const char *platform_id, const char *handle, const char *name,
                      const struct actor *who, int64_t *channel_id, bool *created,
                      struct error *err)
{
    assert(db && platform && platform_id && *platform_id && channel_id && created);
    *created = false;
    handle = handle && *handle ? handle : platform_id;
    name = name && *name ? name : handle;
    int found = db_scalar(db, err, channel_id,
                          "SELECT id FROM channels WHERE workspace_id = ? AND platform = ? AND "
                          "platform_id = ?",
                          "itt", workspace_id, platform, platform_id);
    if (found)
        return found < 0 ? -1 : 0;
    /* A channel a file import made knows the handle but not the id. */
    int64_t other_id = 0;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, platform_id FROM channels WHERE workspace_id = ? AND "
                                  "platform = ? AND handle = ?",
                                  "itt", workspace_id, platform, handle);
    if (!st)
        return -1;
    bool by_handle = db_has_row(st);
    bool has_id = by_handle && !db_col_null(st, 1) && *db_col_text(st, 1);
    if (by_handle)
        other_id = db_col_int(st, 0);
    db_finalize(st);
    json_t *out = NULL;
    if (by_handle && has_id)
        return error_set(err, ERR_CONFLICT,
                         "%s: channel %lld already has the handle '%s' for another account; "
                         "rename it, then connect again",
                         platform, (long long)other_id, handle);
    if (by_handle) {
        json_t *patch = json_pack("{s:s}", "platform_id", platform_id);
        out = entity_update(db, &entity_channel, workspace_id, other_id, patch, who, err);
        json_decref(patch);
        *channel_id = other_id;
    } else {
        json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "platform", platform, "handle", handle,
                               "name", name, "platform_id", platform_id);
        out = entity_create(db, &entity_channel, workspace_id, in, who, err);
        json_decref(in);
        if (out) {
            *channel_id = json_integer_value(json_object_get(out, "id"));
            *created = true;
        }
    }
    json_decref(out);
    return out ? 0 : -1;
}
