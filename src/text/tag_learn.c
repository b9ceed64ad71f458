/* tag_learn: the per-workspace tag learner that turns moderators' tag
 * corrections into suggestions. Per tag a naive Bayes model over the
 * sentiment learner's hashed word features (learn.c): how often each
 * feature was in a text that has the tag and in one that has not, counted
 * online one correction at a time, read as a sum of log-odds (a linear
 * model). It only suggests: the rules set tags, a moderator accepts a
 * suggestion or not. Kept as one blob per workspace. */
#include "text/text_internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG_BITS 12
#define TAG_DIM  (1u << TAG_BITS)
_Static_assert(TAG_BITS <= LEARN_FEAT_BITS, "the tag learner wants more feature bits");
/* A tag is unlikely on a text until words its corrections spoke for say
 * otherwise (the log-odds before any evidence), and a word seen with only
 * one side counts as if seen SMOOTH times with the other. Logistic
 * regression trained online on the same features was tried first: with
 * 30 to 100 corrections it agreed with the held-out tags less (0.75 and
 * 0.86 against 0.87 and 0.97, with precision 0.58 and 0.75 against 0.83 and
 * 0.97, the generated sets of tests/unit/test_tag_learn.c over 20 seeds);
 * naive Bayes is known to need fewer examples. */
#define TAG_PRIOR -3.0
#define SMOOTH    0.2
#define TAG_MAX   256 /* tags with a model per workspace: at most 8 MB a blob */

static const char blob_magic[8] = {'K', 'N', 'L', 'T', 'A', 'G', 'S', '1'};

struct tag_model {
    int64_t tag_id;
    uint64_t pos, neg;      /* corrections that said yes, no */
    float seen[2][TAG_DIM]; /* [yes] how often each feature was in a text said to be yes */
};

struct tag_learner {
    uint64_t count;
    size_t n;              /* models, by tag id ascending */
    struct tag_model **by; /* n of them */
};

struct tag_learner *tag_learner_new(void)
{
    return xcalloc(1, sizeof(struct tag_learner));
}

void tag_learner_free(struct tag_learner *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->by[i]);
    free(m->by);
    free(m);
}

uint64_t tag_learner_count(const struct tag_learner *m)
{
    return m ? m->count : 0;
}

/* The index of tag_id's model, or where it would go (ascending ids). */
static size_t find(const struct tag_learner *m, int64_t tag_id)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->by[mid]->tag_id < tag_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct tag_model *model_of(const struct tag_learner *m, int64_t tag_id)
{
    size_t i = m ? find(m, tag_id) : 0;
    return m && i < m->n && m->by[i]->tag_id == tag_id ? m->by[i] : NULL;
}

bool tag_learner_has(const struct tag_learner *m, int64_t tag_id)
{
    return model_of(m, tag_id) != NULL;
}

static bool ready(const struct tag_model *t)
{
    return t && t->pos >= TAG_LEARNER_MIN && t->neg >= TAG_LEARNER_MIN;
}

bool tag_learner_ready(const struct tag_learner *m, int64_t tag_id)
{
    return ready(model_of(m, tag_id));
}

static void features_of(const struct text_tokens *t, struct learn_features *f)
{
    f->n = 0;
    enum text_lang lang = lang_guess(t);
    learn_words(t, lang, f);
    for (size_t i = 0; i < f->n; i++)
        f->idx[i] &= TAG_DIM - 1;
}

static double prob(const struct tag_model *t, const struct learn_features *f)
{
    double z = TAG_PRIOR, yes = (double)t->pos + 2 * SMOOTH, no = (double)t->neg + 2 * SMOOTH;
    for (size_t i = 0; i < f->n; i++) {
        double y = t->seen[1][f->idx[i]], n = t->seen[0][f->idx[i]];
        /* A word never seen says nothing (it would otherwise speak for
         * whichever side was told less). */
        if (y + n > 0)
            z += f->val[i] * (log((y + SMOOTH) / yes) - log((n + SMOOTH) / no));
    }
    return 1.0 / (1.0 + exp(-z));
}

void tag_learner_train(struct tag_learner *m, const struct text_tokens *t, int64_t tag_id, bool on)
{
    assert(m && t && tag_id > 0);
    size_t at = find(m, tag_id);
    struct tag_model *tm = at < m->n && m->by[at]->tag_id == tag_id ? m->by[at] : NULL;
    if (!tm) {
        if (m->n >= TAG_MAX)
            return; /* a workspace with more tags than this learns the first ones */
        tm = xcalloc(1, sizeof *tm);
        tm->tag_id = tag_id;
        m->by = xrealloc(m->by, sizeof *m->by * (m->n + 1));
        memmove(m->by + at + 1, m->by + at, sizeof *m->by * (m->n - at));
        m->by[at] = tm;
        m->n++;
    }
    struct learn_features *f = xmalloc(sizeof *f);
    features_of(t, f);
    if (on)
        tm->pos++;
    else
        tm->neg++;
    for (size_t i = 0; i < f->n; i++)
        tm->seen[on][f->idx[i]] += f->val[i];
    m->count++;
    free(f);
}

