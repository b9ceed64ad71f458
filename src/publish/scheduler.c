/* scheduler: turns scheduled variants that fell due into connect/ actions
 * (one per variant and attempt, under a key the platform sees as its
 * Idempotency-Key, so a crash between sending and recording is looked up,
 * not posted again), and settles each variant from how its action ended.
 * Also the crisis switch: pauses that hold a workspace's or some channels'
 * posts, and the resume that decides what happens to those whose time
 * passed. Runs inside `kanal serve` (connect's worker calls publish_tick)
 * and from `kanal publish run`. */
#include "notify/notify.h"
#include "publish/publish.h"
#include "connect/connect.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUE_BATCH 200 /* variants looked at per pass, handed over in one transaction */
/* Passes per tick while they come back full: a backlog (10,000 posts due at
 * one minute) is handed over at what the store takes, not DUE_BATCH a
 * second, and a tick still ends so that settling and claiming go on. */
#define TICK_PASSES 10

static int audit(struct db *db, int64_t ws, int64_t user, const char *action, int64_t post,
                 json_t *detail, struct error *err)
{
    return audit_record_json(db, ws, user, action, "post", post, detail, err);
}

enum publish_due publish_due_decision(int64_t scheduled_at, int64_t now, const char *late_policy,
                                      int64_t late_after)
{
    if (scheduled_at > now)
        return DUE_NOT_YET;
    if (now - scheduled_at > late_after && str_eq(late_policy, "hold"))
        return DUE_HOLD;
    return DUE_SEND;
}

/* A variant that could not be posted, in the log; the author and the desk
 * are told through notify_post_failed in the same transaction. */
static void publish_failed_notify(int64_t ws, int64_t post_id, int64_t variant_id,
                                  const char *message)
{
    log_warn("workspace %lld: post %lld variant %lld failed: %s", (long long)ws, (long long)post_id,
             (long long)variant_id, message);
}

/* ---- handing due variants over ------------------------------------------------ */

struct due {
    int64_t id, post_id, channel_id, ws, at, late_after;
    char policy[16];
    char *text;
};

/* Inside a transaction: holds the variant for the desk (back to approved,
 * with the reason), if it is still scheduled and not handed over. */
static int hold_one(struct db *db, const struct due *d, int64_t now, const char *reason,
                    int64_t user, bool *moved, struct error *err)
{
    int64_t n = db_run(db, err,
                       "UPDATE post_variants SET status = 'approved', hold_reason = ?, "
                       "updated_at = ? WHERE id = ? AND status = 'scheduled' AND action_id IS NULL",
                       "tii", reason, now, d->id);
    if (n < 0)
        return -1;
    *moved = n == 1;
    if (!*moved)
        return 0;
    return publish_refresh_status(db, d->post_id, err) ||
                   audit(db, d->ws, user, "hold", d->post_id,
                         json_pack("{s:I, s:s, s:o}", "variant_id", (json_int_t)d->id, "reason",
                                   reason, "scheduled_at", json_time(d->at)),
                         err)
               ? -1
               : 0;
}

/* Inside a transaction: the variant becomes action "kanal-variant-ID-N"
 * and the job that runs it. The conditional update is the claim: of two
 * nodes looking at one due variant, the second updates nothing. */
