/* job: the durable job table background work runs on (model.h says how a
 * worker uses it). Claims, leases and backoff live here so that every kind
 * of job (sync, publishing, listening) gets the same guarantees: one runner
 * at a time, nothing lost when a worker dies, no retry storm. */
#include "model/internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const job_state_names[JOB_STATE_COUNT + 1] = {"queued", "running", "done", "failed",
                                                          NULL};

static bool kind_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > JOB_KIND_MAX)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || *k == '_'))
            return false;
    return true;
}

char *model_store_text(const char *msg, size_t max)
{
    struct buf b = {0};
    const char *p = msg ? msg : "", *end = p + strlen(p);
    while (p < end) {
        const char *at = p;
        int32_t cp = utf8_decode(&p, end);
        size_t n = cp < 0 ? 1 : (size_t)(p - at);
        if (b.len + n > max)
            break;
        if (cp < 0)
            buf_putc(&b, '?');
        else
            buf_append(&b, at, n);
    }
    if (!b.data)
        buf_puts(&b, "");
    return buf_steal(&b);
}

int64_t job_backoff(int attempts)
{
    assert(attempts >= 1);
    int64_t wait = JOB_BACKOFF_BASE;
    for (int i = 1; i < attempts && wait < JOB_BACKOFF_CAP; i++)
        wait *= 2;
    return wait < JOB_BACKOFF_CAP ? wait : JOB_BACKOFF_CAP;
}

static int validate(const struct job_in *in, struct error *err)
{
    if (!in->kind || !kind_valid(in->kind))
        return error_set(err, ERR_INVALID,
                         "kind: must be 1 to %d lower-case letters or '_', not '%.40s'",
                         JOB_KIND_MAX, in->kind ? in->kind : "");
    if (in->key && !utf8_text(in->key, 1, JOB_KEY_MAX))
        return error_set(err, ERR_INVALID, "key: must be 1 to %d bytes of UTF-8", JOB_KEY_MAX);
    if (in->max_attempts < 0 || in->max_attempts > JOB_ATTEMPTS_MAX)
        return error_set(err, ERR_INVALID, "max_attempts: must be from 1 to %d", JOB_ATTEMPTS_MAX);
    if (in->channel_id < 0 || in->run_after < 0)
        return error_set(err, ERR_INVALID, "%s: must not be negative",
                         in->channel_id < 0 ? "channel_id" : "run_after");
    if (in->payload) {
        if (strlen(in->payload) > JOB_PAYLOAD_MAX)
            return error_set(err, ERR_LIMIT, "payload: longer than %d bytes", JOB_PAYLOAD_MAX);
        json_error_t je;
        json_t *j = json_loads(in->payload, JSON_REJECT_DUPLICATES, &je);
        bool object = json_is_object(j);
        json_decref(j);
        if (!object)
            return error_set(err, ERR_INVALID, "payload: not a JSON object%s%s", j ? "" : ": ",
                             j ? "" : je.text);
    }
    return 0;
}

int job_enqueue(struct db *db, const struct job_in *in, int64_t now, int64_t *id, struct error *err)
{
    assert(db && in && id);
    if (validate(in, err))
        return -1;
    int64_t run_after = in->run_after ? in->run_after : now;
    int64_t max_attempts = in->max_attempts ? in->max_attempts : JOB_ATTEMPTS_DEFAULT;
    const int64_t *channel = in->channel_id ? &in->channel_id : NULL;
    if (!in->key)
        return db_insert(db, err, id,
                         "INSERT INTO jobs (kind, channel_id, payload, run_after, max_attempts, "
                         "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         "tItiiii", in->kind, channel, in->payload ? in->payload : "{}", run_after,
                         max_attempts, now, now);
    /* The partial unique index on the key answers a second enqueue; the
     * job it clashed with may end between the insert and the look-up, so
     * the pair is tried again then. */
    for (int tries = 0; tries < 3; tries++) {
        int64_t n = db_run(db, err,
                           "INSERT INTO jobs (kind, channel_id, dedup_key, payload, run_after, "
                           "max_attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT DO NOTHING",
                           "tIttiiii", in->kind, channel, in->key, in->payload ? in->payload : "{}",
                           run_after, max_attempts, now, now);
        if (n < 0)
            return -1;
        int found = db_scalar(db, err, id,
                              "SELECT id FROM jobs WHERE dedup_key = ? AND state IN "
                              "('queued', 'running')",
                              "t", in->key);
        if (found)
            return found < 0 ? -1 : n == 1 ? 0 : 1;
    }
    return error_set(err, ERR_CONFLICT, "job '%s' keeps changing; try again", in->key);
}

