/* query_set: many queries matched together, the way Lucene's Monitor and
 * Elasticsearch's percolator do it. Each query is indexed under a few keys
 * such that any text it matches holds one of them (for AND, the keys of
 * its most selective side; for OR, those of every side; NOT gives none). A
 * text's words give its keys; the queries found under them are the
 * candidates, and only those are evaluated, by the same evaluator as
 * query_match_doc on words folded once per text. So the cost grows with the
 * text and the candidates, not with the number of queries. */
#include "text/query_internal.h"
#include "text/text_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Wildcards and inflected words are indexed under their first letters:
 * at most this many, at least QUERY_MIN_PREFIX. */
#define PREFIX_KEY_MAX 6

/* Besides its index keys, each query keeps a filter: an OR of at most
 * DNF_MAX ANDs of at most CONJ_MAX keys (bits of a small Bloom filter),
 * which every text the query matches satisfies. For "a b" OR c it is
 * (a AND b) OR c; NOT and lang: count as true; where the form would grow
 * past its bounds it is loosened (an AND keeps one side, an OR becomes
 * true), so it never rejects a match. A text sets the bits of all its keys,
 * and a candidate whose filter fails is passed over without its tree being
 * read: one cache line instead of several. */
#define DNF_MAX    8
#define CONJ_MAX   4
#define BLOOM_BITS 2048

struct dnf {
    uint8_t n;            /* ANDs; 0 means false (never built), see TRUE */
    uint8_t len[DNF_MAX]; /* keys in each; an AND of none is true */
    uint16_t bit[DNF_MAX][CONJ_MAX];
};

struct posting {
    uint64_t key;
    uint32_t query;
};

struct slot {
    uint64_t key; /* 0: empty */
    uint32_t start, n;
};

struct prep {
    struct qview view;
    char *fold; /* 4 bytes of room per byte of norm */
    uint32_t foff[TEXT_MAX_TOKENS];
    uint16_t flen[TEXT_MAX_TOKENS];
    uint64_t fhash[TEXT_MAX_TOKENS];
    uint8_t fapos[TEXT_MAX_TOKENS];
    struct qslot set[8 * TEXT_MAX_TOKENS]; /* room for every apostrophe too */
};

static void set_put(struct prep *p, uint32_t mask, uint64_t h, int pos, size_t len)
{
    if (!h)
        h = 1; /* 0 marks an empty slot; the evaluator maps it the same way */
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        struct qslot *e = &p->set[i];
        if (!e->hash) {
            *e = (struct qslot){h, (uint16_t)pos, (uint16_t)len};
            return;
        }
        if (e->hash == h && e->len == len)
            return; /* the first position with this word is enough */
    }
}

struct query_set {
    struct query **q;
    uint32_t n, cap;
    struct posting *post;            /* every query's keys, as added */
    struct dnf *dnf;                 /* per query */
    uint64_t bloom[BLOOM_BITS / 64]; /* the text's keys (scratch) */
    size_t npost, postcap;
    /* The index, rebuilt on the first match after an add. */
    bool dirty;
    struct slot *table;
    size_t mask;
    /* One bit per key hash, most of a text's words being in no query: a
     * probe of this (L2-sized) map spares most probes of the table. */
    uint64_t *present;
    size_t pmask;
    uint32_t *ids; /* postings' queries, grouped by key */
    /* Which field's keys are in use, and which prefix lengths per field. */
    bool field_used[QFIELD_COUNT];
    bool field_ref[QFIELD_COUNT];      /* some query looks in the field (NOT too) */
    uint8_t prefix_used[QFIELD_COUNT]; /* bit k: prefix keys of k letters */
    /* scratch */
    uint32_t *stamp, epoch;
    uint32_t *cand, ncand;
    uint32_t nevaluated;
    struct prep *prep[QFIELD_COUNT];
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h | 1; /* never 0, the empty slot */
}

/* The key of s[0..n) in field f: the whole word (k = 0) or its first k
 * letters (s[0..n) is then those letters). */
static uint64_t mix_key(uint64_t h, int f, int k)
{
    return mix(h + (uint64_t)(f * 16 + k + 1) * 0x9E3779B97F4A7C15ull);
}

static uint64_t key_of(const char *s, size_t n, int f, int k)
{
    return mix_key(text_hash(s, n), f, k);
}