static int hand_over(struct db *db, const struct due *d, int64_t now, const char *public_url,
                     bool *moved, struct error *err)
{
    int64_t n = db_run(db, err,
                       "UPDATE post_variants SET publish_attempt = publish_attempt + 1, "
                       "action_id = 0, updated_at = ? WHERE id = ? AND status = 'scheduled' "
                       "AND action_id IS NULL",
                       "ii", now, d->id);
    if (n < 0)
        return -1;
    *moved = n == 1;
    if (!*moved)
        return 0;
    int64_t attempt;
    if (db_scalar(db, err, &attempt, "SELECT publish_attempt FROM post_variants WHERE id = ?", "i",
                  d->id) != 1)
        return -1;
    char key[64];
    snprintf(key, sizeof key, "kanal-variant-%lld-%lld", (long long)d->id, (long long)attempt);
    /* Its links become short links with its channel's and campaign's UTM,
     * made in this transaction: a retry under the next key finds them. */
    struct buf text = {0};
    if (public_url && *public_url) {
        struct publish_shorten sh = {.workspace_id = d->ws,
                                     .post_id = d->post_id,
                                     .channel_id = d->channel_id,
                                     .text = d->text,
                                     .public_url = public_url};
        if (publish_shorten_links(db, &sh, &text, NULL, err)) {
            buf_free(&text);
            return -1;
        }
    } else {
        buf_puts(&text, d->text);
    }
    json_t *body = json_pack("{s:s}", "text", text.data ? text.data : "");
    buf_free(&text);
    struct action_in in = {
        .channel_id = d->channel_id, .kind = "publish", .body = body, .key = key};
    int64_t action_id;
    int made = action_create(db, &in, now, &action_id, err);
    json_decref(body);
    if (made < 0)
        return -1;
    if (connect_queue_action_job(db, d->channel_id, action_id, now, err))
        return -1;
    if (db_run(db, err, "UPDATE post_variants SET action_id = ? WHERE id = ?", "ii", action_id,
               d->id) < 0)
        return -1;
    return audit(db, d->ws, 0, "publish_start", d->post_id,
                 json_pack("{s:I, s:I, s:o, s:b}", "variant_id", (json_int_t)d->id, "action_id",
                           (json_int_t)action_id, "scheduled_at", json_time(d->at), "late",
                           now - d->at > d->late_after),
                 err);
}

static const char paused_sql[] =
    "EXISTS (SELECT 1 FROM publish_pauses z WHERE z.workspace_id = p.workspace_id "
    "AND z.resumed_at IS NULL AND (z.until_at IS NULL OR z.until_at > ?) "
    "AND (z.channel_id IS NULL OR z.channel_id = v.channel_id))";

/* One pass: 1 when it was full (more may be due), 0, or -1 and err. */
static int queue_due(struct db *db, int64_t now, const char *public_url,
                     struct publish_tick_stats *stats, struct error *err)
{
    char sql[1200];
    snprintf(sql, sizeof sql,
             "SELECT v.id, v.post_id, v.channel_id, p.workspace_id, v.scheduled_at, "
             "w.late_policy, w.late_after, COALESCE(v.body, p.body) FROM post_variants v "
             "JOIN posts p ON p.id = v.post_id JOIN workspaces w ON w.id = p.workspace_id "
             "WHERE v.status = 'scheduled' AND v.action_id IS NULL AND v.scheduled_at <= ? "
             "AND NOT %s ORDER BY v.scheduled_at, v.id LIMIT %d",
             paused_sql, DUE_BATCH);
    struct db_stmt *st = db_query(db, err, sql, "ii", now, now);
    if (!st)
        return -1;
    struct due ds[DUE_BATCH];
    size_t n = 0;
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1 && n < DUE_BATCH; rc = db_step(st, err)) {
        struct due *d = &ds[n++];
        d->id = db_col_int(st, 0);
        d->post_id = db_col_int(st, 1);
        d->channel_id = db_col_int(st, 2);
        d->ws = db_col_int(st, 3);
        d->at = db_col_int(st, 4);
        snprintf(d->policy, sizeof d->policy, "%s", db_col_text(st, 5));
        d->late_after = db_col_int(st, 6);
        d->text = xstrdup(db_col_text(st, 7));
    }
    db_finalize(st);
    /* The pass in one transaction: a commit per variant was most of a
     * tick's time. Each variant's conditional update is still its own
     * claim, so two nodes' passes over the same variants hand each over
     * once; a failure rolls the pass back and the next tick tries again. */
    struct publish_tick_stats pass = {0};
    if (rc >= 0 && n && db_begin(db, err))
        rc = -1;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        struct due *d = &ds[i];
        enum publish_due what = publish_due_decision(d->at, now, d->policy, d->late_after);
        assert(what != DUE_NOT_YET);
        bool moved = false;
        char reason[200];
        snprintf(reason, sizeof reason,
                 "its time passed %lld s before kanal could post it, and the workspace holds "
                 "late posts for the desk",
                 (long long)(now - d->at));
        if (what == DUE_HOLD ? hold_one(db, d, now, reason, 0, &moved, err)
                             : hand_over(db, d, now, public_url, &moved, err)) {
            db_rollback(db);
            rc = -1;
            break;
        }
        if (moved && what == DUE_HOLD)
            pass.held++;
        else if (moved)
            pass.queued++;
    }
    if (rc >= 0 && n && db_commit(db, err)) {
        db_rollback(db);
        rc = -1;
    }
    if (rc >= 0) {
        stats->held += pass.held;
        stats->queued += pass.queued;
    }
    for (size_t i = 0; i < n; i++)
        free(ds[i].text);
    return rc < 0 ? -1 : n == DUE_BATCH;
}

