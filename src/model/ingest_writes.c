/* ingest_writes: the model functions behind model/platform.h, for imports
 * and webhooks: lookups by platform id, channels found or adopted from the
 * payload's account id, and the platform's hide/unhide/remove. */
#include "model/platform.h"

#include <stdio.h>
#include <string.h>

static int find_one(struct db *db, int64_t *out, struct error *err, const char *sql, int64_t a,
                    const char *b)
{
    int64_t id = 0;
    int rc = db_scalar(db, err, &id, sql, "it", a, b);
    if (rc == 1 && out)
        *out = id;
    return rc;
}

int post_variant_find(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                      struct error *err)
{
    return find_one(db, id, err,
                    "SELECT id FROM post_variants WHERE channel_id = ? AND platform_id = ?",
                    channel_id, platform_id);
}

int post_variant_post(struct db *db, int64_t variant_id, int64_t *post_id, struct error *err)
{
    return db_scalar(db, err, post_id, "SELECT post_id FROM post_variants WHERE id = ?", "i",
                     variant_id);
}

int message_find_platform(struct db *db, int64_t channel_id, const char *platform_id, int64_t *id,
                          struct error *err)
{
    return find_one(db, id, err, "SELECT id FROM messages WHERE channel_id = ? AND platform_id = ?",
                    channel_id, platform_id);
}

int channel_find_platform(struct db *db, int64_t *workspace_id, const char *platform,
                          const char *platform_id, int64_t *channel_id, struct error *err)
{
    struct db_stmt *st =
        *workspace_id ? db_query(db, err,
                                 "SELECT id, workspace_id FROM channels WHERE workspace_id = ? AND "
                                 "platform = ? AND platform_id = ? ORDER BY id LIMIT 1",
                                 "itt", *workspace_id, platform, platform_id)
                      : db_query(db, err,
                                 "SELECT id, workspace_id FROM channels WHERE platform = ? AND "
                                 "platform_id = ? ORDER BY id LIMIT 1",
                                 "tt", platform, platform_id);
    if (!st)
        return -1;
    int found = db_has_row(st);
    if (found) {
        *channel_id = db_col_int(st, 0);
        *workspace_id = db_col_int(st, 1);
    }
    db_finalize(st);
    return found;
}

int channel_upsert_platform(struct db *db, int64_t workspace_id, const char *platform,
                            const char *platform_id, const char *handle, bool peer,
                            int64_t *channel_id, struct error *err)
{
    int64_t ws = workspace_id;
    int rc = channel_find_platform(db, &ws, platform, platform_id, channel_id, err);
    if (rc)
        return rc < 0 ? -1 : UPSERT_UNCHANGED;
    const char *h = handle && *handle ? handle : platform_id;
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id, platform_id FROM channels WHERE workspace_id = ? "
                                  "AND platform = ? AND handle = ?",
                                  "itt", workspace_id, platform, h);
    if (!st)
        return -1;
    if (db_has_row(st)) {
        int64_t id = db_col_int(st, 0);
        bool unset = db_col_null(st, 1);
        db_finalize(st);
        if (!unset)
            return error_set(err, ERR_CONFLICT,
                             "the %s channel '%.80s' belongs to another account id than %.80s; "
                             "import with --channel ID",
                             platform, h, platform_id);
        *channel_id = id;
        return db_run(db, err, "UPDATE channels SET platform_id = ?, updated_at = ? WHERE id = ?",
                      "tii", platform_id, time_now(), id) < 0
                   ? -1
                   : UPSERT_UPDATED;
    }
    db_finalize(st);
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:b}", "platform", platform, "handle", h, "name",
                           h, "platform_id", platform_id, "is_peer", peer);
    json_t *c = entity_create(db, &entity_channel, workspace_id, in, NULL, err);
    json_decref(in);
    if (!c)
        return -1;
    *channel_id = json_integer_value(json_object_get(c, "id"));
    json_decref(c);
    return UPSERT_INSERTED;
}

int channel_platform_info(struct db *db, int64_t workspace_id, int64_t channel_id,
                          char platform[16], char platform_id[201], char handle[201],
                          struct error *err)
{
    struct db_stmt *st = db_query(db, err,
                                  "SELECT platform, platform_id, handle FROM channels "
                                  "WHERE id = ? AND workspace_id = ?",
                                  "ii", channel_id, workspace_id);
    if (!st)
        return -1;
    if (!db_has_row(st)) {
        db_finalize(st);
        return error_set(err, ERR_NOT_FOUND, "no channel %lld in workspace %lld",
                         (long long)channel_id, (long long)workspace_id);
    }
    snprintf(platform, 16, "%s", db_col_text(st, 0));
    snprintf(platform_id, 201, "%s", db_col_text(st, 1));
    snprintf(handle, 201, "%s", db_col_text(st, 2));
    db_finalize(st);
    return 0;
}