void job_clear(struct job *j)
{
    if (j)
        free(j->payload);
}

void job_payload_put(char *out, size_t size, const char *member, int64_t id)
{
    assert(out && member);
    snprintf(out, size, "{\"%s\": %lld}", member, (long long)id);
}

bool job_payload_id(const struct job *j, const char *member, int64_t *id)
{
    assert(j && member && id);
    json_t *p = json_loads(j->payload ? j->payload : "", 0, NULL);
    json_t *v = json_object_get(p, member);
    bool named = json_is_integer(v);
    *id = named ? json_integer_value(v) : 0;
    json_decref(p);
    return named;
}

int job_claim(struct db *db, const char *owner, const char *kind, int64_t lease, int64_t now,
              struct job *out, struct error *err)
{
    assert(db && owner && *owner && lease > 0 && out);
    memset(out, 0, sizeof *out);
    /* A channel that needs reconnecting has its jobs held: they would only
     * fail against a token the platform no longer takes. */
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT id, kind, channel_id, payload, attempts, max_attempts FROM jobs "
             "WHERE state = 'queued' AND run_after <= ?%s AND (channel_id IS NULL OR NOT "
             "EXISTS (SELECT 1 FROM channel_connections c WHERE c.channel_id = jobs.channel_id "
             "AND c.state <> 'connected')) ORDER BY run_after, id LIMIT 1%s",
             kind ? " AND kind = ?" : "", db_skip_locked(db));
    if (db_begin(db, err))
        return -1;
    struct db_stmt *st =
        kind ? db_query(db, err, sql, "it", now, kind) : db_query(db, err, sql, "i", now);
    if (!st)
        goto fail;
    if (!db_has_row(st)) {
        db_finalize(st);
        if (db_commit(db, err))
            goto fail;
        return 0;
    }
    out->id = db_col_int(st, 0);
    snprintf(out->kind, sizeof out->kind, "%s", db_col_text(st, 1));
    out->channel_id = db_col_int(st, 2);
    out->payload = xstrdup(db_col_text(st, 3));
    out->attempts = (int)db_col_int(st, 4) + 1;
    out->max_attempts = (int)db_col_int(st, 5);
    out->lease_until = now + lease;
    db_finalize(st);
    /* The state in the WHERE is what keeps a claim single on a backend
     * whose SELECT took no lock: the update changes nothing if another got
     * there first (which BEGIN IMMEDIATE or SKIP LOCKED already rule out). */
    int64_t n = db_run(db, err,
                       "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                       "lease_owner = ?, lease_until = ?, updated_at = ? "
                       "WHERE id = ? AND state = 'queued'",
                       "tiii", owner, out->lease_until, now, out->id);
    if (n < 0)
        goto fail;
    assert(n == 1);
    if (db_commit(db, err))
        goto fail;
    return 1;
fail:
    db_rollback(db);
    job_clear(out);
    memset(out, 0, sizeof *out);
    return -1;
}

/* Why a running job's change by `owner` changed nothing. */
static int not_leased(struct db *db, int64_t id, const char *owner, struct error *err)
{
    struct error e2 = {0};
    struct db_stmt *st =
        db_query(db, &e2, "SELECT state, lease_owner FROM jobs WHERE id = ?", "i", id);
    if (!st)
        return error_set(err, e2.kind, "%s", e2.msg);
    if (!db_has_row(st)) {
        db_finalize(st);
        return error_set(err, ERR_NOT_FOUND, "no job %lld", (long long)id);
    }
    error_set(err, ERR_CONFLICT,
              "job %lld is no longer leased to %s (it is %s%s%s): its lease ran out and it was "
              "taken back",
              (long long)id, owner, db_col_text(st, 0), db_col_null(st, 1) ? "" : ", leased to ",
              db_col_text(st, 1));
    db_finalize(st);
    return -1;
}