/* ---- taking a variant back from the connector ------------------------------------ */

int publish_withdraw(struct db *db, int64_t vid, const char *why, int64_t now, struct error *err)
{
    struct db_stmt *st;
    int found =
        db_row(db, err, &st,
               "SELECT v.action_id, a.state, c.name, c.platform, a.first_sent_at, "
               "(SELECT j.state FROM jobs j WHERE j.dedup_key = 'action:' || a.id "
               "ORDER BY j.id DESC LIMIT 1) FROM post_variants v "
               "JOIN connect_actions a ON a.id = v.action_id "
               "JOIN channels c ON c.id = v.channel_id WHERE v.id = ? AND v.status = 'scheduled'",
               "i", vid);
    if (found <= 0)
        return found; /* 0: not handed over, nothing to take back */
    int64_t action = db_col_int(st, 0), sent_at = db_col_null(st, 4) ? 0 : db_col_int(st, 4);
    char state[16], name[128], platform[16], job[16];
    snprintf(state, sizeof state, "%s", db_col_text(st, 1));
    snprintf(name, sizeof name, "%s", db_col_text(st, 2));
    snprintf(platform, sizeof platform, "%s", db_col_text(st, 3));
    snprintf(job, sizeof job, "%s", db_col_text(st, 5));
    db_finalize(st);
    assert(action > 0); /* 0 only inside hand_over's own transaction */
    char reason[300];
    snprintf(reason, sizeof reason, "withdrawn before it was sent: %s", why);
    int taken = action_withdraw(db, action, reason, now, err);
    if (taken < 0)
        return -1;
    if (!taken) {
        const char *where = str_eq(state, "done")    ? "has already been posted"
                            : str_eq(job, "running") ? "is being sent right now"
                            : sent_at                ? "was sent once and waits for a retry"
                                                     : "is being handed over";
        return error_set(err, ERR_CONFLICT,
                         "variant %lld %s to %s (%s, action %lld is %s): kanal can no longer "
                         "stop or change it; once it is out, edit or delete it on %s itself",
                         (long long)vid, where, name, platform, (long long)action, state, platform);
    }
    return db_do(db, err, "UPDATE post_variants SET action_id = NULL, updated_at = ? WHERE id = ?",
                 "ii", now, vid);
}

/* ---- settling variants from their actions --------------------------------------- */

struct settle {
    int64_t id, post_id, ws;
    bool done;
    char *platform_id, *permalink, *error;
};

