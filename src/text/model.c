/* model: the learned sentiment model beside the rules. One linear model per
 * language (multinomial logistic regression) over hashed word unigrams,
 * bigrams and word prefixes plus the rules' own verdict, trained offline
 * (tools/sentiment-train.c) and compiled into the binary from data/sentiment/.
 * The trainer and the scorer take their features from model_features() alone,
 * so training and scoring cannot extract them differently. */
#include "text/text_internal.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/asset.h"

/* Room for every feature of the longest text: a unigram, a bigram and a
 * prefix per token, and the bigram that closes the text. */
#define MAX_FEAT (3 * TEXT_MAX_TOKENS + 1)

/* Rules' verdict as dense inputs: score, said pos, said neg, found nothing. */
#define NDENSE 4

/* Tags that keep the kinds of hashed feature apart in the one table. */
#define TAG_BI   0x62690000a5a5a5a5ULL
#define TAG_PRE  0x7072650000c3c3c3ULL
#define TAG_NEG  0x6e6567005a5a5a5aULL
#define TAG_URL  0x75726c0011111111ULL
#define TAG_USER 0x7573657222222222ULL
#define TAG_NUM  0x6e756d0033333333ULL
#define TAG_END  0x656e640044444444ULL

/* A negator reaches this many following words (as the rules' NEG_SCOPE). */
#define NEG_SCOPE 3
/* Words of this many bytes or more also give their first PREFIX_LEN bytes:
 * a stem that works the same in every language (Finnish case endings). */
#define PREFIX_MIN 7
#define PREFIX_LEN 5

/* Version 2 adds neutral's logit; version 1 files load with it at 0. */
static const char model_magic[8] = {'K', 'N', 'L', 'S', 'M', 'O', 'D', '2'};

struct sentiment_model {
    enum text_lang lang;
    unsigned bits, feats;
    float scale;   /* what one quantised step of a weight is worth */
    float bias[2]; /* neg and pos logits against neutral's */
    float neutral; /* neutral's logit: the band between the labels, chosen by
                    * cross-validation after training (0: as trained) */
    float dense[2][NDENSE];
    int8_t (*q)[2]; /* 1 << bits buckets: neg and pos weights */
};

uint32_t model_bucket(uint64_t h, unsigned bits)
{
    return (uint32_t)((h * 0x9E3779B97F4A7C15ULL) >> (64 - bits));
}

static uint64_t rotl(uint64_t x, int r)
{
    return x << r | x >> (64 - r);
}

static inline bool is_negator(const struct text_tokens *t, size_t i, const struct lex_info *x,
                              enum text_lang lang)
{
    /* Any English "...n't", as the rules read it. */
    return (int)lex_info_neg(x, lang) | ((int)(lang != LANG_FI) & (int)lex_info_nt(x));
}

/* Inlined into the scorer, whose hot path it is; the trainer calls it
 * through model_features(). */
static inline __attribute__((always_inline)) size_t features_of(const struct text_tokens *t,
                                                                const struct lex_info *info,
                                                                enum text_lang lang, unsigned feats,
                                                                uint64_t *out)
{
    assert(lang < LANG_OTHER);
    size_t n = 0;
    uint64_t prev = TAG_END;
    int neg = 0;
    /* Which link, user or number says nothing; that there is one may. By a
     * table and selects, not a switch: a token's kind is hard to predict. */
    static const uint64_t kind_tag[TOK_PUNCT + 1] = {
        [TOK_URL] = TAG_URL, [TOK_MENTION] = TAG_USER, [TOK_NUMBER] = TAG_NUM};
    for (size_t i = 0; i < t->n; i++) {
        const struct token *k = &t->tok[i];
        uint64_t tag = kind_tag[k->kind];
        uint64_t h = tag | (k->hash & (0 - (uint64_t)(tag == 0)));
        neg &= 0 - (int)(k->kind != TOK_PUNCT); /* a clause ends, and negation with it */
        /* "not good" is not "good": words in a negator's reach are other words. */
        uint64_t negated = TAG_NEG & (0 - (uint64_t)(neg != 0));
        uint64_t marked = h ^ negated;
        if (feats & MODEL_UNI)
            out[n++] = marked;
        if (feats & MODEL_BI)
            out[n++] = rotl(prev, 23) ^ h ^ TAG_BI;
        if ((feats & MODEL_PRE) && k->kind == TOK_WORD && k->nlen >= PREFIX_MIN)
            out[n++] = text_hash(t->norm + k->norm, PREFIX_LEN) ^ TAG_PRE ^ negated;
        prev = h;
        /* A word that negates opens the reach; any other word narrows it. */
        int word = k->kind == TOK_WORD;
        int opens = word & is_negator(t, i, &info[i], lang);
        int narrowed = neg - ((neg > 0) & word);
        neg = narrowed + ((NEG_SCOPE - narrowed) & (0 - opens));
    }
    if (feats & MODEL_BI)
        out[n++] = rotl(prev, 23) ^ TAG_END ^ TAG_BI;
    assert(n <= MAX_FEAT);
    return n;
}

