/* connection: a connected channel's state on the desk (connected, or
 * needing a person to reconnect it, in the platform's words), its sync's
 * paging cursors, and the actions done on the platform in its name with
 * the states that keep an action from being done twice. The connect/ part
 * drives them; the job table reads the connection state so that a channel
 * needing reconnection has its jobs held. */
#include "model/internal.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const action_state_names[ACTION_STATE_COUNT + 1] = {"queued", "sent",   "unknown",
                                                                "done",   "failed", NULL};

/* ERR_NOT_FOUND "no channel N" unless it exists: said before a write rather
 * than read from the backend's foreign-key message. */
static int channel_exists(struct db *db, int64_t channel_id, struct error *err)
{
    int64_t one;
    int found = db_scalar(db, err, &one, "SELECT 1 FROM channels WHERE id = ?", "i", channel_id);
    if (found < 0)
        return -1;
    return found ? 0 : error_set(err, ERR_NOT_FOUND, "no channel %lld", (long long)channel_id);
}

static void copy_col(char *dst, size_t n, struct db_stmt *st, int col)
{
    snprintf(dst, n, "%s", db_col_text(st, col));
}

int channel_ref_get(struct db *db, int64_t channel_id, struct channel_ref *out, struct error *err)
{
    assert(db && out);
    memset(out, 0, sizeof *out);
    struct db_stmt *st;
    int found =
        db_row(db, err, &st,
               "SELECT workspace_id, platform, platform_id, handle FROM channels WHERE id = ?", "i",
               channel_id);
    if (found <= 0)
        return found < 0 ? -1
                         : error_set(err, ERR_NOT_FOUND, "no channel %lld", (long long)channel_id);
    out->id = channel_id;
    out->workspace_id = db_col_int(st, 0);
    copy_col(out->platform, sizeof out->platform, st, 1);
    copy_col(out->platform_id, sizeof out->platform_id, st, 2);
    copy_col(out->handle, sizeof out->handle, st, 3);
    db_finalize(st);
    return 0;
}

int connection_get(struct db *db, int64_t channel_id, struct connection *out, struct error *err)
{
    assert(db && out);
    memset(out, 0, sizeof *out);
    struct db_stmt *st;
    int found = db_row(db, err, &st,
                       "SELECT api_url, state, problem, connected_at, synced_at, last_error, "
                       "last_error_at, connected_by FROM channel_connections WHERE channel_id = ?",
                       "i", channel_id);
    if (found <= 0)
        return found;
    out->channel_id = channel_id;
    copy_col(out->api_url, sizeof out->api_url, st, 0);
    copy_col(out->state, sizeof out->state, st, 1);
    copy_col(out->problem, sizeof out->problem, st, 2);
    out->connected_at = db_col_int(st, 3);
    out->synced_at = db_col_null(st, 4) ? 0 : db_col_int(st, 4);
    copy_col(out->last_error, sizeof out->last_error, st, 5);
    out->last_error_at = db_col_null(st, 6) ? 0 : db_col_int(st, 6);
    out->connected_by = db_col_null(st, 7) ? 0 : db_col_int(st, 7);
    db_finalize(st);
    return 1;
}

static json_t *time_or_null(int64_t t)
{
    return t ? json_time(t) : json_null();
}

json_t *connection_to_json(const struct connection *c)
{
    if (!c)
        return json_pack("{s:s}", "state", "not_connected");
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o}", "channel_id", (json_int_t)c->channel_id,
                     "state", c->state, "problem", c->problem, "connected_at",
                     time_or_null(c->connected_at), "synced_at", time_or_null(c->synced_at),
                     "last_error", c->last_error, "last_error_at", time_or_null(c->last_error_at));
}

int connection_queue_sync(struct db *db, int64_t channel_id, int64_t now, struct error *err)
{
    char key[64];
    snprintf(key, sizeof key, "sync:%lld", (long long)channel_id);
    struct job_in in = {.kind = "sync", .channel_id = channel_id, .key = key};
    int64_t id;
    return job_enqueue(db, &in, now, &id, err);
}

