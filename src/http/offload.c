/* offload: the threads that answer slow requests (reports over months of
 * data), apart from libmicrohttpd's workers. A worker that ran a report
 * itself would leave every connection it holds (redirects, /healthz)
 * waiting until it ends; instead the request's connection is suspended,
 * queued here, answered by one of these threads and resumed. */
#include "http/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

#define MAX_QUEUED 64 /* more waiting than this are told to come back */

struct offload_job {
    struct offload_job *next;
    struct request *r;
    handler_fn fn;
};

struct offload {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct offload_job *head, **tail;
    size_t queued;
    bool stopping;
    struct db_pool *pool;
    pthread_t *threads;
    int nthreads;
};

static void run(struct offload *o, struct offload_job *j)
{
    struct request *r = j->r;
    struct MHD_Connection *conn = r->conn;
    r->db = db_pool_get(o->pool);
    assert(r->db);
    j->fn(r);
    db_pool_put(o->pool, r->db);
    r->db = NULL;
    free(j);
    /* The worker answers once resumed and may free r at once: resuming is
     * the last thing done with it. */
    MHD_resume_connection(conn);
}

static void *worker(void *arg)
{
    struct offload *o = arg;
    pthread_mutex_lock(&o->lock);
    for (;;) {
        while (!o->head && !o->stopping)
            pthread_cond_wait(&o->ready, &o->lock);
        struct offload_job *j = o->head;
        if (!j)
            break; /* stopping, and nothing left */
        o->head = j->next;
        if (!o->head)
            o->tail = &o->head;
        o->queued--;
        pthread_mutex_unlock(&o->lock);
        run(o, j);
        pthread_mutex_lock(&o->lock);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

struct offload *offload_start(struct db_pool *pool, int nthreads, struct error *err)
{
    assert(pool && nthreads > 0);
    struct offload *o = xcalloc(1, sizeof *o);
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->ready, NULL);
    o->tail = &o->head;
    o->pool = pool;
    o->threads = xcalloc((size_t)nthreads, sizeof *o->threads);
    for (; o->nthreads < nthreads; o->nthreads++) {
        if (pthread_create(&o->threads[o->nthreads], NULL, worker, o)) {
            error_set(err, ERR_INTERNAL, "cannot start the report threads");
            offload_stop(o);
            return NULL;
        }
    }
    return o;
}

void threads_stop(pthread_mutex_t *lock, pthread_cond_t *wake, bool *stopping,
                  const pthread_t *threads, int n)
{
    pthread_mutex_lock(lock);
    *stopping = true;
    pthread_cond_broadcast(wake);
    pthread_mutex_unlock(lock);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}

void offload_stop(struct offload *o)
{
    if (!o)
        return;
    threads_stop(&o->lock, &o->ready, &o->stopping, o->threads, o->nthreads);
    assert(!o->head && o->queued == 0); /* every queued request was answered */
    free(o->threads);
    pthread_cond_destroy(&o->ready);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

bool offload_submit(struct offload *o, struct request *r, handler_fn fn)
{
    pthread_mutex_lock(&o->lock);
    bool ok = !o->stopping && o->queued < MAX_QUEUED;
    if (ok) {
        struct offload_job *j = xcalloc(1, sizeof *j);
        j->r = r;
        j->fn = fn;
        /* Suspended before a thread can take it, so its resume cannot come
         * first; under the lock, which the threads take to dequeue. */
        MHD_suspend_connection(r->conn);
        *o->tail = j;
        o->tail = &j->next;
        o->queued++;
        pthread_cond_signal(&o->ready);
    }
    pthread_mutex_unlock(&o->lock);
    return ok;
}