size_t model_features(const struct text_tokens *t, const struct lex_info *info, enum text_lang lang,
                      unsigned feats, uint64_t *out)
{
    return features_of(t, info, lang, feats, out);
}

/* The dense inputs the rules' verdict gives. */
static void dense_of(const struct sentiment *rules, float d[NDENSE])
{
    d[0] = (float)rules->score;
    d[1] = rules->label == SENT_POS;
    d[2] = rules->label == SENT_NEG;
    d[3] = rules->raw == 0;
}

/* Each text's hashed features weigh 1/sqrt(count) with MODEL_NORM, so a
 * forum paragraph does not speak louder than a tweet for being longer. */
static float feature_value(unsigned feats, size_t n)
{
    return (feats & MODEL_NORM) && n ? 1.0f / sqrtf((float)n) : 1.0f;
}

/* Softmax of z[] into p[], in place. */
static void softmax3(double z[SENT_LABELS])
{
    double mx = fmax(z[0], fmax(z[1], z[2])), s = 0;
    for (int c = 0; c < SENT_LABELS; c++)
        s += (z[c] = exp(z[c] - mx));
    for (int c = 0; c < SENT_LABELS; c++)
        z[c] /= s;
}

void model_apply(const struct sentiment_model *m, const struct text_tokens *t,
                 const struct lex_info *info, struct sentiment *out)
{
    uint64_t h[MAX_FEAT];
    size_t n = features_of(t, info, m->lang, m->feats, h);
    int32_t acc[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const int8_t *w = m->q[model_bucket(h[i], m->bits)];
        acc[0] += w[0];
        acc[1] += w[1];
    }
    float d[NDENSE];
    dense_of(out, d);
    float v = m->scale * feature_value(m->feats, n);
    double z[SENT_LABELS];
    z[SENT_NEU] = m->neutral;
    for (int c = 0; c < 2; c++) {
        double s = m->bias[c] + v * (float)acc[c];
        if (m->feats & MODEL_RULES)
            for (int j = 0; j < NDENSE; j++)
                s += m->dense[c][j] * d[j];
        z[c ? SENT_POS : SENT_NEG] = s;
    }
    int best = SENT_NEU; /* ties go to neutral */
    for (int c = 0; c < SENT_LABELS; c++) {
        out->logit[c] = (float)z[c];
        if (z[c] > z[best])
            best = c;
    }
    out->label = (enum sentiment_label)best;
    /* p(pos) - p(neg), against neutral's logit; the logits are kept small
     * by the quantisation's range, but clamp so exp cannot overflow. */
    float zn = (float)(z[SENT_NEG] - m->neutral), zp = (float)(z[SENT_POS] - m->neutral);
    float en = expf(zn < 60 ? zn : 60), ep = expf(zp < 60 ? zp : 60);
    out->score = (ep - en) / (1 + en + ep);
    out->model = true;
}

/* ---- the built-in models ------------------------------------------------ */

static struct {
    struct sentiment_model *m[LANG_COUNT];
    struct error err;
    int status;
} builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_load(void)
{
    for (const struct asset *a = sentiment_models; a->name; a++) {
        struct sentiment_model *m = sentiment_model_load(a->data, a->len, &builtin.err);
        if (!m) {
            builtin.status = -1;
            return;
        }
        sentiment_model_free(builtin.m[m->lang]);
        builtin.m[m->lang] = m;
    }
}

