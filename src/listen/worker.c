/* worker: listening inside `kanal serve`. Each source whose next_fetch has
 * come gets a "listen_fetch" job on the job table (its key the source's,
 * so once across nodes); the thread claims them, fetches politely, and a
 * job whose host must wait goes back to the queue until the host's turn
 * without counting as an attempt. Alerts are looked at on the same thread
 * after each round. */
#include "db/db.h"
#include "listen/listen.h"
#include "model/model.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE        120 /* seconds: a fetch (30 s) and a sitemap index's few more */
#define QUEUE_EVERY  1   /* seconds between looks for due sources */
#define ALERTS_EVERY 5   /* seconds between looks at the alerts */
#define QUEUE_MAX    500 /* sources queued per look */

int64_t listen_queue_due(struct db *db, int64_t now, struct error *err)
{
    int64_t ids[QUEUE_MAX];
    size_t n = 0;
    struct db_stmt *q =
        db_query(db, err,
                 "SELECT id FROM listen_sources WHERE next_fetch <= ? ORDER BY next_fetch, id "
                 "LIMIT ?",
                 "ii", now, (int64_t)QUEUE_MAX);
    if (!q)
        return -1;
    while (db_has_row(q)) {
        ids[n++] = db_col_int(q, 0);
        if (db_step(q, err) < 0) {
            db_finalize(q);
            return -1;
        }
    }
    db_finalize(q);
    int64_t queued = 0;
    for (size_t i = 0; i < n; i++) {
        char key[48], payload[48];
        snprintf(key, sizeof key, "listen:%lld", (long long)ids[i]);
        snprintf(payload, sizeof payload, "{\"source\": %lld}", (long long)ids[i]);
        struct job_in j = {.kind = LISTEN_JOB_KIND, .key = key, .payload = payload};
        int64_t id;
        int made = job_enqueue(db, &j, now, &id, err);
        if (made < 0)
            return -1;
        queued += made == 0;
    }
    return queued;
}

int listen_run_job(struct db *db, const struct listen_config *cfg, const struct job *j, int64_t now,
                   struct error *err)
{
    json_error_t je;
    json_t *p = json_loads(j->payload ? j->payload : "", 0, &je);
    json_t *id = json_object_get(p, "source");
    int64_t source = json_is_integer(id) ? json_integer_value(id) : 0;
    json_decref(p);
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
    char db_url[1024], owner[160];
    int poll_ms;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t wake;
};

static void nap(struct listen_worker *w, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->mu);
    if (!atomic_load(&w->stop))
        pthread_cond_timedwait(&w->wake, &w->mu, &until);
    pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *p)
{
    struct listen_worker *w = p;
    struct error err = {0};
    struct db *db = NULL;
    int64_t queued_at = 0, alerts_at = 0, reclaimed_at = 0;
    nap(w, w->poll_ms); /* the server migrates the store as it starts */
    while (!atomic_load(&w->stop)) {
        if (!db && !(db = db_open(w->db_url, &err))) {
            log_error("listen worker: %s; trying again in 10 s", err.msg);
            nap(w, 10000);
            continue;
        }
        int64_t now = time_now();
        if (now - reclaimed_at >= 60) {
            if (job_reclaim(db, now, &err) < 0)
                log_error("listen worker: taking back jobs: %s", err.msg);
            reclaimed_at = now;
        }
        if (now - queued_at >= QUEUE_EVERY) {
            if (listen_queue_due(db, now, &err) < 0)
                log_error("listen worker: queuing due sources: %s", err.msg);
            queued_at = now;
        }
        if (now - alerts_at >= ALERTS_EVERY) {
            struct listen_alert_stats as;
            if (listen_alerts_run(db, now, &as, &err) < 0)
                log_error("listen worker: alerts: %s", err.msg);
            else if (as.fired)
                log_info("listen: %lld alert%s fired", (long long)as.fired,
                         as.fired == 1 ? "" : "s");
            alerts_at = now;
        }
        struct job j;
        int got = job_claim(db, w->owner, LISTEN_JOB_KIND, LEASE, now, &j, &err);
        if (got < 0) {
            log_error("listen worker: claiming a job: %s", err.msg);
            db_close(db);
            db = NULL;
            nap(w, w->poll_ms);
            continue;
        }
        if (got == 0) {
            nap(w, w->poll_ms);
            continue;
        }
        if (listen_run_job(db, &w->cfg, &j, now, &err) < 0)
            log_error("listen worker: job %lld: %s", (long long)j.id, err.msg);
        job_clear(&j);
    }
    db_close(db);
    return NULL;
}

struct listen_worker *listen_worker_start(const char *db_url, const struct listen_config *cfg,
                                          int poll_ms, struct error *err)
{
    struct listen_worker *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    snprintf(w->db_url, sizeof w->db_url, "%s", db_url);
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(w->owner, sizeof w->owner, "%s:%ld:listen", host, (long)getpid());
    w->cfg.owner = w->owner;
    w->poll_ms = poll_ms > 0 ? poll_ms : 1000;
    atomic_init(&w->stop, false);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    /* The thread takes no signals: SIGTERM is for the server's own thread,
     * which blocks it only after this one starts (as notify's worker). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int made = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (made) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->wake);
        free(w);
        error_set(err, ERR_INTERNAL, "listen worker: cannot start a thread");
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
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, true);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    free(w);
}