int connection_connected(struct db *db, int64_t channel_id, const char *api_url,
                         int64_t connected_by, int64_t now, struct error *err)
{
    assert(db);
    if (channel_exists(db, channel_id, err))
        return -1;
    const int64_t *by = connected_by ? &connected_by : NULL;
    int64_t n =
        db_run(db, err,
               "INSERT INTO channel_connections (channel_id, api_url, state, problem, "
               "connected_by, connected_at, last_error, updated_at) VALUES (?, ?, "
               "'connected', '', ?, ?, '', ?) ON CONFLICT (channel_id) DO UPDATE SET "
               "api_url = excluded.api_url, state = 'connected', problem = '', "
               "connected_by = excluded.connected_by, connected_at = excluded.connected_at, "
               "last_error = '', last_error_at = NULL, updated_at = excluded.updated_at",
               "itIii", channel_id, api_url ? api_url : "", by, now, now);
    if (n < 0)
        return -1;
    /* Its held jobs run now, not after the backoff they were given while
     * the token was refused. */
    return db_do(db, err,
                 "UPDATE jobs SET run_after = ?, updated_at = ? WHERE channel_id = ? AND "
                 "state = 'queued' AND run_after > ?",
                 "iiii", now, now, channel_id, now);
}

/* The change, or ERR_NOT_FOUND "channel N is not connected". */
static int changed_one(int64_t n, int64_t channel_id, struct error *err)
{
    if (n < 0)
        return -1;
    if (n == 0)
        return error_set(err, ERR_NOT_FOUND, "channel %lld is not connected",
                         (long long)channel_id);
    return 0;
}

int connection_annotate(struct db *db, json_t *channel, struct error *err)
{
    json_t *id = json_object_get(channel, "id");
    if (!json_is_integer(id))
        return 0;
    struct connection c;
    int got = connection_get(db, json_integer_value(id), &c, err);
    if (got < 0)
        return -1;
    json_t *j = connection_to_json(got ? &c : NULL);
    json_object_del(j, "channel_id");
    json_object_set_new(channel, "connection", j);
    if (!got)
        return 0;
    /* Its work in the job table (syncs, actions), for the desk: how much
     * waits, runs and gave up. */
    struct db_stmt *st = db_query(db, err,
                                  "SELECT state, count(*) FROM jobs WHERE channel_id = ? AND state "
                                  "IN ('queued', 'running', 'failed') GROUP BY state",
                                  "i", (int64_t)json_integer_value(id));
    if (!st)
        return -1;
    json_t *jobs = json_pack("{s:i, s:i, s:i}", "queued", 0, "running", 0, "failed", 0);
    int rc = db_has_row(st) ? 1 : 0;
    for (; rc == 1; rc = db_step(st, err))
        json_object_set_new(jobs, db_col_text(st, 0), json_integer(db_col_int(st, 1)));
    db_finalize(st);
    json_object_set_new(j, "jobs", jobs);
    return rc < 0 ? -1 : 0;
}

int connection_needs_reconnect(struct db *db, int64_t channel_id, const char *problem, int64_t now,
                               struct error *err)
{
    assert(db);
    char *text = model_store_text(problem && *problem ? problem
                                                      : "the platform no longer accepts "
                                                        "kanal's access: connect it again",
                                  CONNECTION_TEXT_MAX);
    int64_t n = db_run(db, err,
                       "UPDATE channel_connections SET state = 'needs_reconnect', problem = ?, "
                       "last_error = ?, last_error_at = ?, updated_at = ? WHERE channel_id = ?",
                       "ttiii", text, text, now, now, channel_id);
    free(text);
    if (changed_one(n, channel_id, err))
        return -1;
    log_warn("channel %lld needs reconnecting: its jobs wait until it is connected again",
             (long long)channel_id);
    return 0;
}

int connection_synced(struct db *db, int64_t channel_id, int64_t now, struct error *err)
{
    assert(db);
    int64_t n = db_run(db, err,
                       "UPDATE channel_connections SET synced_at = ?, last_error = '', "
                       "last_error_at = NULL, updated_at = ? WHERE channel_id = ?",
                       "iii", now, now, channel_id);
    return changed_one(n, channel_id, err);
}

int connection_error(struct db *db, int64_t channel_id, const char *message, int64_t now,
                     struct error *err)
{
    assert(db);
    char *text = model_store_text(message, CONNECTION_TEXT_MAX);
    int64_t n = db_run(db, err,
                       "UPDATE channel_connections SET last_error = ?, last_error_at = ?, "
                       "updated_at = ? WHERE channel_id = ?",
                       "tiii", text, now, now, channel_id);
    free(text);
    return changed_one(n, channel_id, err);
}

