/* learn: the per-workspace learner that turns moderators' sentiment
 * corrections into better scores. Multinomial logistic regression on hashed
 * features, trained online, whose logits are added to logits derived from
 * the rules' score: with no corrections it agrees with the rules, and it
 * only has to learn where a workspace's texts differ from them. Fixed size,
 * so the store can keep it as one blob per workspace. */
#include "text/text_internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEARN_BITS 13
#define LEARN_DIM  (1u << LEARN_BITS)
/* How strongly the rules' score speaks before any correction, and how far
 * one correction moves the weights. Chosen on the dev sets with --learn 500
 * (higher rates overfit the first corrections and lost recall on the rarer
 * labels). */
#define BASE_GAIN  8.0
#define LEARN_RATE 0.02
#define LEARN_L2   1e-5

static const char blob_magic[8] = {'K', 'N', 'L', 'S', 'E', 'N', 'T', '2'};

struct learner {
    uint64_t count;
    uint64_t seen[SENT_LABELS]; /* corrections per label, for balancing */
    float w[SENT_LABELS][LEARN_DIM];
};

struct learner *learner_new(void)
{
    return xcalloc(1, sizeof(struct learner));
}

void learner_free(struct learner *m)
{
    free(m);
}

uint64_t learner_count(const struct learner *m)
{
    return m ? m->count : 0;
}

/* The features' indexes are the mixed hash's low LEARN_FEAT_BITS bits,
 * which this learner uses as they are (the tag learner takes fewer). */
_Static_assert(LEARN_BITS == LEARN_FEAT_BITS, "the sentiment learner indexes by the full index");

static void feat_add(struct learn_features *f, uint64_t h, float v)
{
    if (f->n < LEARN_MAX_FEAT) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 32;
        f->idx[f->n] = (uint32_t)(h & ((1u << LEARN_FEAT_BITS) - 1));
        f->val[f->n] = v;
        f->n++;
    }
}

/* The sentiment learner's features: a bias, the rules' verdict, and the
 * words. */
static void features_of(const struct text_tokens *t, const struct sentiment *base,
                        struct learn_features *f)
{
    f->n = 0;
    feat_add(f, 0x1, 1.0f); /* bias */
    feat_add(f, 0x2, (float)base->score);
    if (base->hits == 0)
        feat_add(f, 0x3, 1.0f);
    learn_words(t, base->lang, f);
}

/* Words and emoji and the first five bytes of long words (a poor man's stem
 * that works the same for every language), with negation scope marked so
 * "not good" is not "good". Word pairs were tried and cost recall: a few
 * hundred corrections are too few for them. */
void learn_words(const struct text_tokens *t, enum text_lang lang, struct learn_features *f)
{
    int neg = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct token *k = &t->tok[i];
        if (k->kind == TOK_PUNCT || k->kind == TOK_URL || k->kind == TOK_MENTION ||
            k->kind == TOK_NUMBER) {
            if (k->kind == TOK_PUNCT)
                neg = 0;
            continue;
        }
        uint64_t h = k->hash ^ (neg ? 0x6e656700ULL : 0);
        feat_add(f, h, 1.0f);
        if (k->nlen >= 7)
            feat_add(f, text_hash(t->norm + k->norm, 5) ^ 0x707265ULL, 0.5f);
        struct lex_val v = lexicon_lookup(t, i, lang);
        if (v.kind == LEX_NEG)
            neg = 3;
        else if (neg > 0)
            neg--;
    }
}

/* The logits the rules' score s alone speaks for: with no corrections the
 * learner agrees with the rules' labels. raw 0: the rules found nothing. */
static void prior_logits(double s, double raw, struct sentiment_band band, double z[SENT_LABELS])
{
    z[SENT_NEG] = BASE_GAIN * (-s - band.neg);
    z[SENT_NEU] = 0;
    z[SENT_POS] = BASE_GAIN * (s - band.pos);
    if (raw == 0) /* no evidence at all: the rules say neutral */
        z[SENT_NEG] = z[SENT_POS] = -BASE_GAIN * 0.05;
}

static void logits(const struct learner *m, const struct learn_features *f,
                   const struct sentiment *b, double z[SENT_LABELS])
{
    if (b->model) /* the learned model decided: corrections move its logits */
        for (int c = 0; c < SENT_LABELS; c++)
            z[c] = b->logit[c];
    else
        prior_logits(b->score, b->raw, sentiment_band(b->lang), z);
    for (size_t i = 0; i < f->n; i++)
        for (int c = 0; c < SENT_LABELS; c++)
            z[c] += m->w[c][f->idx[i]] * f->val[i];
}

static void softmax(double z[SENT_LABELS])
{
    double mx = z[0], s = 0;
    for (int c = 1; c < SENT_LABELS; c++)
        mx = z[c] > mx ? z[c] : mx;
    for (int c = 0; c < SENT_LABELS; c++)
        s += (z[c] = exp(z[c] - mx));
    for (int c = 0; c < SENT_LABELS; c++)
        z[c] /= s;
}

/* p(pos) - p(neg) of the prior alone for a text with evidence that the rules
 * score s: increasing in s, and much steeper (BASE_GAIN) than s itself. */
static double prior_spread(double s, struct sentiment_band band)
{
    double p[SENT_LABELS];
    prior_logits(s, 1, band, p);
    softmax(p);
    return p[SENT_POS] - p[SENT_NEG];
}