static size_t chars_prefix(const char *s, size_t n, int chars, int *got)
{
    size_t i = 0;
    int c = 0;
    for (; i < n && c < chars; c++) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    *got = c;
    return i;
}

/* ---- choosing a query's keys -------------------------------------------- */

struct keys {
    uint64_t k[QUERY_MAX_TERMS];
    uint8_t plen[QUERY_MAX_TERMS]; /* prefix length of the key, 0 whole */
    uint8_t field[QUERY_MAX_TERMS];
    int n;
    int score; /* the weakest key's selectivity guess: higher is rarer */
};

/* A word's key and how selective it is likely to be: a whole word more
 * than a prefix, a long one more than a short one. */
static int word_key(const struct query *q, const struct qword *w, int field, uint64_t *key,
                    uint8_t *plen)
{
    const char *s = q->strings.data + w->off;
    int chars;
    size_t all = chars_prefix(s, w->len, 1 << 20, &chars);
    (void)all;
    int k = 0;
    if (w->prefix)
        k = chars < PREFIX_KEY_MAX ? chars : PREFIX_KEY_MAX;
    else if (w->infl >= 0 && chars >= QUERY_MIN_PREFIX)
        k = QUERY_MIN_PREFIX; /* inflected forms share the first three letters */
    if (k) {
        int got;
        size_t n = chars_prefix(s, w->len, k, &got);
        *key = key_of(s, n, field, k);
        *plen = (uint8_t)k;
        return 10 + k;
    }
    *key = key_of(s, w->len, field, 0);
    *plen = 0;
    return 100 + chars;
}

/* The keys one of which any text node n matches holds; false when n can
 * match without any (NOT, lang:). */
static bool choose(const struct query *q, int n, struct keys *out)
{
    const struct qnode *x = &q->node[n];
    switch (x->op) {
    case Q_WORDS: {
        int best = -1;
        uint64_t bk = 0;
        uint8_t bp = 0;
        for (uint32_t i = 0; i < x->nword; i++) {
            uint64_t k;
            uint8_t p;
            int sc = word_key(q, &q->words[x->word + i], x->field, &k, &p);
            if (sc > best) {
                best = sc;
                bk = k;
                bp = p;
            }
        }
        out->n = 1;
        out->k[0] = bk;
        out->plen[0] = bp;
        out->field[0] = x->field;
        out->score = best;
        return true;
    }
    case Q_NOT:
    case Q_LANG:
        return false;
    case Q_OR: {
        struct keys *b = xmalloc(sizeof *b);
        bool ok = choose(q, x->a, out) && choose(q, x->b, b);
        if (ok) {
            for (int i = 0; i < b->n; i++) {
                out->k[out->n] = b->k[i];
                out->plen[out->n] = b->plen[i];
                out->field[out->n++] = b->field[i];
            }
            if (b->score < out->score)
                out->score = b->score;
        }
        free(b);
        return ok;
    }
    case Q_AND:
    case Q_NEAR: {
        struct keys *b = xmalloc(sizeof *b);
        bool oa = choose(q, x->a, out), ob = choose(q, x->b, b);
        if (ob && (!oa || b->score > out->score || (b->score == out->score && b->n < out->n)))
            memcpy(out, b, sizeof *b);
        free(b);
        return oa || ob;
    }
    }
    return false;
}

static uint16_t bloom_bit(uint64_t key)
{
    return (uint16_t)((key >> 40) & (BLOOM_BITS - 1));
}

static const struct dnf dnf_true = {.n = 1, .len = {0}};

/* Appends AND x to AND y of d's conjunction c: false when it would not fit. */
static bool conj_and(struct dnf *d, int c, const uint16_t *bits, int n)
{
    for (int i = 0; i < n; i++) {
        bool have = false;
        for (int j = 0; j < d->len[c] && !have; j++)
            have = d->bit[c][j] == bits[i];
        if (have)
            continue;
        if (d->len[c] == CONJ_MAX)
            return false;
        d->bit[c][d->len[c]++] = bits[i];
    }
    return true;
}