int64_t connection_queue_syncs(struct db *db, int64_t now, struct error *err)
{
    assert(db);
    size_t n;
    int64_t *ids = db_ids(db, err, &n,
                          "SELECT channel_id FROM channel_connections WHERE state = "
                          "'connected' ORDER BY channel_id",
                          "");
    if (!ids)
        return -1;
    int64_t queued = 0;
    for (size_t i = 0; i < n && queued >= 0; i++) {
        int got = connection_queue_sync(db, ids[i], now, err);
        if (got < 0)
            queued = -1;
        else if (got == 0)
            queued++;
    }
    free(ids);
    return queued;
}

json_t *connection_errors(struct db *db, struct error *err)
{
    assert(db);
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT c.channel_id, ch.platform, c.state, c.last_error, c.last_error_at "
                 "FROM channel_connections c JOIN channels ch ON ch.id = c.channel_id "
                 "ORDER BY c.channel_id",
                 "");
    if (!st)
        return NULL;
    json_t *items = json_array();
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err))
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:s, s:s, s:I}", "channel_id",
                             (json_int_t)db_col_int(st, 0), "platform", db_col_text(st, 1), "state",
                             db_col_text(st, 2), "last_error", db_col_text(st, 3), "last_error_at",
                             (json_int_t)(db_col_null(st, 4) ? 0 : db_col_int(st, 4))));
    db_finalize(st);
    if (rc < 0) {
        json_decref(items);
        return NULL;
    }
    return items;
}

/* ---- cursors ---------------------------------------------------------------------- */

static int resource_check(const char *resource, struct error *err)
{
    size_t n = resource ? strlen(resource) : 0;
    if (n == 0 || n > SYNC_RESOURCE_MAX || !utf8_valid(resource, n))
        return error_set(err, ERR_INVALID, "cursor resource: must be 1 to %d bytes of UTF-8",
                         SYNC_RESOURCE_MAX);
    return 0;
}

int sync_cursor_get(struct db *db, int64_t channel_id, const char *resource, char **out,
                    struct error *err)
{
    assert(db && out);
    *out = NULL;
    if (resource_check(resource, err))
        return -1;
    struct db_stmt *st =
        db_query(db, err, "SELECT value FROM sync_cursors WHERE channel_id = ? AND resource = ?",
                 "it", channel_id, resource);
    if (!st)
        return -1;
    int found = db_has_row(st);
    if (found)
        *out = xstrdup(db_col_text(st, 0));
    db_finalize(st);
    return found ? 1 : 0;
}

int sync_cursor_set(struct db *db, int64_t channel_id, const char *resource, const char *value,
                    int64_t now, struct error *err)
{
    assert(db);
    if (resource_check(resource, err))
        return -1;
    if (!value)
        return db_do(db, err, "DELETE FROM sync_cursors WHERE channel_id = ? AND resource = ?",
                     "it", channel_id, resource);
    size_t n = strlen(value);
    if (n > SYNC_CURSOR_MAX || !utf8_valid(value, n))
        return error_set(err, ERR_INVALID, "cursor '%s': must be at most %d bytes of UTF-8",
                         resource, SYNC_CURSOR_MAX);
    return db_do(db, err,
                 "INSERT INTO sync_cursors (channel_id, resource, value, updated_at) VALUES "
                 "(?, ?, ?, ?) ON CONFLICT (channel_id, resource) DO UPDATE SET value = "
                 "excluded.value, updated_at = excluded.updated_at",
                 "itti", channel_id, resource, value, now);
}

/* ---- actions ---------------------------------------------------------------------- */

static const char *const action_kinds[] = {"publish", "delete-post",    "reply", "hide",
                                           "unhide",  "delete-message", "like",  NULL};

static bool action_kind_valid(const char *k)
{
    return str_index(action_kinds, k) >= 0;
}

static bool needs_target(const char *kind)
{
    return !str_eq(kind, "publish");
}

static bool needs_text(const char *kind)
{
    return str_eq(kind, "publish") || str_eq(kind, "reply");
}