/* For the writes below: -1 (and ERR_NOT_FOUND) unless lookup `found` found
 * the row. */
static int missing(int found, const char *what, const char *platform_id, struct error *err)
{
    if (found > 0)
        return 0;
    return found < 0
               ? -1
               : error_set(err, ERR_NOT_FOUND, "no %s %.80s in this channel", what, platform_id);
}

/* An UPDATE's changed-row count as an enum upsert, or -1. */
static int updated(int64_t n)
{
    return n < 0 ? -1 : n ? UPSERT_UPDATED : UPSERT_UNCHANGED;
}

int message_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                const char *status, struct error *err)
{
    if (!str_eq(status, "hidden") && !str_eq(status, "removed") && !str_eq(status, "open"))
        return error_set(err, ERR_INVALID, "unknown platform status '%.20s'", status);
    int64_t id = 0;
    if (missing(message_find_platform(db, channel_id, platform_id, &id, err), "message",
                platform_id, err))
        return -1;
    /* Unhide restores "open" only from "hidden": a message the desk has
     * answered or closed meanwhile keeps that state. */
    int64_t n = str_eq(status, "open")
                    ? db_run(db, err,
                             "UPDATE messages SET status = 'open', updated_at = ? "
                             "WHERE id = ? AND status = 'hidden'",
                             "ii", time_now(), id)
                    : db_run(db, err,
                             "UPDATE messages SET status = ?, updated_at = ? "
                             "WHERE id = ? AND status <> ?",
                             "tiit", status, time_now(), id, status);
    return updated(n);
}

int post_variant_set_platform_status(struct db *db, int64_t channel_id, const char *platform_id,
                                     const char *status, struct error *err)
{
    const char *to = str_eq(status, "open") ? "published" : "archived";
    int64_t id = 0;
    if (missing(post_variant_find(db, channel_id, platform_id, &id, err), "post", platform_id, err))
        return -1;
    int64_t n = db_run(db, err,
                       "UPDATE post_variants SET status = ?, updated_at = ? "
                       "WHERE id = ? AND status <> ?",
                       "tiit", to, time_now(), id, to);
    return updated(n);
}

/* Sets the text of the row `sql` names (by variant or message id). */
static int edit_text(struct db *db, const char *what, int found, int64_t id, const char *sql,
                     const char *platform_id, const char *body, struct error *err)
{
    if (missing(found, what, platform_id, err))
        return -1;
    return updated(
        db_run(db, err, sql, "tiit", body ? body : "", time_now(), id, body ? body : ""));
}

int post_edit_platform(struct db *db, int64_t channel_id, const char *platform_id, const char *body,
                       struct error *err)
{
    int64_t vid = 0;
    int found = post_variant_find(db, channel_id, platform_id, &vid, err);
    return edit_text(db, "post", found, vid,
                     "UPDATE posts SET body = ?, updated_at = ? WHERE id = "
                     "(SELECT post_id FROM post_variants WHERE id = ?) AND body <> ?",
                     platform_id, body, err);
}

int message_edit_platform(struct db *db, int64_t channel_id, const char *platform_id,
                          const char *body, struct error *err)
{
    int64_t mid = 0;
    int found = message_find_platform(db, channel_id, platform_id, &mid, err);
    return edit_text(db, "message", found, mid,
                     "UPDATE messages SET body = ?, updated_at = ? WHERE id = ? AND body <> ?",
                     platform_id, body, err);
}

int workspace_default(struct db *db, int64_t *id, struct error *err)
{
    int64_t n = 0;
    if (db_scalar(db, err, &n, "SELECT COUNT(*) FROM workspaces", "") < 0)
        return -1;
    if (n > 1)
        return error_set(err, ERR_INVALID,
                         "there are %lld workspaces; say which with --workspace ID", (long long)n);
    if (n == 1)
        return db_scalar(db, err, id, "SELECT id FROM workspaces", "") < 0 ? -1 : 1;
    json_t *in = json_pack("{s:s, s:s}", "name", "Imported", "slug", "imported");
    json_t *w = entity_create(db, &entity_workspace, 0, in, NULL, err);
    json_decref(in);
    if (!w)
        return -1;
    *id = json_integer_value(json_object_get(w, "id"));
    json_decref(w);
    return 0;
}