/* The rules' score whose prior spread is d (the inverse of prior_spread,
 * by bisection; ±1 beyond its range). */
static double score_of_spread(double d, struct sentiment_band band)
{
    double lo = -1, hi = 1;
    for (int i = 0; i < 48; i++) {
        double mid = (lo + hi) / 2;
        if (prior_spread(mid, band) < d)
            lo = mid;
        else
            hi = mid;
    }
    assert(lo >= -1 && hi <= 1);
    return (lo + hi) / 2;
}

void learner_train(struct learner *m, const struct text_tokens *t, enum text_lang lang,
                   enum sentiment_label gold)
{
    struct sentiment b;
    struct learn_features *f = xmalloc(sizeof *f);
    double p[SENT_LABELS];
    sentiment_score_tokens(t, lang, &b);
    features_of(t, &b, f);
    logits(m, f, &b, p);
    softmax(p);
    /* Balance the labels: moderators correct what is frequent in their
     * workspace, but a rare angry comment matters as much as a common
     * friendly one, so each label weighs as if all were equally common. */
    m->seen[gold]++;
    double balance = (double)(m->count + 1) / (SENT_LABELS * (double)m->seen[gold]);
    balance = balance < 0.2 ? 0.2 : balance > 5 ? 5 : balance;
    for (int c = 0; c < SENT_LABELS; c++) {
        double g = balance * (p[c] - (c == (int)gold ? 1.0 : 0.0));
        for (size_t i = 0; i < f->n; i++) {
            float *w = &m->w[c][f->idx[i]];
            *w -= (float)(LEARN_RATE * (g * f->val[i] + LEARN_L2 * *w));
        }
    }
    m->count++;
    free(f);
}

void learner_score(const struct learner *m, const struct text_tokens *t, enum text_lang lang,
                   struct sentiment *out)
{
    sentiment_score_tokens(t, lang, out);
    if (!m || m->count == 0)
        return;
    struct learn_features *f = xmalloc(sizeof *f);
    double p[SENT_LABELS];
    features_of(t, out, f);
    logits(m, f, out, p);
    softmax(p);
    free(f);
    int best = SENT_NEU; /* ties go to neutral */
    for (int c = 0; c < SENT_LABELS; c++)
        if (p[c] > p[best])
            best = c;
    out->label = (enum sentiment_label)best;
    if (out->model) {
        /* The model's score is already its spread p(pos) - p(neg), on the
         * same soft scale the corrections move: no mapping back needed. */
        out->score = p[SENT_POS] - p[SENT_NEG];
        return;
    }
    /* The score stays on the rules' scale. p(pos) - p(neg) itself is not: the
     * prior is so sharp that every text's spread sits near ±1, so reporting
     * it made the first correction throw every score towards ±1 (and a text
     * corrected to positive from -0.40 went to -0.94). What the corrections
     * moved the spread by is carried back through the prior to the rules'
     * scale; a learner that learned nothing about a text leaves its score. */
    struct sentiment_band band = sentiment_band(out->lang);
    double p0[SENT_LABELS];
    prior_logits(out->score, out->raw, band, p0);
    softmax(p0);
    double moved = (p[SENT_POS] - p[SENT_NEG]) - (p0[SENT_POS] - p0[SENT_NEG]);
    out->score = score_of_spread(prior_spread(out->score, band) + moved, band);
    assert(out->score >= -1 && out->score <= 1);
}

#define BLOB_HEADER 48 /* magic, dimension, count, seen per label */
#define BLOB_SIZE   (BLOB_HEADER + (size_t)SENT_LABELS * LEARN_DIM * 4)

void learner_serialize(const struct learner *m, struct buf *b)
{
    buf_reserve(b, BLOB_SIZE);
    buf_append(b, blob_magic, 8);
    buf_put_le64(b, LEARN_DIM);
    buf_put_le64(b, m->count);
    for (int c = 0; c < SENT_LABELS; c++)
        buf_put_le64(b, m->seen[c]);
    for (int c = 0; c < SENT_LABELS; c++)
        for (uint32_t i = 0; i < LEARN_DIM; i++)
            buf_put_f32(b, m->w[c][i]);
}

struct learner *learner_deserialize(const void *p, size_t n, struct error *err)
{
    const unsigned char *s = p;
    struct learner *m = NULL;
    if (n != BLOB_SIZE || memcmp(s, blob_magic, 8) != 0 || le64_get(s + 8) != LEARN_DIM) {
        error_set(err, ERR_INVALID, "not a kanal sentiment learner (version 2, %zu bytes)",
                  (size_t)BLOB_SIZE);
        goto fail;
    }
    m = learner_new();
    m->count = le64_get(s + 16);
    for (int c = 0; c < SENT_LABELS; c++)
        m->seen[c] = le64_get(s + 24 + 8 * c);
    s += BLOB_HEADER;
    for (int c = 0; c < SENT_LABELS; c++)
        for (uint32_t i = 0; i < LEARN_DIM; i++, s += 4) {
            m->w[c][i] = f32_get(s);
            if (!isfinite(m->w[c][i])) {
                error_set(err, ERR_INVALID, "learner blob holds a weight that is not finite");
                goto fail;
            }
        }
    return m;
fail:
    learner_free(m);
    return NULL;
}