double tag_learner_p(const struct tag_learner *m, const struct text_tokens *t, int64_t tag_id)
{
    const struct tag_model *tm = model_of(m, tag_id);
    if (!ready(tm))
        return -1;
    struct learn_features *f = xmalloc(sizeof *f);
    features_of(t, f);
    double p = prob(tm, f);
    free(f);
    return p;
}

static int by_p(const void *a, const void *b)
{
    const struct tag_guess *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? 1 : -1;
    return x->tag_id < y->tag_id ? -1 : x->tag_id > y->tag_id;
}

size_t tag_learner_suggest(const struct tag_learner *m, const struct text_tokens *t,
                           const int64_t *skip, size_t nskip, struct tag_guess *out, size_t max)
{
    if (!m || m->n == 0 || max == 0)
        return 0;
    struct learn_features *f = xmalloc(sizeof *f);
    struct tag_guess *all = xmalloc(sizeof *all * m->n);
    size_t n = 0;
    features_of(t, f);
    for (size_t i = 0; i < m->n; i++) {
        const struct tag_model *tm = m->by[i];
        bool skipped = false;
        for (size_t k = 0; k < nskip && !skipped; k++)
            skipped = skip[k] == tm->tag_id;
        if (skipped || !ready(tm))
            continue;
        double p = prob(tm, f);
        if (p >= TAG_LEARNER_P)
            all[n++] = (struct tag_guess){tm->tag_id, p};
    }
    qsort(all, n, sizeof *all, by_p);
    n = n < max ? n : max;
    memcpy(out, all, sizeof *out * n);
    free(all);
    free(f);
    return n;
}

/* ---- the blob: magic, dimension, count, n, then per tag its id, yes, no
 * and its two tables; little-endian. */

#define HEAD_SIZE  32 /* magic, dimension, count, models */
#define MODEL_SIZE (24 + 2 * (size_t)TAG_DIM * 4)

void tag_learner_serialize(const struct tag_learner *m, struct buf *b)
{
    buf_reserve(b, HEAD_SIZE + m->n * MODEL_SIZE);
    buf_append(b, blob_magic, 8);
    buf_put_le64(b, TAG_DIM);
    buf_put_le64(b, m->count);
    buf_put_le64(b, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct tag_model *tm = m->by[i];
        buf_put_le64(b, (uint64_t)tm->tag_id);
        buf_put_le64(b, tm->pos);
        buf_put_le64(b, tm->neg);
        for (int on = 0; on < 2; on++)
            for (uint32_t k = 0; k < TAG_DIM; k++)
                buf_put_f32(b, tm->seen[on][k]);
    }
}

struct tag_learner *tag_learner_deserialize(const void *p, size_t n, struct error *err)
{
    const unsigned char *s = p;
    struct tag_learner *m = NULL;
    uint64_t models = n >= HEAD_SIZE ? le64_get(s + 24) : 0;
    if (n < HEAD_SIZE || memcmp(s, blob_magic, 8) != 0 || le64_get(s + 8) != TAG_DIM ||
        models > TAG_MAX || n != HEAD_SIZE + models * MODEL_SIZE) {
        error_set(err, ERR_INVALID, "not a kanal tag learner (version 1)");
        goto fail;
    }
    m = tag_learner_new();
    m->count = le64_get(s + 16);
    m->by = xcalloc(models ? models : 1, sizeof *m->by);
    s += HEAD_SIZE;
    for (uint64_t i = 0; i < models; i++, s += MODEL_SIZE) {
        struct tag_model *tm = xcalloc(1, sizeof *tm);
        m->by[m->n++] = tm;
        tm->tag_id = (int64_t)le64_get(s);
        tm->pos = le64_get(s + 8);
        tm->neg = le64_get(s + 16);
        if (tm->tag_id < 1 || (i > 0 && tm->tag_id <= m->by[i - 1]->tag_id)) {
            error_set(err, ERR_INVALID, "tag learner blob: model %llu is out of order",
                      (unsigned long long)i);
            goto fail;
        }
        bool sane = true;
        for (int on = 0; on < 2; on++)
            for (uint32_t k = 0; k < TAG_DIM; k++) {
                float c = tm->seen[on][k] = f32_get(s + 24 + 4 * (on * TAG_DIM + k));
                sane = sane && isfinite(c) && c >= 0;
            }
        if (!sane) {
            error_set(err, ERR_INVALID, "tag learner blob holds a count that is not one");
            goto fail;
        }
    }
    return m;
fail:
    tag_learner_free(m);
    return NULL;
}