static int text_field(json_t *body, const char *name, size_t max, bool required, struct error *err)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v)) {
        if (required)
            return error_set(err, ERR_INVALID, "%s: required", name);
        return 0;
    }
    if (!json_is_string(v))
        return error_set(err, ERR_INVALID, "%s: must be a string", name);
    size_t n = json_string_length(v);
    if (n > max)
        return error_set(err, ERR_LIMIT, "%s: longer than %zu bytes", name, max);
    if (required && n == 0)
        return error_set(err, ERR_INVALID, "%s: must not be empty", name);
    return 0;
}

int action_create(struct db *db, const struct action_in *in, int64_t now, int64_t *id,
                  struct error *err)
{
    assert(db && in && id);
    *id = 0;
    if (!in->kind || !action_kind_valid(in->kind))
        return error_set(err, ERR_INVALID,
                         "kind: must be publish, delete-post, reply, hide, unhide, "
                         "delete-message or like, not '%.40s'",
                         in->kind ? in->kind : "");
    if (needs_target(in->kind) && (!in->target || !*in->target))
        return error_set(err, ERR_INVALID,
                         "target: required for %s (the platform's id of the "
                         "post or message)",
                         in->kind);
    if (in->target && !utf8_text(in->target, 0, 200))
        return error_set(err, ERR_INVALID, "target: must be at most 200 bytes of UTF-8");
    if (in->key && !utf8_text(in->key, 1, 200))
        return error_set(err, ERR_INVALID, "key: must be 1 to 200 bytes of UTF-8");
    json_t *body = in->body ? in->body : NULL;
    json_t *empty = NULL;
    if (!body)
        body = empty = json_object();
    int rc = -1;
    char *text = NULL;
    if (channel_exists(db, in->channel_id, err))
        goto done;
    if (!json_is_object(body)) {
        error_set(err, ERR_INVALID, "body: must be a JSON object");
        goto done;
    }
    if (text_field(body, "text", MODEL_TEXT_MAX, needs_text(in->kind), err) ||
        text_field(body, "link", 2048, false, err))
        goto done;
    json_t *media_id = json_object_get(body, "media_id");
    if (media_id && !json_is_null(media_id)) {
        /* An image goes only with a post, and only one of its own workspace. */
        if (!json_is_integer(media_id) || !str_eq(in->kind, "publish")) {
            error_field(err, ERR_INVALID, "media_id",
                        "media_id: an image's id, and only when publishing");
            goto done;
        }
        int found = db_scalar(db, err, NULL,
                              "SELECT 1 FROM media m JOIN channels c ON c.workspace_id = "
                              "m.workspace_id WHERE m.id = ? AND c.id = ?",
                              "ii", (int64_t)json_integer_value(media_id), in->channel_id);
        if (found <= 0) {
            if (found == 0)
                error_field(err, ERR_INVALID, "media_id",
                            "media_id: no image %lld in the channel's workspace",
                            (long long)json_integer_value(media_id));
            goto done;
        }
    }
    text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    char key[64];
    const char *k = in->key;
    if (!k) {
        /* A key nobody else makes: the row's id is not known before the
         * insert, so a random one names it. */
        unsigned char r[12];
        randombytes_buf(r, sizeof r);
        char hex[25];
        str_hex(r, sizeof r, hex);
        snprintf(key, sizeof key, "kanal-%s", hex);
        k = key;
    }
    const int64_t *by = in->requested_by ? &in->requested_by : NULL;
    int64_t n = db_run(db, err,
                       "INSERT INTO connect_actions (channel_id, kind, target, body, key, "
                       "requested_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (key) DO NOTHING",
                       "ittttIii", in->channel_id, in->kind, in->target, text, k, by, now, now);
    if (n < 0)
        goto done;
    int64_t channel;
    struct db_stmt *st;
    int found =
        db_row(db, err, &st, "SELECT id, channel_id FROM connect_actions WHERE key = ?", "t", k);
    if (found <= 0) {
        if (!found)
            error_set(err, ERR_INTERNAL, "action '%s' vanished after it was stored", k);
        goto done;
    }
    *id = db_col_int(st, 0);
    channel = db_col_int(st, 1);
    db_finalize(st);
    if (n == 0 && channel != in->channel_id) {
        error_set(err, ERR_CONFLICT, "key '%s' names an action of another channel", k);
        goto done;
    }
    rc = n == 1 ? 0 : 1;
done:
    free(text);
    json_decref(empty);
    return rc;
}

