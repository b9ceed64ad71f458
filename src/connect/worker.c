/* worker: the threads inside `kanal serve` that run the connectors' jobs:
 * every channel's sync and the actions people asked for. Jobs are leased
 * through the store's job table, so several `kanal serve` on one
 * PostgreSQL never run the same job twice, and a node that dies has its
 * jobs taken back when their leases run out. One thread runs syncs and
 * actions; a second, when asked for, runs only actions, so a reply never
 * waits behind a long sync. */
#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect/internal.h"

int connect_queue_action_job(struct db *db, int64_t channel_id, int64_t action_id, int64_t now,
                             struct error *err)
{
    char key[48], payload[64];
    snprintf(key, sizeof key, "action:%lld", (long long)action_id);
    job_payload_put(payload, sizeof payload, "action", action_id);
    struct job_in j = {
        .kind = CONNECT_JOB_ACTION, .channel_id = channel_id, .key = key, .payload = payload};
    int64_t job_id;
    return job_enqueue(db, &j, now, &job_id, err) < 0 ? -1 : 0;
}

int connect_queue_action(struct db *db, const struct action_in *in, int64_t now, int64_t *id,
                         struct error *err)
{
    assert(db && in && id);
    if (db_begin(db, err))
        return -1;
    int made = action_create(db, in, now, id, err);
    if (made < 0)
        goto fail;
    struct action a;
    if (action_get(db, *id, &a, err))
        goto fail;
    bool open = a.state != ACTION_DONE && a.state != ACTION_FAILED;
    action_clear(&a);
    if (open && connect_queue_action_job(db, in->channel_id, *id, now, err))
        goto fail;
    if (db_commit(db, err))
        goto fail;
    return made;
fail:
    db_rollback(db);
    return -1;
}

/* ---- one job ---------------------------------------------------------------------- */

struct lease_ctx {
    struct db *db;
    const struct job *j;
    const char *owner;
    int64_t lease, extended_at;
    atomic_bool *stop; /* NULL: never asked */
    const struct connect_env *outer;
};

/* After each page: the lease is extended once a third of it has passed,
 * and a worker asked to stop stops between pages. */
static int lease_progress(void *ctx, struct error *err)
{
    struct lease_ctx *l = ctx;
    if (l->stop && atomic_load(l->stop))
        return error_set(err, ERR_CONFLICT, "kanal is stopping: the sync goes on next time");
    int64_t now = time_now();
    if (now - l->extended_at >= l->lease / 3) {
        if (job_extend(l->db, l->j->id, l->owner, l->lease, now, err))
            return -1;
        l->extended_at = now;
    }
    if (l->outer->progress)
        return l->outer->progress(l->outer->progress_ctx, err);
    return 0;
}

static int run_job(struct db *db, const struct connect_env *env, const struct job *j,
                   const char *owner, int64_t lease, int64_t now, atomic_bool *stop,
                   struct error *err)
{
    struct lease_ctx l = {.db = db,
                          .j = j,
                          .owner = owner,
                          .lease = lease,
                          .extended_at = now,
                          .stop = stop,
                          .outer = env};
    struct connect_env e = *env;
    e.progress = lease_progress;
    e.progress_ctx = &l;
    struct connect_result res = {0};
    int rc;
    if (str_eq(j->kind, CONNECT_JOB_SYNC)) {
        struct connect_sync_stats st;
        rc = j->channel_id ? connect_sync_channel(db, &e, j->channel_id, now, &st, &res)
                           : connect_fail(&res, CO_REJECTED, "a sync job names no channel");
        if (rc == 0)
            log_info("channel %lld synced: %lld new in %lld page%s", (long long)j->channel_id,
                     (long long)st.added, (long long)st.pages, st.pages == 1 ? "" : "s");
    } else if (str_eq(j->kind, CONNECT_JOB_ACTION)) {
        int64_t action;
        rc = job_payload_id(j, "action", &action)
                 ? connect_act(db, &e, action, now, &res)
                 : connect_fail(&res, CO_REJECTED, "an action job's payload names no action: %s",
                                j->payload ? j->payload : "");
    } else {
        rc = connect_fail(&res, CO_REJECTED, "no runner for jobs of kind '%s'", j->kind);
    }
    int64_t end = time_now() > now ? time_now() : now;
    if (rc == 0)
        return job_finish(db, j->id, owner, end, err) ? -1 : CO_OK;
    /* A job of a channel that needs reconnecting goes back to the queue,
     * where job_claim holds it until the channel is connected again. */
    int64_t not_before = res.outcome == CO_RATE ? res.retry_at : 0;
    bool permanent = res.outcome == CO_REJECTED;
    log_warn("job %lld (%s, channel %lld): %s: %s", (long long)j->id, j->kind,
             (long long)j->channel_id, connect_outcome_names[res.outcome], res.message);
    if (job_fail(db, j->id, owner, res.message, not_before, permanent, end, err) < 0)
        return -1;
    return res.outcome;
}