int job_extend(struct db *db, int64_t id, const char *owner, int64_t lease, int64_t now,
               struct error *err)
{
    assert(db && owner && lease > 0);
    int64_t n = db_run(db, err,
                       "UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND "
                       "state = 'running' AND lease_owner = ?",
                       "iiit", now + lease, now, id, owner);
    if (n < 0)
        return -1;
    return n ? 0 : not_leased(db, id, owner, err);
}

int job_finish(struct db *db, int64_t id, const char *owner, int64_t now, struct error *err)
{
    assert(db && owner);
    int64_t n = db_run(db, err,
                       "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, "
                       "finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running' AND "
                       "lease_owner = ?",
                       "iiit", now, now, id, owner);
    if (n < 0)
        return -1;
    return n ? 0 : not_leased(db, id, owner, err);
}

int job_fail(struct db *db, int64_t id, const char *owner, const char *message, int64_t not_before,
             bool permanent, int64_t now, struct error *err)
{
    assert(db && owner);
    int64_t attempts, max_attempts;
    struct db_stmt *st;
    int found =
        db_row(db, err, &st,
               "SELECT attempts, max_attempts FROM jobs WHERE id = ? AND state = 'running' AND "
               "lease_owner = ?",
               "it", id, owner);
    if (found <= 0)
        return found < 0 ? -1 : not_leased(db, id, owner, err);
    attempts = db_col_int(st, 0);
    max_attempts = db_col_int(st, 1);
    db_finalize(st);
    char *text = model_store_text(message, JOB_ERROR_MAX);
    bool last = permanent || attempts >= max_attempts;
    int64_t n;
    if (last) {
        n = db_run(db, err,
                   "UPDATE jobs SET state = 'failed', last_error = ?, lease_owner = NULL, "
                   "lease_until = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND "
                   "state = 'running' AND lease_owner = ?",
                   "tiiit", text, now, now, id, owner);
    } else {
        /* The platform's own time (Retry-After, a rate window's reset)
         * says when a retry will be taken; waiting for a longer backoff
         * than that only makes a scheduled post later. */
        int64_t at = not_before ? not_before : now + job_backoff((int)attempts);
        if (at <= now)
            at = now + 1;
        n = db_run(db, err,
                   "UPDATE jobs SET state = 'queued', last_error = ?, run_after = ?, "
                   "lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND "
                   "state = 'running' AND lease_owner = ?",
                   "tiiit", text, at, now, id, owner);
    }
    free(text);
    if (n < 0)
        return -1;
    if (n == 0) /* the lease ran out between the two statements */
        return not_leased(db, id, owner, err);
    return last ? JOB_FAILED : JOB_QUEUED;
}

int job_defer(struct db *db, int64_t id, const char *owner, int64_t run_after, int64_t now,
              struct error *err)
{
    assert(db && owner);
    /* The attempt is given back: the job did not run, it was not its turn. */
    int64_t n = db_run(
        db, err,
        "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 "
        "ELSE 0 END, "
        "run_after = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? "
        "WHERE id = ? AND state = 'running' AND lease_owner = ?",
        "iiit", run_after > now ? run_after : now, now, id, owner);
    if (n < 0)
        return -1;
    return n ? 0 : not_leased(db, id, owner, err);
}