int model_builtin_init(struct error *err)
{
    pthread_once(&builtin_once, builtin_load);
    if (builtin.status < 0 && err)
        *err = builtin.err;
    return builtin.status;
}

const struct sentiment_model *sentiment_model_builtin(enum text_lang lang)
{
    if (model_builtin_init(NULL) < 0 || lang >= LANG_COUNT)
        return NULL;
    return builtin.m[lang];
}

size_t sentiment_model_memory(const struct sentiment_model *m)
{
    return m ? sizeof *m + ((size_t)1 << m->bits) * sizeof *m->q : 0;
}

enum text_lang sentiment_model_lang(const struct sentiment_model *m)
{
    return m->lang;
}

void sentiment_model_free(struct sentiment_model *m)
{
    if (m)
        free(m->q);
    free(m);
}

/* ---- the file format -----------------------------------------------------
 * Little-endian: magic "KNLSMOD2", u8 lang, u8 bits, u16 features, f32
 * scale, f32 bias[2], f32 dense[2][NDENSE], f32 neutral, u32 buckets
 * (1 << bits), then per bucket i8 neg, i8 pos. Version 1 ("KNLSMOD1") has
 * no neutral field (its neutral logit is 0). Dense: with 2^16 buckets most are in use, and
 * an index per bucket would triple the file. */

#define HEAD_SIZE_V1 (8 + 4 + 4 + 8 + 8 * NDENSE + 4)
#define HEAD_SIZE    (HEAD_SIZE_V1 + 4)

void sentiment_model_serialize(const struct sentiment_model *m, struct buf *b)
{
    uint32_t dim = 1u << m->bits;
    buf_append(b, model_magic, 8);
    unsigned char head[4] = {(unsigned char)m->lang, (unsigned char)m->bits,
                             (unsigned char)m->feats, (unsigned char)(m->feats >> 8)};
    buf_append(b, head, 4);
    buf_put_f32(b, m->scale);
    for (int c = 0; c < 2; c++)
        buf_put_f32(b, m->bias[c]);
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < NDENSE; j++)
            buf_put_f32(b, m->dense[c][j]);
    buf_put_f32(b, m->neutral);
    buf_put_le32(b, dim);
    buf_append(b, m->q, (size_t)dim * sizeof *m->q);
}

struct sentiment_model *sentiment_model_load(const void *p, size_t n, struct error *err)
{
    const unsigned char *s = p;
    struct sentiment_model *m = NULL;
    bool v1 = n >= 8 && memcmp(s, model_magic, 7) == 0 && s[7] == '1';
    size_t head = v1 ? HEAD_SIZE_V1 : HEAD_SIZE;
    if (n < head || (!v1 && memcmp(s, model_magic, 8) != 0) || s[8] >= LANG_OTHER || s[9] < 8 ||
        s[9] > 24) {
        error_set(err, ERR_INVALID, "sentiment model: not a kanal model (version 1 or 2)");
        goto fail;
    }
    m = xcalloc(1, sizeof *m);
    m->lang = (enum text_lang)s[8];
    m->bits = s[9];
    m->feats = (unsigned)s[10] | (unsigned)s[11] << 8;
    const unsigned char *r = s + 12;
    m->scale = f32_get(r);
    r += 4;
    for (int c = 0; c < 2; c++, r += 4)
        m->bias[c] = f32_get(r);
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < NDENSE; j++, r += 4)
            m->dense[c][j] = f32_get(r);
    if (!v1) {
        m->neutral = f32_get(r);
        r += 4;
    }
    uint32_t buckets = le32_get(r);
    r += 4;
    if (buckets != 1u << m->bits || n - head != (size_t)buckets * sizeof *m->q) {
        error_set(err, ERR_INVALID, "sentiment model: %zu bytes, its header says %zu", n,
                  head + (size_t)(1u << m->bits) * sizeof *m->q);
        goto fail;
    }
    bool finite = isfinite(m->scale) && isfinite(m->neutral);
    for (int c = 0; c < 2; c++) {
        finite &= isfinite(m->bias[c]);
        for (int j = 0; j < NDENSE; j++)
            finite &= isfinite(m->dense[c][j]);
    }
    if (!finite) {
        error_set(err, ERR_INVALID, "sentiment model: a weight is not finite");
        goto fail;
    }
    m->q = xmalloc((size_t)buckets * sizeof *m->q);
    memcpy(m->q, r, (size_t)buckets * sizeof *m->q);
    return m;