/* One pass of at most 200: 1 when it was full, 0, or -1 and err. */
static int settle(struct db *db, int64_t now, struct publish_tick_stats *stats, struct error *err)
{
    /* Done or failed actions, and actions whose job gave up (no queued or
     * running job left, the last one failed). */
    struct db_stmt *st = db_query(
        db, err,
        "SELECT v.id, v.post_id, p.workspace_id, a.state, a.platform_id, a.permalink, a.error, "
        "(SELECT j.last_error FROM jobs j WHERE j.dedup_key = 'action:' || a.id "
        "AND j.state = 'failed' ORDER BY j.id DESC LIMIT 1) "
        "FROM post_variants v JOIN posts p ON p.id = v.post_id "
        "JOIN connect_actions a ON a.id = v.action_id "
        "WHERE v.status = 'scheduled' AND (a.state IN ('done', 'failed') OR NOT EXISTS "
        "(SELECT 1 FROM jobs j WHERE j.dedup_key = 'action:' || a.id "
        "AND j.state IN ('queued', 'running'))) ORDER BY v.id LIMIT 200",
        "");
    if (!st)
        return -1;
    struct settle ss[200];
    size_t n = 0;
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1 && n < ARRAY_LEN(ss); rc = db_step(st, err)) {
        struct settle *s = &ss[n++];
        s->id = db_col_int(st, 0);
        s->post_id = db_col_int(st, 1);
        s->ws = db_col_int(st, 2);
        s->done = str_eq(db_col_text(st, 3), "done");
        s->platform_id = db_col_null(st, 4) ? NULL : xstrdup(db_col_text(st, 4));
        s->permalink = db_col_null(st, 5) ? NULL : xstrdup(db_col_text(st, 5));
        const char *why = *db_col_text(st, 6) ? db_col_text(st, 6) : db_col_text(st, 7);
        s->error = xstrdup(*why ? why : "the platform could not be reached");
    }
    db_finalize(st);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        struct settle *s = &ss[i];
        int64_t moved;
        if (db_begin(db, err))
            goto broke;
        if (s->done)
            moved = db_run(db, err,
                           "UPDATE post_variants SET status = 'published', platform_id = ?, "
                           "permalink = ?, published_at = ?, publish_error = '', updated_at = ? "
                           "WHERE id = ? AND status = 'scheduled'",
                           "ttiii", s->platform_id, s->permalink, now, now, s->id);
        else
            moved = db_run(db, err,
                           "UPDATE post_variants SET status = 'failed', publish_error = ?, "
                           "updated_at = ? WHERE id = ? AND status = 'scheduled'",
                           "tii", s->error, now, s->id);
        if (moved < 0)
            goto broke;
        if (moved == 1 &&
            (publish_refresh_status(db, s->post_id, err) ||
             audit(db, s->ws, 0, s->done ? "published" : "publish_failed", s->post_id,
                   s->done ? json_pack("{s:I, s:s?, s:s?}", "variant_id", (json_int_t)s->id,
                                       "platform_id", s->platform_id, "permalink", s->permalink)
                           : json_pack("{s:I, s:s}", "variant_id", (json_int_t)s->id, "error",
                                       s->error),
                   err) ||
             /* the author and the desk are told, with the failure itself */
             (!s->done && notify_post_failed(db, s->ws, s->post_id, s->id, s->error, err))))
            goto broke;
        if (db_commit(db, err))
            goto broke;
        if (moved == 1 && s->done)
            stats->published++;
        if (moved == 1 && !s->done) {
            stats->failed++;
            publish_failed_notify(s->ws, s->post_id, s->id, s->error);
        }
        continue;
    broke:
        db_rollback(db);
        rc = -1;
    }
    for (size_t i = 0; i < n; i++) {
        free(ss[i].platform_id);
        free(ss[i].permalink);
        free(ss[i].error);
    }
    return rc < 0 ? -1 : n == ARRAY_LEN(ss);
}

int publish_tick(struct db *db, int64_t now, const char *public_url,
                 struct publish_tick_stats *stats, struct error *err)
{
    assert(db && stats);
    memset(stats, 0, sizeof *stats);
    int more = 1;
    for (int i = 0; more == 1 && i < TICK_PASSES; i++)
        more = settle(db, now, stats, err);
    if (more < 0)
        return -1;
    more = 1;
    for (int i = 0; more == 1 && i < TICK_PASSES; i++)
        more = queue_due(db, now, public_url, stats, err);
    return more < 0 ? -1 : 0;
}

/* ---- the workspace's late policy ------------------------------------------------ */

