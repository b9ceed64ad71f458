/* worker: listening inside `kanal serve`. Each source whose next_fetch has
 * come gets a "listen_fetch" job on the job table (its key the source's,
 * so once across nodes); the thread claims them, fetches politely, and a
 * job whose host must wait goes back to the queue until the host's turn
 * without counting as an attempt. Alerts are looked at on the same thread
 * after each round. */
#include "db/db.h"
#include "listen/listen.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE        120 /* seconds: a fetch (30 s) and a sitemap index's few more */
#define QUEUE_EVERY  1   /* seconds between looks for due sources */
#define ALERTS_EVERY 5   /* seconds between looks at the alerts */
#define QUEUE_MAX    500 /* sources queued per look */

int64_t listen_queue_due(struct db *db, int64_t now, struct error *err)
{
    size_t n;
    int64_t *ids = db_ids(db, err, &n,
                          "SELECT id FROM listen_sources WHERE next_fetch <= ? ORDER BY "
                          "next_fetch, id LIMIT ?",
                          "ii", now, (int64_t)QUEUE_MAX);
    if (!ids)
        return -1;
    int64_t queued = 0;
    for (size_t i = 0; i < n && queued >= 0; i++) {
        char key[48], payload[48];
        snprintf(key, sizeof key, "listen:%lld", (long long)ids[i]);
        job_payload_put(payload, sizeof payload, "source", ids[i]);
        struct job_in j = {.kind = LISTEN_JOB_KIND, .key = key, .payload = payload};
        int64_t id;
        int made = job_enqueue(db, &j, now, &id, err);
        queued = made < 0 ? -1 : queued + (made == 0);
    }
    free(ids);
    return queued;
}

int listen_run_job(struct db *db, const struct listen_config *cfg, const struct job *j, int64_t now,
                   struct error *err)
{
    int64_t source;
    job_payload_id(j, "source", &source);
    if (source < 1)
        return job_fail(db, j->id, cfg->owner, "a listen_fetch job names no source", 0, true, now,
                        err) < 0
                   ? -1
                   : 0;
    struct listen_fetch_stats st = {0};
    int64_t until = 0;
    struct error e = {0};
    int got = listen_fetch_source(db, cfg, 0, source, &st, &until, &e);
    int64_t end = time_now() > now ? time_now() : now;
    if (got == 2) /* the host's turn has not come: back in the queue, rounded up */
        return job_defer(db, j->id, cfg->owner, (until + 999) / 1000, end, err) < 0 ? -1 : 0;
    if (got < 0) {
        if (e.kind == ERR_NOT_FOUND) /* removed since it was queued */
            return job_finish(db, j->id, cfg->owner, end, err) < 0 ? -1 : 0;
        log_warn("listen: source %lld: %s", (long long)source, e.msg);
        return job_fail(db, j->id, cfg->owner, e.msg, 0, false, end, err) < 0 ? -1 : 0;
    }
    if (st.items_added || st.failed)
        log_info("listen: source %lld: %lld new item%s%s", (long long)source,
                 (long long)st.items_added, st.items_added == 1 ? "" : "s",
                 st.failed ? " (the fetch failed: see the source)" : "");
    return job_finish(db, j->id, cfg->owner, end, err) < 0 ? -1 : 0;
}

/* ---- the thread ------------------------------------------------------------------- */

struct listen_worker {
    struct listen_config cfg;
    char owner[160];
    int64_t queued_at, alerts_at;
    struct job_worker *jobs;
};

static bool chores(struct db *db, int64_t now, void *ctx)
{
    struct listen_worker *w = ctx;
    struct error err = {0};
    if (now - w->queued_at >= QUEUE_EVERY) {
        if (listen_queue_due(db, now, &err) < 0)
            log_error("listen worker: queuing due sources: %s", err.msg);
        w->queued_at = now;
    }
    if (now - w->alerts_at >= ALERTS_EVERY) {
        struct listen_alert_stats as;
        if (listen_alerts_run(db, now, &as, &err) < 0)
            log_error("listen worker: alerts: %s", err.msg);
        else if (as.fired)
            log_info("listen: %lld alert%s fired", (long long)as.fired, as.fired == 1 ? "" : "s");
        w->alerts_at = now;
    }
    return false; /* one thread: nobody else to wake */
}

static int run(struct db *db, const struct job *j, const char *owner, int64_t now,
               atomic_bool *stop, void *ctx, struct error *err)
{
    (void)owner, (void)stop;
    struct listen_worker *w = ctx;
    return listen_run_job(db, &w->cfg, j, now, err);
}

struct listen_worker *listen_worker_start(const char *db_url, const struct listen_config *cfg,
                                          int poll_ms, struct error *err)
{
    struct listen_worker *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    job_owner_name(w->owner, sizeof w->owner, "listen");
    w->cfg.owner = w->owner;
    struct job_worker_config jc = {
        .name = "listen worker",
        .db_url = db_url,
        .owner = w->owner,
        .threads = 1,
        .poll_ms = poll_ms,
        .lease = LEASE,
        .nap_first = true, /* the server migrates the store as it starts */
        .kinds = {LISTEN_JOB_KIND},
        .chores = chores,
        .run = run,
        .ctx = w,
    };
    if (!(w->jobs = job_worker_start(&jc, err))) {
        free(w);
        return NULL;
    }
    log_info("listen worker: fetching due sources, at least %lld ms between requests to a host",
             (long long)(cfg->min_delay_ms ? cfg->min_delay_ms : LISTEN_MIN_DELAY_MS));
    return w;
}

void listen_worker_stop(struct listen_worker *w)
{
    if (!w)
        return;
    job_worker_stop(w->jobs);
    free(w);
}