int64_t job_reclaim(struct db *db, int64_t now, struct error *err)
{
    assert(db);
    /* Two statements, each on its own rows: those with attempts left go
     * back to the queue at once (the lease was their wait), the others
     * fail. A lease ended is the worker's failure, so it counts. */
    int64_t failed = db_run(db, err,
                            "UPDATE jobs SET state = 'failed', last_error = 'lease expired: "
                            "worker ' || lease_owner || ' stopped on the last attempt', "
                            "lease_owner = NULL, lease_until = NULL, finished_at = ?, "
                            "updated_at = ? WHERE state = 'running' AND lease_until < ? AND "
                            "attempts >= max_attempts",
                            "iii", now, now, now);
    if (failed < 0)
        return -1;
    int64_t queued = db_run(db, err,
                            "UPDATE jobs SET state = 'queued', last_error = 'lease expired: "
                            "worker ' || lease_owner || ' stopped', lease_owner = NULL, "
                            "lease_until = NULL, run_after = ?, updated_at = ? "
                            "WHERE state = 'running' AND lease_until < ?",
                            "iii", now, now, now);
    if (queued < 0)
        return -1;
    if (failed + queued)
        log_warn("jobs: took back %lld job%s whose worker stopped", (long long)(failed + queued),
                 failed + queued == 1 ? "" : "s");
    return failed + queued;
}

int job_retry(struct db *db, int64_t id, int64_t now, struct error *err)
{
    assert(db);
    int64_t n = db_run(db, err,
                       "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, "
                       "finished_at = NULL, updated_at = ? WHERE id = ? AND state = 'failed'",
                       "iii", now, now, id);
    if (n < 0)
        return -1;
    if (n == 1)
        return 0;
    int64_t one;
    int found = db_scalar(db, err, &one, "SELECT 1 FROM jobs WHERE id = ?", "i", id);
    if (found < 0)
        return -1;
    if (found == 0)
        return error_set(err, ERR_NOT_FOUND, "no job %lld", (long long)id);
    return error_set(err, ERR_CONFLICT, "job %lld has not failed: only a failed job is retried",
                     (long long)id);
}

int64_t job_hasten(struct db *db, const char *kind, int64_t now, struct error *err)
{
    assert(db && kind);
    return db_run(db, err,
                  "UPDATE jobs SET run_after = ?, updated_at = ? WHERE kind = ? AND "
                  "state = 'queued' AND run_after > ?",
                  "iiti", now, now, kind, now);
}

int job_counts(struct db *db, int64_t counts[JOB_STATE_COUNT], struct error *err)
{
    assert(db && counts);
    memset(counts, 0, JOB_STATE_COUNT * sizeof *counts);
    struct db_stmt *st = db_query(db, err, "SELECT state, count(*) FROM jobs GROUP BY state", "");
    if (!st)
        return -1;
    int rc = db_has_row(st);
    for (; rc == 1; rc = db_step(st, err)) {
        int s = str_index(job_state_names, db_col_text(st, 0));
        assert(s >= 0); /* the table's CHECK allows no other */
        if (s >= 0)
            counts[s] = db_col_int(st, 1);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* A row of job_list's SELECT, its columns by name (dedup_key as "key"). */
static json_t *job_json(struct db_stmt *st)
{
    json_t *o = json_object();
    for (int c = 0; c < db_col_count(st); c++) {
        const char *name = db_col_name(st, c);
        json_t *v;
        if (db_col_null(st, c))
            v = json_null();
        else if (c == 1 || c == 3 || c == 4 || c == 8 || c == 10)
            v = json_string(db_col_text(st, c));
        else
            v = json_integer(db_col_int(st, c));
        json_object_set_new(o, str_eq(name, "dedup_key") ? "key" : name, v);
    }
    return o;
}

json_t *job_list(struct db *db, const char *state, int limit, struct error *err)
{
    assert(db && limit > 0);
    if (state && str_index(job_state_names, state) < 0) {
        error_set(err, ERR_INVALID, "state: must be queued, running, done or failed, not '%.40s'",
                  state);
        return NULL;
    }
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT id, kind, channel_id, dedup_key, state, attempts, max_attempts, run_after, "
             "lease_owner, lease_until, last_error, created_at, finished_at FROM jobs%s "
             "ORDER BY id DESC LIMIT ?",
             state ? " WHERE state = ?" : "");
    struct db_stmt *st = state ? db_query(db, err, sql, "ti", state, (int64_t)limit)
                               : db_query(db, err, sql, "i", (int64_t)limit);
    return json_items(st, job_json, err);
}
