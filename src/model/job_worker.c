/* job_worker: the thread loop that runs jobs from the job table, shared by
 * connect/ (sync, actions), listen/ (fetches) and notify/ (deliveries), so
 * that reconnecting, taking back dead workers' leases, claiming, napping
 * and stopping are written once. Each part gives its kinds, its chores and
 * how to run one job. */
#include "model/internal.h"

#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct job_worker {
    struct job_worker_config cfg;
    char db_url[1024], owner[160];
    pthread_t threads[2];
    int nthreads;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t wake;
};

struct thread_arg {
    struct job_worker *w;
    int index;
};

/* Sleeps up to ms, or until woken or asked to stop. */
static void nap(struct job_worker *w, int64_t ms)
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

static void wake_all(struct job_worker *w)
{
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

/* 1 claimed, 0 none due, -1 and err. Thread 0 alone takes the second kind. */
static int claim(struct job_worker *w, struct db *db, const char *owner, int index, int64_t now,
                 struct job *j, struct error *err)
{
    const struct job_worker_config *c = &w->cfg;
    int got = job_claim(db, owner, c->kinds[0], c->lease, now, j, err);
    if (got == 0 && index == 0 && c->kinds[1])
        got = job_claim(db, owner, c->kinds[1], c->lease, now, j, err);
    return got;
}

static void *thread_main(void *p)
{
    struct thread_arg *arg = p;
    struct job_worker *w = arg->w;
    const struct job_worker_config *c = &w->cfg;
    int index = arg->index;
    free(arg);
    char owner[200], label[300];
    if (c->per_thread) {
        snprintf(owner, sizeof owner, "%s:t%d", w->owner, index);
        snprintf(label, sizeof label, "%s %s", c->name, owner);
    } else {
        snprintf(owner, sizeof owner, "%s", w->owner);
        snprintf(label, sizeof label, "%s", c->name);
    }
    struct error err = {0};
    struct db *db = NULL;
    int64_t reclaimed_at = 0;
    if (c->nap_first)
        nap(w, c->poll_ms);
    while (!atomic_load(&w->stop)) {
        if (!db && !(db = db_open(w->db_url, &err))) {
            log_error("%s: %s; trying again in 10 s", label, err.msg);
            nap(w, 10000);
            continue;
        }
        int64_t now = time_now();
        if (index == 0 && now - reclaimed_at >= c->reclaim_every) {
            if (job_reclaim(db, now, &err) < 0)
                log_error("%s: taking back jobs: %s", c->name, err.msg);
            reclaimed_at = now;
        }
        /* What the chores queued is for the other thread too, which may
         * be napping: it starts now, not a poll later. */
        if (index == 0 && c->chores && c->chores(db, now, c->ctx))
            wake_all(w);
        struct job j;
        int got = claim(w, db, owner, index, now, &j, &err);
        if (got < 0) {
            log_error("%s: claiming a job: %s", label, err.msg);
            db_close(db); /* a connection that broke is opened again */
            db = NULL;
            nap(w, c->poll_ms);
            continue;
        }
        if (got == 0) {
            nap(w, c->poll_ms);
            continue;
        }
        if (c->run(db, &j, owner, now, &w->stop, c->ctx, &err) < 0)
            log_error("%s: job %lld: %s", label, (long long)j.id, err.msg);
        job_clear(&j);
    }
    db_close(db);
    return NULL;
}

void job_owner_name(char *out, size_t size, const char *role)
{
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(out, size, "%s:%ld%s%s", host, (long)getpid(), role ? ":" : "", role ? role : "");
}

struct job_worker *job_worker_start(const struct job_worker_config *cfg, struct error *err)
{
    assert(cfg && cfg->name && cfg->db_url && cfg->owner && cfg->kinds[0] && cfg->run);
    assert(cfg->lease > 0 && cfg->reclaim_every >= 0);
    if (cfg->threads < 1 || cfg->threads > 2) {
        error_set(err, ERR_INVALID, "%s: threads must be 1 or 2", cfg->name);
        return NULL;
    }
    struct job_worker *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    snprintf(w->db_url, sizeof w->db_url, "%s", cfg->db_url);
    snprintf(w->owner, sizeof w->owner, "%s", cfg->owner);
    w->cfg.db_url = w->db_url;
    w->cfg.owner = w->owner;
    if (w->cfg.poll_ms <= 0)
        w->cfg.poll_ms = 1000;
    if (!w->cfg.reclaim_every)
        w->cfg.reclaim_every = 60;
    atomic_init(&w->stop, false);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    /* The threads take no signals: SIGTERM is for the server's own thread,
     * which may block it only after these start; a thread made with the
     * signals open would be the one killed by it. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < cfg->threads; i++) {
        struct thread_arg *arg = xmalloc(sizeof *arg);
        *arg = (struct thread_arg){.w = w, .index = i};
        if (pthread_create(&w->threads[i], NULL, thread_main, arg)) {
            free(arg);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            error_set(err, ERR_INTERNAL, "%s: cannot start a thread", cfg->name);
            job_worker_stop(w);
            return NULL;
        }
        w->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return w;
}

void job_worker_stop(struct job_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, true);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    free(w);
}