json_t *publish_settings_get(struct db *db, int64_t ws, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err, "SELECT late_policy, late_after FROM workspaces WHERE id = ?", "i", ws);
    if (!st)
        return NULL;
    json_t *out = NULL;
    if (db_has_row(st))
        out = json_pack("{s:s, s:I}", "late_policy", db_col_text(st, 0), "late_after",
                        (json_int_t)db_col_int(st, 1));
    else
        error_set(err, ERR_NOT_FOUND, "no workspace %lld", (long long)ws);
    db_finalize(st);
    return out;
}

/* A request's body: an object ("expected a JSON object" and `shape`, what
 * it should hold, otherwise) with no member but those in `known` ("NAME:
 * unknown field (expected LIST)"). 0, or -1 and err. */
static int body_check(json_t *in, const char *shape, const char *const *known, const char *list,
                      struct error *err)
{
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "expected a JSON object%s", shape);
    const char *key = json_unknown_member(in, known);
    if (key)
        return error_field(err, ERR_INVALID, key, "%s: unknown field (expected %s)", key, list);
    return 0;
}

json_t *publish_settings_set(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                             struct error *err)
{
    static const char *const known[] = {"late_policy", "late_after", NULL};
    if (body_check(in, " with late_policy and/or late_after", known, "late_policy or late_after",
                   err))
        return NULL;
    json_t *policy = json_object_get(in, "late_policy");
    json_t *after = json_object_get(in, "late_after");
    if (policy &&
        (!json_is_string(policy) || (!str_eq(json_string_value(policy), "hold") &&
                                     !str_eq(json_string_value(policy), "publish_late")))) {
        error_field(err, ERR_INVALID, "late_policy", "late_policy: must be publish_late or hold");
        return NULL;
    }
    if (after && (!json_is_integer(after) || json_integer_value(after) < 0 ||
                  json_integer_value(after) > 7 * 86400)) {
        error_field(err, ERR_INVALID, "late_after",
                    "late_after: must be a number of seconds from 0 to 604800");
        return NULL;
    }
    if (db_begin(db, err))
        return NULL;
    int64_t after_s = after ? (int64_t)json_integer_value(after) : 0;
    int64_t n = db_run(db, err,
                       "UPDATE workspaces SET late_policy = COALESCE(?, late_policy), "
                       "late_after = COALESCE(?, late_after), updated_at = ? WHERE id = ?",
                       "tIii", policy ? json_string_value(policy) : NULL, after ? &after_s : NULL,
                       time_now(), ws);
    if (n < 0)
        goto fail;
    if (audit_record_json(db, ws, who ? who->user_id : 0, "publish_settings", "workspace", ws,
                          json_incref(in), err) ||
        db_commit(db, err))
        goto fail;
    return publish_settings_get(db, ws, err);
fail:
    db_rollback(db);
    return NULL;
}

/* ---- the crisis switch ----------------------------------------------------------- */

static json_t *pause_json(struct db_stmt *st)
{
    return json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:s, s:s}", "id",
                     (json_int_t)db_col_int(st, 0), "channel_id", json_int_col(st, 1), "reason",
                     db_col_text(st, 2), "until", json_time_col(st, 3), "paused_by",
                     json_int_col(st, 4), "paused_at", json_time(db_col_int(st, 5)),
                     "paused_by_name", db_col_text(st, 6), "channel", db_col_text(st, 7));
}

json_t *publish_pauses(struct db *db, int64_t ws, int64_t now, struct error *err)
{
    struct db_stmt *st = db_query(db, err,
                                  "SELECT z.id, z.channel_id, z.reason, z.until_at, z.paused_by, "
                                  "z.paused_at, COALESCE(NULLIF(u.name, ''), u.email, ''), "
                                  "COALESCE(c.name, '') FROM publish_pauses z "
                                  "LEFT JOIN users u ON u.id = z.paused_by "
                                  "LEFT JOIN channels c ON c.id = z.channel_id "
                                  "WHERE z.workspace_id = ? AND z.resumed_at IS NULL AND "
                                  "(z.until_at IS NULL OR z.until_at > ?) ORDER BY z.id",
                                  "ii", ws, now);
    json_t *items = json_rows(st, pause_json, err);
    if (!items)
        return NULL;
    return json_pack("{s:b, s:o}", "paused", json_array_size(items) > 0, "items", items);
}