fail:
    sentiment_model_free(m);
    return NULL;
}

/* ---- training ------------------------------------------------------------
 * AdaGrad (a step per weight that shrinks as its gradients add up, so rare
 * words move as far as common ones) on the softmax loss with L2, each label
 * weighted as if all were equally common (the score that matters is the
 * mean of the labels' recalls), then the weights are turned into neg and pos
 * against neutral and quantised to eight bits. */

struct train_set {
    size_t n;
    size_t *start; /* features of example i: idx[start[i] .. start[i + 1]) */
    uint32_t *idx; /* their buckets */
    float (*dense)[NDENSE];
    uint8_t *gold;
};

/* Tokenizes and scores every example once, keeping its features. */
static void train_set_build(struct train_set *ts, const struct sentiment_example *ex, size_t n,
                            enum text_lang lang, unsigned feats, unsigned bits)
{
    struct text_tokens *t = xmalloc(sizeof *t);
    struct lex_info *info = xmalloc(TEXT_MAX_TOKENS * sizeof *info);
    struct lex_counts c;
    uint64_t *h = xmalloc(MAX_FEAT * sizeof *h);
    size_t cap = MAX_FEAT, used = 0;
    ts->n = n;
    ts->start = xmalloc((n + 1) * sizeof *ts->start);
    ts->dense = xmalloc((n ? n : 1) * sizeof *ts->dense);
    ts->gold = xmalloc(n ? n : 1);
    ts->idx = xmalloc(cap * sizeof *ts->idx);
    for (size_t i = 0; i < n; i++) {
        struct sentiment r;
        text_tokenize(t, ex[i].text, ex[i].len);
        lexicon_find_all(t, info, &c);
        sentiment_rules(t, info, &c, lang, &r);
        size_t k = model_features(t, info, lang, feats, h);
        if (used + k > cap) {
            cap = (used + k) * 2;
            ts->idx = xrealloc(ts->idx, cap * sizeof *ts->idx);
        }
        ts->start[i] = used;
        for (size_t f = 0; f < k; f++)
            ts->idx[used++] = model_bucket(h[f], bits);
        dense_of(&r, ts->dense[i]);
        ts->gold[i] = (uint8_t)ex[i].gold;
    }
    ts->start[n] = used;
    free(h);
    free(info);
    free(t);
}

