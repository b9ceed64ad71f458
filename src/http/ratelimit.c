/* ratelimit: counts failed sign-ins per key (an account, a client address,
 * the pair of both) in a fixed window, in memory, in a real map: every key
 * keeps its own count, so no other key can reset it. A restart forgets
 * them, which is acceptable: the limit slows guessing, argon2id makes each
 * guess expensive anyway. */
#include "http/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW   900    /* seconds */
#define MAX_KEYS 100000 /* about 40 MB at most; see forget() */

struct entry {
    struct entry *next; /* in its bucket */
    int64_t window_start, last_fail;
    int fails;
    char key[]; /* NUL-terminated */
};

struct ratelimit {
    pthread_mutex_t lock;
    struct entry **buckets;
    size_t nbuckets, nkeys;
};

struct ratelimit *ratelimit_new(void)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    rl->nbuckets = 1024;
    rl->buckets = xcalloc(rl->nbuckets, sizeof *rl->buckets);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t b = 0; b < rl->nbuckets; b++) {
        for (struct entry *e = rl->buckets[b], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(rl->buckets);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void grow(struct ratelimit *rl)
{
    size_t n = rl->nbuckets * 2;
    struct entry **b = xcalloc(n, sizeof *b);
    for (size_t i = 0; i < rl->nbuckets; i++) {
        for (struct entry *e = rl->buckets[i], *next; e; e = next) {
            next = e->next;
            struct entry **head = &b[hash(e->key) % n];
            e->next = *head;
            *head = e;
        }
    }
    free(rl->buckets);
    rl->buckets = b;
    rl->nbuckets = n;
}

/* Drops the keys whose window has passed; when the map is full of live
 * keys (100,000 failing keys within 15 minutes: many addresses at work),
 * those that failed longest ago go too, the least harm left. */
static void forget(struct ratelimit *rl, int64_t now)
{
    for (int64_t age = WINDOW; rl->nkeys >= MAX_KEYS / 2 && age >= 0; age = age ? age / 2 : -1) {
        for (size_t b = 0; b < rl->nbuckets; b++) {
            for (struct entry **p = &rl->buckets[b]; *p;) {
                struct entry *e = *p;
                if (now - e->last_fail >= age) {
                    *p = e->next;
                    free(e);
                    rl->nkeys--;
                } else {
                    p = &e->next;
                }
            }
        }
    }
}

/* The key's entry; a new one when `create`, else NULL if it has none. */
static struct entry *find(struct ratelimit *rl, const char *key, int64_t now, bool create)
{
    struct entry **head = &rl->buckets[hash(key) % rl->nbuckets];
    for (struct entry *e = *head; e; e = e->next)
        if (str_eq(e->key, key))
            return e;
    if (!create)
        return NULL;
    if (rl->nkeys >= MAX_KEYS)
        forget(rl, now);
    if (rl->nkeys >= rl->nbuckets)
        grow(rl);
    head = &rl->buckets[hash(key) % rl->nbuckets];
    size_t n = strlen(key);
    struct entry *e = xcalloc(1, sizeof *e + n + 1);
    memcpy(e->key, key, n + 1);
    e->window_start = now;
    e->next = *head;
    *head = e;
    rl->nkeys++;
    return e;
}

int64_t ratelimit_wait(struct ratelimit *rl, const char *key, int max_fails, int backoff_max,
                       int64_t now)
{
    assert(max_fails > 0 && backoff_max >= 0);
    int64_t wait = 0;
    pthread_mutex_lock(&rl->lock);
    const struct entry *e = find(rl, key, now, false);
    if (e && e->fails >= max_fails && now - e->window_start < WINDOW) {
        assert(e->fails > 0 && e->last_fail >= e->window_start);
        if (!backoff_max) {
            wait = WINDOW - (now - e->window_start);
        } else {
            /* 5, 10, 20 ... seconds after the last failure, up to
             * backoff_max: a guess costs about a second, so less would
             * slow nobody. */
            int over = e->fails - max_fails;
            int64_t step = over < 20 ? (int64_t)5 << over : backoff_max;
            if (step > backoff_max)
                step = backoff_max;
            wait = e->last_fail + step - now;
            if (wait < 0)
                wait = 0;
        }
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now)
{
    pthread_mutex_lock(&rl->lock);
    struct entry *e = find(rl, key, now, true);
    if (now - e->window_start >= WINDOW) {
        e->window_start = now;
        e->fails = 0;
    }
    e->fails++;
    e->last_fail = now;
    pthread_mutex_unlock(&rl->lock);
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
    pthread_mutex_lock(&rl->lock);
    struct entry *e = find(rl, key, 0, false);
    if (e)
        e->fails = 0;
    pthread_mutex_unlock(&rl->lock);
}