/* channels: NULL or [] for the whole workspace, else the workspace's channel ids. */
static int channel_ids(struct db *db, int64_t ws, json_t *channels, int64_t *ids, size_t *n,
                       size_t max, struct error *err)
{
    *n = 0;
    if (!channels || json_is_null(channels))
        return 0;
    if (!json_is_array(channels) || json_array_size(channels) > max)
        return error_field(err, ERR_INVALID, "channels",
                           "channels: expected an array of at most %zu channel ids", max);
    size_t i;
    json_t *c;
    json_array_foreach (channels, i, c) {
        if (!json_is_integer(c))
            return error_field(err, ERR_INVALID, "channels", "channels[%zu]: expected a channel id",
                               i);
        int64_t id = json_integer_value(c), found;
        int got =
            db_scalar(db, err, &found, "SELECT id FROM channels WHERE id = ? AND workspace_id = ?",
                      "ii", id, ws);
        if (got < 0)
            return -1;
        if (!got)
            return error_field(err, ERR_INVALID, "channels",
                               "channels[%zu]: no channel %lld in this workspace", i,
                               (long long)id);
        ids[(*n)++] = id;
    }
    return 0;
}

/* The channels a pause or a resume names (n 0: the whole workspace). */
struct channel_set {
    int64_t ids[100];
    size_t n;
};

/* Opens the transaction a pause or a resume runs in and reads the channels
 * of its `in` (channel_ids) in it. On failure nothing is left open: the
 * transaction is rolled back. */
static int begin_on_channels(struct db *db, int64_t ws, json_t *in, struct channel_set *cs,
                             struct error *err)
{
    if (db_begin(db, err))
        return -1;
    if (channel_ids(db, ws, json_object_get(in, "channels"), cs->ids, &cs->n, ARRAY_LEN(cs->ids),
                    err)) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

/* Inside the pause's transaction: the variants of the paused channels (all
 * when n is 0) already handed over to the connector are taken back; those
 * being sent are listed in `sending` ({variant_id, post_id, channel_id,
 * message}), since a pause cannot stop them. Returns how many were taken
 * back, or -1. */
static int64_t withdraw_paused(struct db *db, int64_t ws, const int64_t *ids, size_t n, int64_t now,
                               json_t *sending, struct error *err)
{
    struct db_stmt *st =
        db_query(db, err,
                 "SELECT v.id, v.post_id, v.channel_id FROM post_variants v "
                 "JOIN posts p ON p.id = v.post_id WHERE p.workspace_id = ? AND "
                 "v.status = 'scheduled' AND v.action_id IS NOT NULL ORDER BY v.id",
                 "i", ws);
    if (!st)
        return -1;
    size_t cap = 16, m = 0;
    int64_t(*vs)[3] = xmalloc(cap * sizeof *vs);
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        int64_t channel = db_col_int(st, 2);
        bool in_scope = n == 0;
        for (size_t i = 0; i < n && !in_scope; i++)
            in_scope = ids[i] == channel;
        if (!in_scope)
            continue;
        if (m == cap)
            vs = xrealloc(vs, (cap *= 2) * sizeof *vs);
        vs[m][0] = db_col_int(st, 0);
        vs[m][1] = db_col_int(st, 1);
        vs[m][2] = channel;
        m++;
    }
    db_finalize(st);
    int64_t taken = 0;
    for (size_t i = 0; rc >= 0 && i < m; i++) {
        struct error e = {0};
        if (publish_withdraw(db, vs[i][0], "the publishing was paused", now, &e) == 0) {
            taken++;
        } else if (e.kind == ERR_CONFLICT) {
            json_array_append_new(sending,
                                  json_pack("{s:I, s:I, s:I, s:s}", "variant_id",
                                            (json_int_t)vs[i][0], "post_id", (json_int_t)vs[i][1],
                                            "channel_id", (json_int_t)vs[i][2], "message", e.msg));
        } else {
            *err = e;
            rc = -1;
        }
    }
    free(vs);
    return rc < 0 ? -1 : taken;
}