void action_clear(struct action *a)
{
    if (!a)
        return;
    free(a->target);
    free(a->body);
    free(a->platform_id);
    free(a->permalink);
    free(a->error);
    memset(a, 0, sizeof *a);
}

int action_get(struct db *db, int64_t id, struct action *out, struct error *err)
{
    assert(db && out);
    memset(out, 0, sizeof *out);
    struct db_stmt *st;
    int found =
        db_row(db, err, &st,
               "SELECT id, channel_id, kind, target, body, key, state, platform_id, permalink, "
               "error, requested_by, first_sent_at, created_at, updated_at FROM "
               "connect_actions WHERE id = ?",
               "i", id);
    if (found <= 0)
        return found < 0 ? -1 : error_set(err, ERR_NOT_FOUND, "no action %lld", (long long)id);
    out->id = db_col_int(st, 0);
    out->channel_id = db_col_int(st, 1);
    copy_col(out->kind, sizeof out->kind, st, 2);
    out->target = db_col_dup(st, 3);
    out->body = xstrdup(db_col_text(st, 4));
    copy_col(out->key, sizeof out->key, st, 5);
    int s = str_index(action_state_names, db_col_text(st, 6));
    assert(s >= 0); /* the table's CHECK allows no other */
    out->state = s < 0 ? ACTION_FAILED : (enum action_state)s;
    out->platform_id = db_col_dup(st, 7);
    out->permalink = db_col_dup(st, 8);
    out->error = xstrdup(db_col_text(st, 9));
    out->requested_by = db_col_null(st, 10) ? 0 : db_col_int(st, 10);
    out->first_sent_at = db_col_null(st, 11) ? 0 : db_col_int(st, 11);
    out->created_at = db_col_int(st, 12);
    out->updated_at = db_col_int(st, 13);
    db_finalize(st);
    return 0;
}

json_t *action_to_json(const struct action *a)
{
    json_error_t je;
    json_t *body = json_loads(a->body ? a->body : "{}", 0, &je);
    if (!body)
        body = json_object();
    json_t *o = json_pack("{s:I, s:I, s:s, s:s?, s:o, s:s, s:s, s:s?, s:s?, s:s, s:o, s:o, s:o}",
                          "id", (json_int_t)a->id, "channel_id", (json_int_t)a->channel_id, "kind",
                          a->kind, "target", a->target, "body", body, "key", a->key, "state",
                          action_state_names[a->state], "platform_id", a->platform_id, "permalink",
                          a->permalink, "error", a->error ? a->error : "", "first_sent_at",
                          time_or_null(a->first_sent_at), "created_at", time_or_null(a->created_at),
                          "updated_at", time_or_null(a->updated_at));
    return o;
}

/* Which moves an action may make. A failed action may be queued again (a
 * person's retry); a done one stays done. */
static bool move_allowed(enum action_state from, enum action_state to)
{
    switch (from) {
    case ACTION_QUEUED:
        return to == ACTION_SENT || to == ACTION_FAILED || to == ACTION_QUEUED;
    case ACTION_SENT:
        /* sent again when a lookup found it was not done */
        return true;
    case ACTION_UNKNOWN:
        /* looked up: found (done), not found (sent again), or given up */
        return to == ACTION_SENT || to == ACTION_DONE || to == ACTION_FAILED ||
               to == ACTION_UNKNOWN;
    case ACTION_FAILED:
        return to == ACTION_QUEUED;
    case ACTION_DONE:
    case ACTION_STATE_COUNT:
        return false;
    }
    return false;
}

