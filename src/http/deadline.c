/* deadline: what holds against slowloris, a client that opens many
 * connections and trickles a byte now and then. libmicrohttpd times a
 * connection out only when it goes quiet, so here every connection is
 * tracked from accept: one thread shuts down those whose headers are not
 * complete in time (libmicrohttpd then closes them), and each address's
 * open connections are counted against --max-per-address across all the
 * listening threads. Each thread has a daemon of its own (server.c), and
 * libmicrohttpd's own per-IP limit counts within one daemon only. */
#include "http/internal.h"

#include <assert.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct tracked {
    struct tracked *prev, *next;
    int fd;
    bool counted; /* against key's address */
    bool refused; /* over the address's limit: shut down, and no request is answered */
    unsigned char key[PEER_KEY];
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
    /* Open connections by address, under lock; unused when there is no
     * per-address limit. */
    int max_per_address;
    struct peer_map peers;
};

bool peer_key(const struct sockaddr *sa, unsigned char key[PEER_KEY])
{
    memset(key, 0, PEER_KEY);
    if (sa && sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        key[0] = 6;
        memcpy(key + 1, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    }
    return key[0] != 0;
}

void peer_map_init(struct peer_map *m, size_t max_keys)
{
    for (m->cap = 64; m->cap < 2 * max_keys + 2;)
        m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    m->n = 0;
}

void peer_map_free(struct peer_map *m)
{
    free(m->slots);
    m->slots = NULL;
}

static size_t home_of(const struct peer_map *m, const unsigned char key[PEER_KEY])
{
    uint64_t h = 1469598103934665603u;
    for (int i = 0; i < PEER_KEY; i++)
        h = (h ^ key[i]) * 1099511628211u;
    return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

/* The slot of key, or the empty one where it would go. */
static size_t slot_of(const struct peer_map *m, const unsigned char key[PEER_KEY])
{
    size_t i = home_of(m, key);
    while (m->slots[i].key[0] && memcmp(m->slots[i].key, key, PEER_KEY))
        i = (i + 1) & (m->cap - 1);
    return i;
}

int peer_map_count(const struct peer_map *m, const unsigned char key[PEER_KEY])
{
    return m->slots[slot_of(m, key)].open;
}

int peer_map_add(struct peer_map *m, const unsigned char key[PEER_KEY])
{
    assert(key[0]);
    struct peer *p = &m->slots[slot_of(m, key)];
    if (!p->key[0]) {
        if (m->n >= m->cap / 2)
            return -1;
        memcpy(p->key, key, PEER_KEY);
        m->n++;
    }
    return ++p->open;
}

void peer_map_drop(struct peer_map *m, const unsigned char key[PEER_KEY])
{
    size_t mask = m->cap - 1, i = slot_of(m, key);
    assert(m->slots[i].key[0] && m->slots[i].open > 0);
    if (--m->slots[i].open > 0)
        return;
    /* Emptied: the entries after it that probed past it move back, so a
     * lookup never has to walk over a tombstone. */
    for (size_t j = (i + 1) & mask; m->slots[j].key[0]; j = (j + 1) & mask) {
        size_t home = home_of(m, m->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    memset(&m->slots[i], 0, sizeof m->slots[i]);
    m->n--;
}

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

struct deadlines *deadlines_start(int timeout_s, int max_per_address, size_t max_connections,
                                  struct error *err)
{
    assert(timeout_s > 0 && max_per_address >= 0 && max_connections > 0);
    struct deadlines *d = xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->head.next = d->head.prev = &d->head;
    d->timeout_ns = (uint64_t)timeout_s * 1000000000u;
    d->max_per_address = max_per_address;
    if (max_per_address)
        peer_map_init(&d->peers, 2 * max_connections);
    if (pthread_create(&d->thread, NULL, reaper, d)) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        peer_map_free(&d->peers);
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
    assert(d->head.next == &d->head && d->peers.n == 0);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    peer_map_free(&d->peers);
    free(d);
}

bool deadlines_admit(struct deadlines *d, const struct sockaddr *addr)
{
    unsigned char key[PEER_KEY];
    if (!d->max_per_address || !peer_key(addr, key))
        return true;
    pthread_mutex_lock(&d->lock);
    bool room = peer_map_count(&d->peers, key) < d->max_per_address;
    pthread_mutex_unlock(&d->lock);
    return room;
}

/* Counts t's connection against its address; false when that is over the
 * limit (another thread admitted one from it at the same time) or the map
 * is full. The map has room for twice the daemons' connection limit: a
 * daemon may count a connection in before another's CLOSED notice has
 * counted one out, but not a thousand. Under d->lock. */
static bool count_open(struct deadlines *d, struct tracked *t, const struct sockaddr *addr)
{
    if (!d->max_per_address || !peer_key(addr, t->key))
        return true;
    int open = peer_map_add(&d->peers, t->key);
    t->counted = open > 0;
    return open > 0 && open <= d->max_per_address;
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
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct tracked *t = xcalloc(1, sizeof *t);
        t->fd = ci->connect_fd;
        atomic_init(&t->deadline_ns, time_mono_ns() + d->timeout_ns);
        pthread_mutex_lock(&d->lock);
        t->next = d->head.next;
        t->prev = &d->head;
        t->next->prev = t;
        d->head.next = t;
        t->refused = !count_open(d, t, ai ? ai->client_addr : NULL);
        pthread_mutex_unlock(&d->lock);
        *socket_context = t;
        /* Closed by libmicrohttpd when it next reads; a request it has read
         * by then is not answered (deadlines_headers_done). */
        if (t->refused)
            shutdown(t->fd, SHUT_RDWR);
    } else if (*socket_context) {
        struct tracked *t = *socket_context;
        pthread_mutex_lock(&d->lock);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        if (t->counted)
            peer_map_drop(&d->peers, t->key);
        pthread_mutex_unlock(&d->lock);
        free(t);
        *socket_context = NULL;
    }
}

/* Sets the connection's deadline: `armed` from now (waiting for the next
 * request's headers), or none (a request is being answered). False when
 * the connection was refused. */
static bool set(struct deadlines *d, struct MHD_Connection *conn, bool armed)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct tracked *t = ci ? ci->socket_context : NULL;
    if (!t)
        return true;
    atomic_store_explicit(&t->deadline_ns, armed ? time_mono_ns() + d->timeout_ns : 0,
                          memory_order_relaxed);
    return !t->refused; /* written before the connection's first read, by its own thread */
}

bool deadlines_headers_done(struct deadlines *d, struct MHD_Connection *conn)
{
    return set(d, conn, false);
}

void deadlines_rearm(struct deadlines *d, struct MHD_Connection *conn)
{
    set(d, conn, true);
}