json_t *publish_pause(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                      struct error *err)
{
    static const char *const known[] = {"reason", "channels", "until", NULL};
    if (body_check(in, ": {reason, channels?, until?}", known, "reason, channels, until", err))
        return NULL;
    json_t *reason = json_object_get(in, "reason");
    const char *r = json_string_value(reason);
    if (!utf8_text(r, 1, 1000)) {
        error_field(err, ERR_INVALID, "reason",
                    "reason: required, what made the pause necessary (1 to 1000 bytes of UTF-8)");
        return NULL;
    }
    int64_t now = time_now(), until = 0;
    json_t *u = json_object_get(in, "until");
    if (u && !json_is_null(u)) {
        if (publish_future_time("until", json_string_value(u), now, &until, err))
            return NULL;
    }
    struct channel_set cs;
    if (begin_on_channels(db, ws, in, &cs, err))
        return NULL;
    const int64_t *by = who && who->user_id ? &who->user_id : NULL;
    for (size_t i = 0; i < (cs.n ? cs.n : 1); i++) {
        int64_t id;
        if (db_insert(db, err, &id,
                      "INSERT INTO publish_pauses (workspace_id, channel_id, reason, until_at, "
                      "paused_by, paused_at) VALUES (?, ?, ?, ?, ?, ?)",
                      "iItIIi", ws, cs.n ? &cs.ids[i] : NULL, r, until ? &until : NULL, by, now))
            goto fail;
    }
    json_t *sending = json_array();
    int64_t withdrawn = withdraw_paused(db, ws, cs.ids, cs.n, now, sending, err);
    if (withdrawn < 0) {
        json_decref(sending);
        goto fail;
    }
    json_t *detail =
        json_pack("{s:s, s:O?, s:o, s:I, s:O}", "reason", r, "channels",
                  json_object_get(in, "channels"), "until", until ? json_time(until) : json_null(),
                  "withdrawn", (json_int_t)withdrawn, "sending", sending);
    int rc =
        audit_record_json(db, ws, who ? who->user_id : 0, "pause", "workspace", ws, detail, err);
    if (rc || db_commit(db, err)) {
        json_decref(sending);
        goto fail;
    }
    json_t *out = publish_pauses(db, ws, now, err);
    if (out) {
        json_object_set_new(out, "withdrawn", json_integer((json_int_t)withdrawn));
        json_object_set(out, "sending", sending);
    }
    json_decref(sending);
    return out;
fail:
    db_rollback(db);
    return NULL;
}