int action_move(struct db *db, int64_t id, enum action_state to, const struct action_outcome *o,
                int64_t now, struct error *err)
{
    assert(db && to < ACTION_STATE_COUNT);
    struct action a;
    if (action_get(db, id, &a, err))
        return -1;
    enum action_state from = a.state;
    assert(from < ACTION_STATE_COUNT);
    action_clear(&a);
    if (!move_allowed(from, to))
        return error_set(err, ERR_CONFLICT, "action %lld is %s: it cannot become %s", (long long)id,
                         action_state_names[from], action_state_names[to]);
    char *msg = model_store_text(o && o->error ? o->error : "", CONNECTION_TEXT_MAX);
    const char *pid = o && o->platform_id && *o->platform_id ? o->platform_id : NULL;
    const char *link = o && o->permalink && *o->permalink ? o->permalink : NULL;
    /* The state read above is in the WHERE, so two runners racing on one
     * action (which the job lease rules out) cannot both move it. */
    int64_t n = db_run(db, err,
                       "UPDATE connect_actions SET state = ?, error = ?, "
                       "platform_id = COALESCE(?, platform_id), permalink = COALESCE(?, "
                       "permalink), first_sent_at = CASE WHEN ? = 'sent' THEN "
                       "COALESCE(first_sent_at, ?) ELSE first_sent_at END, updated_at = ? "
                       "WHERE id = ? AND state = ?",
                       "tttttiiit", action_state_names[to], msg, pid, link, action_state_names[to],
                       now, now, id, action_state_names[from]);
    free(msg);
    if (n < 0)
        return -1;
    if (n == 0)
        return error_set(err, ERR_CONFLICT, "action %lld changed while it was being moved",
                         (long long)id);
    return 0;
}

int action_withdraw(struct db *db, int64_t id, const char *why, int64_t now, struct error *err)
{
    assert(db && why);
    char key[48];
    snprintf(key, sizeof key, "action:%lld", (long long)id);
    char *msg = model_store_text(why, CONNECTION_TEXT_MAX);
    int64_t n = db_run(db, err,
                       "UPDATE jobs SET state = 'failed', last_error = ?, finished_at = ?, "
                       "updated_at = ? WHERE dedup_key = ? AND state = 'queued' AND EXISTS "
                       "(SELECT 1 FROM connect_actions a WHERE a.id = ? AND a.state = 'queued' "
                       "AND a.first_sent_at IS NULL)",
                       "tiiti", msg, now, now, key, id);
    if (n == 1)
        n = db_run(db, err,
                   "UPDATE connect_actions SET state = 'failed', error = ?, updated_at = ? "
                   "WHERE id = ? AND state = 'queued'",
                   "tii", msg, now, id);
    free(msg);
    return n < 0 ? -1 : n == 1 ? 1 : 0;
}

json_t *action_list(struct db *db, int64_t channel_id, int limit, struct error *err)
{
    assert(db && limit > 0);
    struct db_stmt *st = db_query(db, err,
                                  "SELECT id FROM connect_actions WHERE channel_id = ? ORDER BY "
                                  "id DESC LIMIT ?",
                                  "ii", channel_id, (int64_t)limit);
    if (!st)
        return NULL;
    int64_t ids[MODEL_PAGE_MAX];
    int n = 0, rc = db_has_row(st);
    for (; rc == 1 && n < MODEL_PAGE_MAX; rc = db_step(st, err))
        ids[n++] = db_col_int(st, 0);
    db_finalize(st);
    if (rc < 0)
        return NULL;
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        struct action a;
        if (action_get(db, ids[i], &a, err)) {
            json_decref(items);
            return NULL;
        }
        json_array_append_new(items, action_to_json(&a));
        action_clear(&a);
    }
    return json_pack("{s:o}", "items", items);
}

static json_t *connected_channel_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "channel_id",
                     (json_int_t)db_col_int(st, 0), "workspace_id", (json_int_t)db_col_int(st, 1),
                     "platform", db_col_text(st, 2), "handle", db_col_text(st, 3), "name",
                     db_col_text(st, 4), "state", db_col_text(st, 5), "problem", db_col_text(st, 6),
                     "api_url", db_col_text(st, 7), "connected_at", json_time_col(st, 8),
                     "synced_at", json_time_col(st, 9), "last_error", db_col_text(st, 10),
                     "token_expires_at", json_time_col(st, 11));
}

json_t *connection_list(struct db *db, int64_t workspace_id, struct error *err)
{
    json_t *items = json_rows(
        db_query(db, err,
                 "SELECT c.id, c.workspace_id, c.platform, c.handle, c.name, k.state, k.problem, "
                 "k.api_url, k.connected_at, k.synced_at, k.last_error, t.expires_at FROM "
                 "channels c JOIN channel_connections k ON k.channel_id = c.id LEFT JOIN "
                 "channel_tokens t ON t.channel_id = c.id WHERE ? = 0 OR c.workspace_id = ? "
                 "ORDER BY c.workspace_id, c.id",
                 "ii", workspace_id, workspace_id),
        connected_channel_json, err);
    return items ? page_result(items, NULL) : NULL;
}