int connect_run_job(struct db *db, const struct connect_env *env, const struct job *j,
                    const char *owner, int64_t lease, struct error *err)
{
    assert(db && env && j && owner && lease > 0);
    return run_job(db, env, j, owner, lease, time_now(), NULL, err);
}

/* ---- the threads ------------------------------------------------------------------ */

#define RECLAIM_EVERY 60 /* seconds between looks for jobs whose worker died */

struct connect_worker {
    struct connect_worker_config cfg;
    struct connect_env env;
    int64_t queued_at, ticked_ms; /* the first thread's alone */
    struct job_worker *jobs;
};

/* The first thread keeps the queue: every connected channel's sync, queued
 * once per period (the key makes it once across nodes too), and the tick. */
static bool chores(struct db *db, int64_t now, void *ctx)
{
    struct connect_worker *w = ctx;
    struct error err = {0};
    if (w->cfg.sync_every && now - w->queued_at >= w->cfg.sync_every) {
        int64_t n = connection_queue_syncs(db, now, &err);
        if (n < 0)
            log_error("connect worker: queuing syncs: %s", err.msg);
        else if (n)
            log_info("queued %lld channel sync%s", (long long)n, n == 1 ? "" : "s");
        w->queued_at = now;
    }
    if (!w->cfg.tick)
        return false;
    int64_t ms = (int64_t)(time_mono_ns() / 1000000);
    if (ms - w->ticked_ms < 1000)
        return false;
    if (w->cfg.tick(db, now, w->cfg.tick_ctx, &err))
        log_error("connect worker: %s", err.msg);
    w->ticked_ms = ms;
    return true; /* what the tick queued is for the other thread too */
}

static int run(struct db *db, const struct job *j, const char *owner, int64_t now,
               atomic_bool *stop, void *ctx, struct error *err)
{
    struct connect_worker *w = ctx;
    return run_job(db, &w->env, j, owner, w->cfg.lease, now, stop, err);
}

struct connect_worker *connect_worker_start(const struct connect_worker_config *cfg,
                                            struct error *err)
{
    assert(cfg && cfg->db_url);
    struct connect_worker *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    if (!w->cfg.lease)
        w->cfg.lease = 300;
    if (!w->cfg.poll_ms)
        w->cfg.poll_ms = 1000;
    char owner[160];
    if (cfg->owner)
        snprintf(owner, sizeof owner, "%s", cfg->owner);
    else
        job_owner_name(owner, sizeof owner, NULL);
    w->env = (struct connect_env){.key = cfg->key, .public_url = cfg->public_url};
    struct job_worker_config jc = {
        .name = "connect worker",
        .db_url = cfg->db_url,
        .owner = owner,
        .per_thread = true,
        .threads = cfg->threads,
        .poll_ms = w->cfg.poll_ms,
        .lease = w->cfg.lease,
        /* A short lease is looked after as often as it runs out. */
        .reclaim_every = w->cfg.lease < RECLAIM_EVERY ? w->cfg.lease : RECLAIM_EVERY,
        .kinds = {CONNECT_JOB_ACTION, CONNECT_JOB_SYNC},
        .chores = chores,
        .run = run,
        .ctx = w,
    };
    if (!(w->jobs = job_worker_start(&jc, err))) {
        free(w);
        return NULL;
    }
    log_info("connect worker: %d thread%s, syncing every %lld s", cfg->threads,
             cfg->threads == 1 ? "" : "s", (long long)w->cfg.sync_every);
    return w;
}

void connect_worker_stop(struct connect_worker *w)
{
    if (!w)
        return;
    job_worker_stop(w->jobs);
    free(w);
}
