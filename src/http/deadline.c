/* deadline: an absolute deadline for each request's headers. libmicrohttpd
 * times a connection out only when it goes quiet, so a client that trickles
 * a byte now and then holds its connection forever (slowloris). Here every
 * connection is tracked from accept, and one thread shuts down those whose
 * headers are not complete in time; libmicrohttpd then closes them. */
#include "http/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>

struct tracked {
    struct tracked *prev, *next;
    int fd;
    /* 0: headers are in, a handler has the request. Set by the connection's
     * worker without the lock (every request does, twice); the reaper reads
     * it under the lock that keeps fd valid, and a deadline that moves while
     * it looks was passed anyway. */
    _Atomic uint64_t deadline_ns;
};

struct deadlines {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct tracked head; /* a ring: head.next is the first */
    uint64_t timeout_ns;
    bool stopping;
    pthread_t thread;
};

static void *reaper(void *arg)
{
    struct deadlines *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        uint64_t now = time_mono_ns();
        for (struct tracked *t = d->head.next; t != &d->head; t = t->next) {
            uint64_t due = atomic_load_explicit(&t->deadline_ns, memory_order_relaxed);
            if (due && now > due) {
                /* Not close(): the descriptor stays libmicrohttpd's until its
                 * CLOSED notice, which takes this lock first, so it cannot be
                 * another connection's by now. */
                shutdown(t->fd, SHUT_RDWR);
                atomic_store_explicit(&t->deadline_ns, 0, memory_order_relaxed);
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&d->wake, &d->lock, &ts);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

struct deadlines *deadlines_start(int timeout_s, struct error *err)
{
    assert(timeout_s > 0);
    struct deadlines *d = xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->head.next = d->head.prev = &d->head;
    d->timeout_ns = (uint64_t)timeout_s * 1000000000u;
    if (pthread_create(&d->thread, NULL, reaper, d)) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        error_set(err, ERR_INTERNAL, "cannot start the header deadline thread");
        return NULL;
    }
    return d;
}

void deadlines_stop(struct deadlines *d)
{
    if (!d)
        return;
    threads_stop(&d->lock, &d->wake, &d->stopping, &d->thread, 1);
    /* The daemon has stopped: every connection has had its CLOSED notice. */
    assert(d->head.next == &d->head);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    struct deadlines *d = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
            return;
        struct tracked *t = xcalloc(1, sizeof *t);
        t->fd = ci->connect_fd;
        atomic_init(&t->deadline_ns, time_mono_ns() + d->timeout_ns);
        pthread_mutex_lock(&d->lock);
        t->next = d->head.next;
        t->prev = &d->head;
        t->next->prev = t;
        d->head.next = t;
        pthread_mutex_unlock(&d->lock);
        *socket_context = t;
    } else if (*socket_context) {
        struct tracked *t = *socket_context;
        pthread_mutex_lock(&d->lock);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&d->lock);
        free(t);
        *socket_context = NULL;
    }
}

/* Sets the connection's deadline: `armed` from now (waiting for the next
 * request's headers), or none (a request is being answered). */
static void set(struct deadlines *d, struct MHD_Connection *conn, bool armed)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct tracked *t = ci ? ci->socket_context : NULL;
    if (!t)
        return;
    atomic_store_explicit(&t->deadline_ns, armed ? time_mono_ns() + d->timeout_ns : 0,
                          memory_order_relaxed);
}

void deadlines_headers_done(struct deadlines *d, struct MHD_Connection *conn)
{
    set(d, conn, false);
}

void deadlines_rearm(struct deadlines *d, struct MHD_Connection *conn)
{
    set(d, conn, true);
}