json_t *publish_resume(struct db *db, int64_t ws, json_t *in, const struct actor *who,
                       struct error *err)
{
    static const char *const known[] = {"late", "at", "channels", NULL};
    if (body_check(in, ": {late: publish_now|hold|reschedule, at?, channels?}", known,
                   "late, at, channels", err))
        return NULL;
    const char *late = json_string_value(json_object_get(in, "late"));
    if (!late ||
        (!str_eq(late, "publish_now") && !str_eq(late, "hold") && !str_eq(late, "reschedule"))) {
        error_field(err, ERR_INVALID, "late",
                    "late: required, what to do with posts whose time passed during the pause: "
                    "publish_now, hold or reschedule");
        return NULL;
    }
    int64_t now = time_now(), at = 0;
    const char *at_s = json_string_value(json_object_get(in, "at"));
    if (str_eq(late, "reschedule")) {
        if (!at_s || time_parse_iso(at_s, &at)) {
            error_field(err, ERR_INVALID, "at",
                        "at: reschedule needs a time (ISO 8601, such as 2026-03-01T09:00:00Z)");
            return NULL;
        }
        if (at <= now) {
            error_field(err, ERR_INVALID, "at", "at: %s is in the past", at_s);
            return NULL;
        }
    } else if (json_object_get(in, "at")) {
        error_field(err, ERR_INVALID, "at", "at: only with late = reschedule");
        return NULL;
    }
    struct channel_set cs;
    if (begin_on_channels(db, ws, in, &cs, err))
        return NULL;
    /* Which pauses end: all of the workspace's, or those of the channels named. */
    const int64_t *by = who && who->user_id ? &who->user_id : NULL;
    int64_t ended = 0;
    for (size_t i = 0; i < (cs.n ? cs.n : 1); i++) {
        int64_t k = db_run(db, err,
                           "UPDATE publish_pauses SET resumed_at = ?, resumed_by = ? "
                           "WHERE workspace_id = ? AND resumed_at IS NULL AND (? = 0 OR "
                           "channel_id = ?)",
                           "iIiii", now, by, ws, cs.n ? cs.ids[i] : 0, cs.n ? cs.ids[i] : 0);
        if (k < 0)
            goto fail;
        ended += k;
    }
    if (!ended) {
        error_set(err, ERR_CONFLICT, "nothing is paused %s",
                  cs.n ? "on those channels" : "in this workspace");
        goto fail;
    }
    /* The posts whose time passed and that nothing else holds now: the
     * explicit choice decides. */
    char sql[1200];
    snprintf(sql, sizeof sql,
             "SELECT v.id, v.post_id, v.scheduled_at FROM post_variants v "
             "JOIN posts p ON p.id = v.post_id WHERE p.workspace_id = ? "
             "AND v.status = 'scheduled' AND v.action_id IS NULL AND v.scheduled_at <= ? "
             "AND NOT %s ORDER BY v.id",
             paused_sql);
    struct db_stmt *st = db_query(db, err, sql, "iii", ws, now, now);
    if (!st)
        goto fail;
    size_t cap = 64, m = 0;
    int64_t(*late_ids)[3] = xmalloc(cap * sizeof *late_ids);
    int rc;
    for (rc = db_has_row(st) ? 1 : 0; rc == 1; rc = db_step(st, err)) {
        if (m == cap)
            late_ids = xrealloc(late_ids, (cap *= 2) * sizeof *late_ids);
        late_ids[m][0] = db_col_int(st, 0);
        late_ids[m][1] = db_col_int(st, 1);
        late_ids[m][2] = db_col_int(st, 2);
        m++;
    }
    db_finalize(st);
    for (size_t i = 0; rc >= 0 && i < m; i++) {
        int64_t vid = late_ids[i][0], post = late_ids[i][1], was = late_ids[i][2];
        int64_t k;
        if (str_eq(late, "hold"))
            k = db_run(db, err,
                       "UPDATE post_variants SET status = 'approved', hold_reason = ?, "
                       "updated_at = ? WHERE id = ?",
                       "tii", "its time passed during a pause, and the resume held it for the desk",
                       now, vid);
        else /* publish now: due now, not late; reschedule: at the new time */
            k = db_run(db, err,
                       "UPDATE post_variants SET scheduled_at = ?, updated_at = ? WHERE id = ?",
                       "iii", str_eq(late, "reschedule") ? at : now, now, vid);
        if (k < 0 || publish_refresh_status(db, post, err) ||
            audit(
                db, ws, who ? who->user_id : 0, str_eq(late, "hold") ? "hold" : "reschedule", post,
                json_pack("{s:I, s:s, s:o, s:o}", "variant_id", (json_int_t)vid, "after_pause",
                          late, "was", json_time(was), "at",
                          str_eq(late, "hold") ? json_null()
                                               : json_time(str_eq(late, "reschedule") ? at : now)),
                err))
            rc = -1;
    }
    free(late_ids);
    if (rc < 0)
        goto fail;
    json_t *detail = json_pack("{s:s, s:O?, s:I}", "late", late, "channels",
                               json_object_get(in, "channels"), "late_posts", (json_int_t)m);
    rc = audit_record_json(db, ws, who ? who->user_id : 0, "resume", "workspace", ws, detail, err);
    if (rc || db_commit(db, err))
        goto fail;
    json_t *out = publish_pauses(db, ws, now, err);
    if (out)
        json_object_set_new(out, "late_posts", json_integer((json_int_t)m));
    return out;
fail:
    db_rollback(db);
    return NULL;
}