/* The filter of node n (see struct dnf). */
static void filter_of(struct query_set *s, const struct query *q, int n, struct dnf *out)
{
    const struct qnode *x = &q->node[n];
    switch (x->op) {
    case Q_WORDS: {
        /* Every word's key (the first CONJ_MAX; a phrase rarely has more). */
        *out = (struct dnf){.n = 1};
        for (uint32_t i = 0; i < x->nword && out->len[0] < CONJ_MAX; i++) {
            uint64_t k;
            uint8_t p;
            word_key(q, &q->words[x->word + i], x->field, &k, &p);
            uint16_t b = bloom_bit(k);
            conj_and(out, 0, &b, 1);
            /* The text must make this key for the filter to see it. */
            s->field_used[x->field] = true;
            if (p)
                s->prefix_used[x->field] |= (uint8_t)(1u << p);
        }
        return;
    }
    case Q_OR: {
        struct dnf b;
        filter_of(s, q, x->a, out);
        filter_of(s, q, x->b, &b);
        if (out->n + b.n > DNF_MAX) {
            *out = dnf_true;
            return;
        }
        for (int i = 0; i < b.n; i++) {
            out->len[out->n] = b.len[i];
            memcpy(out->bit[out->n], b.bit[i], sizeof b.bit[i]);
            out->n++;
        }
        return;
    }
    case Q_AND:
    case Q_NEAR: {
        struct dnf a, b, r = {0};
        filter_of(s, q, x->a, &a);
        filter_of(s, q, x->b, &b);
        bool fits = a.n * b.n <= DNF_MAX;
        for (int i = 0; i < a.n && fits; i++)
            for (int j = 0; j < b.n && fits; j++) {
                r.len[r.n] = 0;
                fits =
                    conj_and(&r, r.n, a.bit[i], a.len[i]) && conj_and(&r, r.n, b.bit[j], b.len[j]);
                r.n++;
            }
        if (fits) {
            *out = r;
            return;
        }
        /* Too big: one side alone still holds for every match; keep the
         * one with the fewest ANDs (the stricter, likely). */
        *out = a.n <= b.n ? a : b;
        return;
    }
    default: /* NOT, lang: */
        *out = dnf_true;
        return;
    }
}

static bool dnf_pass(const struct dnf *d, const uint64_t *bloom)
{
    for (int c = 0; c < d->n; c++) {
        bool all = true;
        for (int j = 0; j < d->len[c] && all; j++)
            all = bloom[d->bit[c][j] >> 6] >> (d->bit[c][j] & 63) & 1u;
        if (all)
            return true;
    }
    return false;
}

/* ---- the set -------------------------------------------------------------- */

struct query_set *query_set_new(void)
{
    struct query_set *s = xcalloc(1, sizeof *s);
    return s;
}

uint32_t query_set_add(struct query_set *s, struct query *q)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->q = xrealloc(s->q, s->cap * sizeof *s->q);
        s->stamp = xrealloc(s->stamp, s->cap * sizeof *s->stamp);
        s->cand = xrealloc(s->cand, s->cap * sizeof *s->cand);
        s->dnf = xrealloc(s->dnf, s->cap * sizeof *s->dnf);
    }
    uint32_t id = s->n++;
    s->q[id] = q;
    s->stamp[id] = 0;
    struct keys *k = xmalloc(sizeof *k);
    k->n = 0;
    /* Compiled queries always need some term (query_compile checks), so
     * there are keys. */
    bool ok = choose(q, q->root, k);
    assert(ok && k->n > 0);
    (void)ok;
    for (int i = 0; i < k->n; i++) {
        if (s->npost == s->postcap) {
            s->postcap = s->postcap ? s->postcap * 2 : 256;
            s->post = xrealloc(s->post, s->postcap * sizeof *s->post);
        }
        s->post[s->npost++] = (struct posting){k->k[i], id};
        s->field_used[k->field[i]] = true;
        if (k->plen[i])
            s->prefix_used[k->field[i]] |= (uint8_t)(1u << k->plen[i]);
    }
    filter_of(s, q, q->root, &s->dnf[id]);
    free(k);
    for (size_t i = 0; i < q->nnode; i++)
        if (q->node[i].op == Q_WORDS)
            s->field_ref[q->node[i].field] = true;
    s->dirty = true;
    return id;
}

uint32_t query_set_size(const struct query_set *s)
{
    return s->n;
}