static void train_set_free(struct train_set *ts)
{
    free(ts->start);
    free(ts->idx);
    free(ts->dense);
    free(ts->gold);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The 99.99th percentile of |w|, so that one outlying weight does not make
 * every other one coarse; beyond it weights are clipped. */
static float quant_range(const float (*d)[2], uint32_t dim)
{
    float *a = xmalloc(2 * (size_t)dim * sizeof *a);
    size_t n = 0;
    for (uint32_t i = 0; i < dim; i++)
        for (int c = 0; c < 2; c++)
            if (d[i][c] != 0)
                a[n++] = fabsf(d[i][c]);
    qsort(a, n, sizeof *a, cmp_float);
    float r = n ? a[n - 1 - n / 10000] : 0;
    free(a);
    return r;
}

struct sentiment_model *sentiment_model_train(const struct sentiment_example *ex, size_t n,
                                              enum text_lang lang,
                                              const struct sentiment_model_params *p)
{
    assert(lang < LANG_OTHER && p->bits >= 8 && p->bits <= 24);
    struct train_set ts;
    train_set_build(&ts, ex, n, lang, p->feats, p->bits);
    uint32_t dim = 1u << p->bits;
    float(*w)[SENT_LABELS] = xcalloc(dim, sizeof *w);
    float(*g2)[SENT_LABELS] = xcalloc(dim, sizeof *g2); /* AdaGrad's sums of squares */
    float dw[SENT_LABELS][NDENSE] = {{0}}, bias[SENT_LABELS] = {0};
    float dg2[SENT_LABELS][NDENSE] = {{0}}, bg2[SENT_LABELS] = {0};
    size_t count[SENT_LABELS] = {0}, present = 0;
    for (size_t i = 0; i < n; i++)
        count[ts.gold[i]]++;
    for (int c = 0; c < SENT_LABELS; c++)
        present += count[c] > 0;
    double cw[SENT_LABELS];
    for (int c = 0; c < SENT_LABELS; c++)
        cw[c] = count[c] ? (double)n / ((double)present * (double)count[c]) : 0;
    size_t *order = xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t seed = p->seed ? p->seed : 1;
    bool rules = p->feats & MODEL_RULES;
    for (int epoch = 0; epoch < p->epochs; epoch++) {
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)(xorshift64(&seed) % i), x = order[i - 1];
            order[i - 1] = order[j];
            order[j] = x;
        }
        for (size_t o = 0; o < n; o++) {
            size_t e = order[o];
            const uint32_t *idx = ts.idx + ts.start[e];
            size_t k = ts.start[e + 1] - ts.start[e];
            float v = feature_value(p->feats, k);
            const float *d = ts.dense[e];
            double z[SENT_LABELS];
            for (int c = 0; c < SENT_LABELS; c++) {
                double s = 0;
                for (size_t f = 0; f < k; f++)
                    s += w[idx[f]][c];
                z[c] = bias[c] + v * s;
                if (rules)
                    for (int j = 0; j < NDENSE; j++)
                        z[c] += dw[c][j] * d[j];
            }
            softmax3(z);
            for (int c = 0; c < SENT_LABELS; c++) {
                double g = cw[ts.gold[e]] * (z[c] - (c == ts.gold[e]));
                float gv = (float)(g * v);
                for (size_t f = 0; f < k; f++) {
                    float *x = &w[idx[f]][c], *acc = &g2[idx[f]][c];
                    float grad = gv + (float)p->l2 * *x;
                    *acc += grad * grad;
                    *x -= (float)p->rate * grad / sqrtf(*acc + 1e-6f);
                }
                for (int j = 0; rules && j < NDENSE; j++) {
                    float grad = (float)(g * d[j]);
                    dg2[c][j] += grad * grad;
                    dw[c][j] -= (float)p->rate * grad / sqrtf(dg2[c][j] + 1e-6f);
                }
                bg2[c] += (float)(g * g);
                bias[c] -= (float)(p->rate * g / sqrt(bg2[c] + 1e-6));
            }
        }
    }
    /* Neutral's weights are subtracted from the others' (softmax does not
     * change), so a bucket holds two numbers, not three. */
    float(*diff)[2] = xmalloc(dim * sizeof *diff);
    for (uint32_t i = 0; i < dim; i++) {
        diff[i][0] = w[i][SENT_NEG] - w[i][SENT_NEU];
        diff[i][1] = w[i][SENT_POS] - w[i][SENT_NEU];
    }
    struct sentiment_model *m = xcalloc(1, sizeof *m);
    m->lang = lang;
    m->bits = p->bits;
    m->feats = p->feats;
    float range = quant_range((const float(*)[2])diff, dim);
    m->scale = range > 0 ? range / 127.0f : 1.0f;
    m->q = xcalloc(dim, sizeof *m->q);
    for (uint32_t i = 0; i < dim; i++)
        for (int c = 0; c < 2; c++) {
            float q = roundf(diff[i][c] / m->scale);
            m->q[i][c] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
        }
    m->neutral = (float)p->neutral;
    m->bias[0] = bias[SENT_NEG] - bias[SENT_NEU];
    m->bias[1] = bias[SENT_POS] - bias[SENT_NEU];
    for (int j = 0; j < NDENSE; j++) {
        m->dense[0][j] = dw[SENT_NEG][j] - dw[SENT_NEU][j];
        m->dense[1][j] = dw[SENT_POS][j] - dw[SENT_NEU][j];
    }
    free(diff);
    free(order);
    free(w);
    free(g2);
    train_set_free(&ts);
    return m;
}
