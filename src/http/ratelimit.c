/* ratelimit: counts failed sign-ins per key (an email, a client address) in a
 * fixed window, in memory. A restart forgets them, which is acceptable: the
 * limit slows guessing, argon2id makes each guess expensive anyway. */
#include "http/internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS  4096
#define WINDOW 900 /* seconds */

struct slot {
    uint64_t hash;
    int64_t window_start;
    int fails;
};

struct ratelimit {
    pthread_mutex_t lock;
    struct slot slots[SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h | 1; /* 0 marks an empty slot */
}

/* The key's slot; a collision takes over the slot, which can only make the
 * limit forget, never lock someone out for another's failures twice. */
static struct slot *find(struct ratelimit *rl, uint64_t h)
{
    struct slot *s = &rl->slots[h % SLOTS];
    if (s->hash != h)
        *s = (struct slot){.hash = h};
    return s;
}

bool ratelimit_blocked(struct ratelimit *rl, const char *key, int max_fails, int64_t now,
                       int64_t *retry_after)
{
    assert(max_fails > 0);
    pthread_mutex_lock(&rl->lock);
    struct slot *s = find(rl, fnv1a(key));
    assert(s->fails >= 0);
    bool blocked = s->fails >= max_fails && now - s->window_start < WINDOW;
    if (blocked)
        *retry_after = WINDOW - (now - s->window_start);
    pthread_mutex_unlock(&rl->lock);
    return blocked;
}

void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now)
{
    pthread_mutex_lock(&rl->lock);
    struct slot *s = find(rl, fnv1a(key));
    if (now - s->window_start >= WINDOW) {
        s->window_start = now;
        s->fails = 0;
    }
    s->fails++;
    pthread_mutex_unlock(&rl->lock);
}

void ratelimit_reset(struct ratelimit *rl, const char *key)
{
    pthread_mutex_lock(&rl->lock);
    struct slot *s = find(rl, fnv1a(key));
    s->fails = 0;
    pthread_mutex_unlock(&rl->lock);
}