static int by_key(const void *a, const void *b)
{
    const struct posting *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->query < y->query ? -1 : x->query > y->query;
}

static void build(struct query_set *s)
{
    qsort(s->post, s->npost, sizeof *s->post, by_key);
    size_t distinct = 0;
    for (size_t i = 0; i < s->npost; i++)
        distinct += i == 0 || s->post[i].key != s->post[i - 1].key;
    size_t size = 16;
    while (size < 2 * distinct)
        size *= 2;
    free(s->table);
    s->table = xcalloc(size, sizeof *s->table);
    s->mask = size - 1;
    size_t bits = 1 << 16;
    while (bits < 16 * distinct && bits < ((size_t)1 << 24))
        bits *= 2;
    free(s->present);
    s->present = xcalloc(bits / 64, sizeof *s->present);
    s->pmask = bits - 1;
    for (size_t i = 0; i < s->npost; i++) {
        size_t b = (size_t)(s->post[i].key >> 20) & s->pmask;
        s->present[b >> 6] |= 1ull << (b & 63);
    }
    free(s->ids);
    s->ids = xmalloc((s->npost ? s->npost : 1) * sizeof *s->ids);
    for (size_t i = 0; i < s->npost;) {
        size_t j = i;
        while (j < s->npost && s->post[j].key == s->post[i].key) {
            s->ids[j] = s->post[j].query;
            j++;
        }
        size_t h = s->post[i].key & s->mask;
        while (s->table[h].key)
            h = (h + 1) & s->mask;
        s->table[h] = (struct slot){s->post[i].key, (uint32_t)i, (uint32_t)(j - i)};
        i = j;
    }
    s->dirty = false;
}

static void candidates(struct query_set *s, uint64_t key)
{
    uint16_t b = bloom_bit(key);
    s->bloom[b >> 6] |= 1ull << (b & 63);
    size_t pb = (size_t)(key >> 20) & s->pmask;
    if (!(s->present[pb >> 6] >> (pb & 63) & 1u))
        return;
    size_t h = key & s->mask;
    while (s->table[h].key) {
        if (s->table[h].key == key) {
            const struct slot *sl = &s->table[h];
            for (uint32_t i = 0; i < sl->n; i++) {
                uint32_t id = s->ids[sl->start + i];
                if (s->stamp[id] != s->epoch) {
                    s->stamp[id] = s->epoch;
                    s->cand[s->ncand++] = id;
                }
            }
            return;
        }
        h = (h + 1) & s->mask;
    }
}

/* Folds field f of the document once and looks up its words' keys. */
static const struct qview *prepare(struct query_set *s, int f, const struct text_tokens *t)
{
    if (!s->prep[f]) {
        s->prep[f] = xmalloc(sizeof *s->prep[f]);
        s->prep[f]->fold = xmalloc(4 * sizeof t->norm);
    }
    struct prep *p = s->prep[f];
    query_view_positions(&p->view, t);
    size_t o = 0;
    for (int i = 0; i < p->view.npos; i++) {
        const struct token *k = &t->tok[p->view.pos[i]];
        size_t n = query_base_fold(t->norm + k->norm, k->nlen, p->fold + o);
        if (n > UINT16_MAX)
            n = UINT16_MAX; /* cannot happen: a text is at most 16 KiB */
        p->foff[i] = (uint32_t)o;
        p->flen[i] = (uint16_t)n;
        /* Folding leaves most words as the tokenizer wrote them, and
         * their hash is the tokenizer's. */
        p->fhash[i] = n == k->nlen && memcmp(p->fold + o, t->norm + k->norm, n) == 0
                          ? k->hash
                          : text_hash(p->fold + o, n);
        p->fapos[i] = memchr(p->fold + o, '\'', n) != NULL;
        o += n;
    }
    p->view.fold = p->fold;
    p->view.foff = p->foff;
    p->view.flen = p->flen;
    p->view.fhash = p->fhash;
    p->view.fapos = p->fapos;
    /* The word-like positions by hash, for the evaluator's one-probe test
     * of a whole word; at most half full. */
    size_t entries = 0;
    for (int i = 0; i < p->view.npos; i++) {
        entries++;
        if (p->fapos[i])
            for (size_t j = 0; j < p->flen[i]; j++)
                entries += p->fold[p->foff[i] + j] == '\'';
    }
    uint32_t size = 16;
    while (size < 2 * entries && size < ARRAY_LEN(p->set))
        size *= 2;
    if (size >= 2 * entries) {
        memset(p->set, 0, size * sizeof *p->set);
        for (int i = 0; i < p->view.npos; i++) {
            uint8_t kind = t->tok[p->view.pos[i]].kind;
            if (kind != TOK_WORD && kind != TOK_NUMBER && kind != TOK_HASHTAG)
                continue;
            const char *w = p->fold + p->foff[i];
            if (p->flen[i] > UINT16_MAX - 1)
                continue;
            set_put(p, size - 1, p->fhash[i], i, p->flen[i]);
            for (size_t j = 0; p->fapos[i] && j < p->flen[i]; j++)
                if (w[j] == '\'')
                    set_put(p, size - 1, text_hash(w, j), i, j);
        }
        p->view.set = p->set;
        p->view.setmask = size - 1;
    } else {
        p->view.set = NULL; /* too many apostrophes to index: scan */
    }
    if (!s->field_used[f])
        return &p->view;
    uint8_t used = s->prefix_used[f];
    for (int i = 0; i < p->view.npos; i++) {
        const char *w = p->fold + p->foff[i];
        size_t n = p->flen[i];
        candidates(s, mix_key(p->fhash[i], f, 0));
        for (size_t j = 0; p->fapos[i] && j < n; j++)
            if (w[j] == '\'') /* "kela's" holds the word "kela" */
                candidates(s, key_of(w, j, f, 0));
        if (!used)
            continue;
        /* text_hash (FNV-1a) of each prefix, carried along the word. */
        uint64_t h = 0xcbf29ce484222325ull;
        size_t at = 0;
        int chars = 0;
        while (at < n && chars < PREFIX_KEY_MAX) {
            do {
                h = (h ^ (unsigned char)w[at]) * 0x100000001b3ull;
                at++;
            } while (at < n && ((unsigned char)w[at] & 0xC0) == 0x80);
            chars++;
            if (used >> chars & 1u)
                candidates(s, mix_key(h, f, chars));
        }
    }
    return &p->view;
}

static int by_id(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t query_set_match(struct query_set *s, const struct query_doc *d, uint32_t *out)
{
    s->ncand = 0;
    s->nevaluated = 0;
    if (!s->n)
        return 0;
    if (s->dirty)
        build(s);
    if (++s->epoch == 0) { /* wrapped: old stamps could look current */
        memset(s->stamp, 0, s->n * sizeof *s->stamp);
        s->epoch = 1;
    }
    memset(s->bloom, 0, sizeof s->bloom);
    struct qdoc qd = {.lang = d->lang};
    for (int f = 0; f < QFIELD_COUNT; f++)
        if (d->field[f] && s->field_ref[f])
            qd.view[f] = prepare(s, f, d->field[f]);
    /* The filter first, then the few left in order. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->ncand; i++)
        if (dnf_pass(&s->dnf[s->cand[i]], s->bloom))
            s->cand[kept++] = s->cand[i];
    if (kept > 32)
        qsort(s->cand, kept, sizeof *s->cand, by_id);
    else
        for (uint32_t i = 1; i < kept; i++) {
            uint32_t x = s->cand[i], j = i;
            for (; j > 0 && s->cand[j - 1] > x; j--)
                s->cand[j] = s->cand[j - 1];
            s->cand[j] = x;
        }
    uint32_t got = 0;
    for (uint32_t i = 0; i < kept; i++)
        if (query_eval(s->q[s->cand[i]], &qd))
            out[got++] = s->cand[i];
    uint32_t evaluated = kept;
    s->nevaluated = evaluated;
    return got;
}

uint32_t query_set_candidates(const struct query_set *s)
{
    return s->nevaluated;
}

void query_set_free(struct query_set *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        query_free(s->q[i]);
    for (int f = 0; f < QFIELD_COUNT; f++)
        if (s->prep[f]) {
            free(s->prep[f]->fold);
            free(s->prep[f]);
        }
    free(s->q);
    free(s->post);
    free(s->table);
    free(s->present);
    free(s->ids);
    free(s->stamp);
    free(s->cand);
    free(s->dnf);
    free(s);
}
