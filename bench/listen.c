/* bench/listen: documents per second of matching a workspace's listening
 * queries all together (text/query.h's query set: tokenize, look up the
 * text's words in the queries' term index, evaluate the candidates) on one
 * core, with 1,000 and 10,000 generated queries (keyword lists, AND, NOT,
 * phrases, wildcards, NEAR) over at least 100 MB of real short texts (the
 * sentiment sets and the feeds of ../shared/data, repeated to size). Beside
 * it, in the same run: (a) each query as its own PCRE2 expression (JIT)
 * over every document, timed on a sample and extrapolated; (b) hyperscan
 * scanning the queries' literals as plain substrings, with no boolean step
 * (a floor for any automaton). The set's matches are checked against the
 * plain evaluator (query_match_doc, every query on every document) on a
 * sample. Prints numbers, never pass/fail.
 * Usage: listen DATA_DIR [MB] [ROUNDS] */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "base/base.h"
#include "listen/listen.h"
#include "text/query.h"
#include "text/text.h"

#include <dirent.h>
#include <hs.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- the texts ----------------------------------------------------------- */

struct texts {
    char **s;
    size_t *len;
    size_t n, cap, bytes;
};

static void add(struct texts *t, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (n > TEXT_MAX_BYTES)
        n = TEXT_MAX_BYTES;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->s = xrealloc(t->s, t->cap * sizeof *t->s);
        t->len = xrealloc(t->len, t->cap * sizeof *t->len);
    }
    t->s[t->n] = xmalloc(n + 1);
    memcpy(t->s[t->n], s, n);
    t->s[t->n][n] = '\0';
    t->len[t->n++] = n;
    t->bytes += n;
}

static void load_tsv(struct texts *t, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        char *tab = memchr(line, '\t', (size_t)n);
        if (tab)
            add(t, tab + 1, (size_t)(line + n - tab - 1));
    }
    free(line);
    fclose(f);
}

/* Every entry of every feed under dir: its title and text, as listening
 * matches them. */
static void load_feeds(struct texts *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    struct buf path = {0}, body = {0}, all = {0};
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path.data, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            load_feeds(t, path.data);
            continue;
        }
        buf_reset(&body);
        struct error err = {0};
        if (buf_read_file(&body, path.data, FEED_MAX_BYTES, &err) < 0)
            continue;
        struct feed f;
        if (feed_parse(body.data ? body.data : "", body.len, NULL, &f, &err) < 0)
            continue;
        for (size_t i = 0; i < f.n_entries; i++) {
            buf_reset(&all);
            buf_printf(&all, "%s\n%s", f.entries[i].title ? f.entries[i].title : "",
                       f.entries[i].summary ? f.entries[i].summary : "");
            if (all.len > 1)
                add(t, all.data, all.len);
        }
        feed_free(&f);
    }
    closedir(d);
    buf_free(&path);
    buf_free(&body);
    buf_free(&all);
}

/* ---- generated queries ----------------------------------------------------
 * Each is written twice: in kanal's language and as one PCRE2 expression
 * (caseless, Unicode word boundaries), and its literals are collected for
 * hyperscan. Words are drawn from the corpus's own words of middling
 * frequency, so that queries match now and then, as real ones do. */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

struct vocab {
    char **w;  /* words (folded, letters only, >= 4 bytes) */
    char **pa; /* adjacent pairs "a b" seen in the texts */
    size_t nw, npa;
};

struct wcount {
    char *w;
    uint32_t n;
};

static bool letters_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80 && !((c >= 'a' && c <= 'z')))
            return false;
    }
    return true;
}

/* Counts words with a small open-addressing table. */
struct wtable {
    struct wcount *slot;
    size_t mask, n;
};

static struct wcount *wt_get(struct wtable *t, const char *s, size_t n)
{
    uint64_t h = text_hash(s, n);
    size_t i = h & t->mask;
    while (t->slot[i].w) {
        if (strlen(t->slot[i].w) == n && memcmp(t->slot[i].w, s, n) == 0)
            return &t->slot[i];
        i = (i + 1) & t->mask;
    }
    if (t->n * 2 > t->mask)
        return NULL; /* full enough: rare words past this are not needed */
    t->slot[i].w = xmalloc(n + 1);
    memcpy(t->slot[i].w, s, n);
    t->slot[i].w[n] = '\0';
    t->n++;
    return &t->slot[i];
}

static void vocab_build(struct vocab *v, const struct texts *t)
{
    struct wtable wt = {.slot = xcalloc(1 << 20, sizeof(struct wcount)), .mask = (1 << 20) - 1};
    static struct text_tokens tt;
    size_t pcap = 0;
    for (size_t i = 0; i < t->n; i++) {
        text_tokenize(&tt, t->s[i], t->len[i]);
        const struct token *prev = NULL;
        for (size_t k = 0; k < tt.n; k++) {
            const struct token *x = &tt.tok[k];
            bool ok = x->kind == TOK_WORD && x->nlen >= 4 && x->nlen < 40 &&
                      letters_only(text_token_norm(&tt, k), x->nlen);
            if (ok) {
                struct wcount *c = wt_get(&wt, text_token_norm(&tt, k), x->nlen);
                if (c)
                    c->n++;
                /* a pair of neighbours, now and then, for phrases */
                if (prev && rnd(200) == 0) {
                    if (v->npa == pcap) {
                        pcap = pcap ? pcap * 2 : 1024;
                        v->pa = xrealloc(v->pa, pcap * sizeof *v->pa);
                    }
                    struct buf b = {0};
                    buf_printf(&b, "%.*s %.*s", (int)prev->nlen, tt.norm + prev->norm, (int)x->nlen,
                               text_token_norm(&tt, k));
                    v->pa[v->npa++] = buf_steal(&b);
                }
            }
            prev = ok ? x : (x->kind == TOK_PUNCT ? NULL : prev);
            if (!ok && x->kind != TOK_PUNCT)
                prev = NULL;
        }
    }
    /* Words seen 3 to 300 times in the unique texts: topic words, not
     * function words and not typos. */
    for (size_t i = 0; i <= wt.mask; i++)
        if (wt.slot[i].w && wt.slot[i].n >= 3 && wt.slot[i].n <= 300) {
            v->w = xrealloc(v->w, (v->nw + 1) * sizeof *v->w);
            v->w[v->nw++] = wt.slot[i].w;
        } else {
            free(wt.slot[i].w);
        }
    free(wt.slot);
}

struct gen {
    struct buf q, re;
    char **lit; /* literals for hyperscan */
    size_t nlit, litcap;
};

static void lit(struct gen *g, const char *s, size_t n)
{
    if (g->nlit == g->litcap) {
        g->litcap = g->litcap ? g->litcap * 2 : 1024;
        g->lit = xrealloc(g->lit, g->litcap * sizeof *g->lit);
    }
    char *c = xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    g->lit[g->nlit++] = c;
}

static const char *word(const struct vocab *v)
{
    return v->w[rnd((uint32_t)v->nw)];
}

/* The first 4 to 6 letters (bytes of a letters-only word, cut at a
 * character) of a word of 7 or more. */
static size_t prefix_of(const char *w)
{
    size_t n = strlen(w), k = 4 + rnd(3);
    if (k >= n)
        k = n - 1;
    while (k > 3 && ((unsigned char)w[k] & 0xC0) == 0x80)
        k--;
    return k;
}

static void gen_query(struct gen *g, const struct vocab *v)
{
    buf_reset(&g->q);
    buf_reset(&g->re);
    switch (rnd(6)) {
    case 0: { /* a keyword list */
        int n = 2 + (int)rnd(5);
        buf_puts(&g->q, "(");
        buf_puts(&g->re, "\\b(?:");
        for (int i = 0; i < n; i++) {
            const char *w = word(v);
            buf_printf(&g->q, "%s%s", i ? " OR " : "", w);
            buf_printf(&g->re, "%s%s", i ? "|" : "", w);
            lit(g, w, strlen(w));
        }
        buf_puts(&g->q, ")");
        buf_puts(&g->re, ")\\b");
        break;
    }
    case 1: { /* AND */
        const char *a = word(v), *b = word(v);
        buf_printf(&g->q, "%s AND %s", a, b);
        buf_printf(&g->re, "^(?=[\\s\\S]*?\\b%s\\b)(?=[\\s\\S]*?\\b%s\\b)", a, b);
        lit(g, a, strlen(a));
        lit(g, b, strlen(b));
        break;
    }
    case 2: { /* a list, but NOT a word */
        const char *a = word(v), *b = word(v), *c = word(v);
        buf_printf(&g->q, "(%s OR %s) AND NOT %s", a, b, c);
        buf_printf(&g->re, "^(?=[\\s\\S]*?\\b(?:%s|%s)\\b)(?![\\s\\S]*?\\b%s\\b)", a, b, c);
        lit(g, a, strlen(a));
        lit(g, b, strlen(b));
        lit(g, c, strlen(c));
        break;
    }
    case 3: { /* a phrase seen in the texts, or another word */
        const char *p = v->pa[rnd((uint32_t)v->npa)], *w = word(v);
        const char *sp = strchr(p, ' ');
        buf_printf(&g->q, "\"%s\" OR %s", p, w);
        buf_printf(&g->re, "\\b(?:%.*s\\W+%s|%s)\\b", (int)(sp - p), p, sp + 1, w);
        lit(g, p, (size_t)(sp - p));
        lit(g, sp + 1, strlen(sp + 1));
        lit(g, w, strlen(w));
        break;
    }
    case 4: { /* wildcards */
        const char *a, *b;
        do
            a = word(v);
        while (strlen(a) < 7);
        do
            b = word(v);
        while (strlen(b) < 7);
        size_t ka = prefix_of(a), kb = prefix_of(b);
        const char *c = word(v);
        buf_printf(&g->q, "(%.*s* OR %.*s*) AND %s", (int)ka, a, (int)kb, b, c);
        buf_printf(&g->re, "^(?=[\\s\\S]*?\\b(?:%.*s|%.*s))(?=[\\s\\S]*?\\b%s\\b)", (int)ka, a,
                   (int)kb, b, c);
        lit(g, a, ka);
        lit(g, b, kb);
        lit(g, c, strlen(c));
        break;
    }
    default: { /* NEAR */
        const char *a = word(v), *b = word(v);
        int n = 1 + (int)rnd(5);
        buf_printf(&g->q, "%s NEAR/%d %s", a, n, b);
        buf_printf(&g->re,
                   "\\b%s\\b(?:\\W+\\w+){0,%d}?\\W+%s\\b|\\b%s\\b(?:\\W+\\w+){0,%d}?\\W+%s\\b", a,
                   n, b, b, n, a);
        lit(g, a, strlen(a));
        lit(g, b, strlen(b));
    }
    }
}

/* ---- timing ---------------------------------------------------------------- */

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stat3 {
    double median, lo, hi;
};

static struct stat3 summarize(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (struct stat3){v[n / 2], v[0], v[n - 1]};
}

/* The documents: the texts repeated until `bytes`. */
struct corpus {
    const struct texts *t;
    size_t ndocs;
    size_t bytes;
};

/* ---- (1) the query set -------------------------------------------------- */

static struct text_tokens toks;

static uint64_t run_set(struct query_set *set, const struct corpus *c, uint32_t *out,
                        uint64_t *cands)
{
    uint64_t matches = 0, cn = 0;
    struct query_doc d = {.field = {&toks}};
    for (size_t i = 0; i < c->ndocs; i++) {
        size_t k = i % c->t->n;
        text_tokenize(&toks, c->t->s[k], c->t->len[k]);
        matches += query_set_match(set, &d, out);
        cn += query_set_candidates(set);
    }
    *cands = cn;
    return matches;
}

/* ---- (b) hyperscan ------------------------------------------------------- */

static int on_hs(unsigned int id, unsigned long long from, unsigned long long to,
                 unsigned int flags, void *ctx)
{
    (*(uint64_t *)ctx)++;
    return 0;
}

static uint64_t run_hs(const hs_database_t *db, hs_scratch_t *scratch, const struct corpus *c)
{
    uint64_t hits = 0;
    for (size_t i = 0; i < c->ndocs; i++) {
        size_t k = i % c->t->n;
        hs_scan(db, c->t->s[k], (unsigned)c->t->len[k], 0, scratch, on_hs, &hits);
    }
    return hits;
}

/* ---- one size ------------------------------------------------------------ */

static void bench_size(int nq, const struct vocab *v, const struct corpus *c, int rounds,
                       size_t pcre_sample, size_t check_sample)
{
    struct gen g = {0};
    struct query_set *set = query_set_new();
    struct query **plain = xmalloc((size_t)nq * sizeof *plain);
    pcre2_code **re = xmalloc((size_t)nq * sizeof *re);
    int kinds = 0;
    for (int i = 0; i < nq; i++) {
        struct error err = {0};
        struct query *q;
        do {
            gen_query(&g, v);
            q = query_compile(g.q.data, &err);
        } while (!q);
        query_set_add(set, q);
        plain[i] = query_compile(g.q.data, &err);
        int ec;
        PCRE2_SIZE eo;
        re[i] = pcre2_compile((PCRE2_SPTR)g.re.data, g.re.len,
                              PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
        if (!re[i]) {
            fprintf(stderr, "pcre2 could not compile %s\n", g.re.data);
            exit(1);
        }
        pcre2_jit_compile(re[i], PCRE2_JIT_COMPLETE);
        kinds++;
    }
    uint32_t *out = xmalloc((size_t)nq * sizeof *out);
    double mb = (double)c->bytes / 1e6;

    /* (1) the set: rounds over the whole corpus. */
    double *rate = xmalloc((size_t)rounds * sizeof *rate);
    uint64_t matches = 0, cands = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_seconds();
        matches = run_set(set, c, out, &cands);
        rate[r] = (double)c->ndocs / (cpu_seconds() - t0);
    }
    struct stat3 set_rate = summarize(rate, rounds);
    if (getenv("BENCH_LISTEN_SET_ONLY")) { /* for a profiler: the set alone */
        printf("%d queries: query set %.0f docs/s (median of %d rounds), %.2f candidates per "
               "document\n",
               nq, set_rate.median, rounds, (double)cands / (double)c->ndocs);
        printf("%.2f matches per document\n", (double)matches / (double)c->ndocs);
        exit(0);
    }

    /* The plain evaluator on a sample: every query on every document. */
    size_t checked = 0, differ = 0, plain_matches = 0;
    struct query_doc d = {.field = {&toks}};
    size_t step = c->t->n / check_sample ? c->t->n / check_sample : 1;
    for (size_t k = 0; k < c->t->n && checked < check_sample; k += step, checked++) {
        text_tokenize(&toks, c->t->s[k], c->t->len[k]);
        uint32_t n = query_set_match(set, &d, out), j = 0;
        for (int q = 0; q < nq; q++) {
            bool want = query_match_doc(plain[q], &d), have = j < n && out[j] == (uint32_t)q;
            differ += want != have;
            plain_matches += want;
            j += have;
        }
    }

    /* (b) hyperscan over the queries' distinct literals, caseless. */
    qsort(g.lit, g.nlit, sizeof *g.lit, (int (*)(const void *, const void *))strcmp);
    size_t nl = 0;
    for (size_t i = 0; i < g.nlit; i++)
        if (nl == 0 || strcmp(g.lit[i], g.lit[nl - 1]) != 0)
            g.lit[nl++] = g.lit[i];
        else
            free(g.lit[i]);
    const char **lits = xmalloc(nl * sizeof *lits);
    size_t *lens = xmalloc(nl * sizeof *lens);
    unsigned *flags = xmalloc(nl * sizeof *flags), *ids = xmalloc(nl * sizeof *ids);
    for (size_t i = 0; i < nl; i++) {
        lits[i] = g.lit[i];
        lens[i] = strlen(g.lit[i]);
        flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
        ids[i] = (unsigned)i;
    }
    hs_database_t *hdb = NULL;
    hs_compile_error_t *herr = NULL;
    double h0 = cpu_seconds();
    if (hs_compile_lit_multi(lits, flags, ids, lens, (unsigned)nl, HS_MODE_BLOCK, NULL, &hdb,
                             &herr) != HS_SUCCESS) {
        fprintf(stderr, "hyperscan: %s\n", herr ? herr->message : "?");
        exit(1);
    }
    double hs_compile = cpu_seconds() - h0;
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(hdb, &scratch);
    uint64_t hits = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_seconds();
        hits = run_hs(hdb, scratch, c);
        rate[r] = (double)c->ndocs / (cpu_seconds() - t0);
    }
    struct stat3 hs_rate = summarize(rate, rounds);

    /* (a) PCRE2, every query on each document of a sample. */
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    uint64_t re_matches = 0;
    size_t pstep = c->t->n / pcre_sample ? c->t->n / pcre_sample : 1;
    int pr = rounds < 3 ? rounds : 3;
    size_t sampled = 0;
    for (int r = 0; r < pr; r++) {
        double t0 = cpu_seconds();
        re_matches = 0;
        sampled = 0;
        for (size_t k = 0; k < c->t->n && sampled < pcre_sample; k += pstep, sampled++)
            for (int q = 0; q < nq; q++)
                re_matches +=
                    pcre2_match(re[q], (PCRE2_SPTR)c->t->s[k], c->t->len[k], 0, 0, md, NULL) >= 0;
        rate[r] = (double)sampled / (cpu_seconds() - t0);
    }
    struct stat3 re_rate = summarize(rate, pr);

    double per_doc_mb = mb / (double)c->ndocs;
    printf("\n%d queries (%zu distinct literals for hyperscan):\n", nq, nl);
    printf("  query set (kanal):   %10.0f docs/s  %7.1f MB/s   (median of %d rounds; %.0f .. "
           "%.0f)\n",
           set_rate.median, set_rate.median * per_doc_mb, rounds, set_rate.lo, set_rate.hi);
    printf("                       %llu matches, %.2f candidates evaluated per document\n",
           (unsigned long long)matches, (double)cands / (double)c->ndocs);
    printf("  (b) hyperscan lits:  %10.0f docs/s  %7.1f MB/s   (median of %d rounds; %.0f .. "
           "%.0f; compiled in %.2f s; %llu literal hits, no boolean step)\n",
           hs_rate.median, hs_rate.median * per_doc_mb, rounds, hs_rate.lo, hs_rate.hi, hs_compile,
           (unsigned long long)hits);
    printf("  (a) PCRE2 per query: %10.1f docs/s  %7.3f MB/s   (median of %d rounds on a sample "
           "of %zu documents, extrapolated; %.1f .. %.1f; %llu matches in the sample)\n",
           re_rate.median, re_rate.median * per_doc_mb, pr, sampled, re_rate.lo, re_rate.hi,
           (unsigned long long)re_matches);
    printf("  ratio set / (b):     %10.2f x\n", set_rate.median / hs_rate.median);
    printf("  ratio set / (a):     %10.0f x\n", set_rate.median / re_rate.median);
    printf("  plain evaluator on %zu sampled documents x %d queries: %zu matches, %zu differ "
           "from the set\n",
           checked, nq, plain_matches, differ);

    pcre2_match_data_free(md);
    for (int i = 0; i < nq; i++) {
        pcre2_code_free(re[i]);
        query_free(plain[i]);
    }
    hs_free_scratch(scratch);
    hs_free_database(hdb);
    for (size_t i = 0; i < nl; i++)
        free(g.lit[i]);
    free(g.lit);
    free(lits);
    free(lens);
    free(flags);
    free(ids);
    free(re);
    free(plain);
    free(out);
    free(rate);
    buf_free(&g.q);
    buf_free(&g.re);
    query_set_free(set);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data";
    double want_mb = argc > 2 ? atof(argv[2]) : 100;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (rounds < 1)
        rounds = 1;
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        printf("bench-listen: skipped: %s is absent (the real texts live in ../shared/data)\n",
               dir);
        return 0;
    }
    struct texts t = {0};
    struct buf p = {0};
    static const char *const sets[] = {"en.train", "en.dev",   "fi.train",
                                       "fi.dev",   "sv.train", "sv.dev"};
    for (size_t i = 0; i < ARRAY_LEN(sets); i++) {
        buf_reset(&p);
        buf_printf(&p, "%s/sentiment/%s.tsv", dir, sets[i]);
        load_tsv(&t, p.data);
    }
    size_t from_tsv = t.n;
    buf_reset(&p);
    buf_printf(&p, "%s/feeds", dir);
    load_feeds(&t, p.data);
    buf_free(&p);
    if (t.n == 0) {
        printf("bench-listen: skipped: no texts under %s\n", dir);
        return 0;
    }
    struct corpus c = {.t = &t};
    /* Whole passes over the texts until the size is reached. */
    while ((double)c.bytes < want_mb * 1e6) {
        c.bytes += t.bytes;
        c.ndocs += t.n;
    }
    struct vocab v = {0};
    vocab_build(&v, &t);
    printf("bench-listen: %zu unique texts (%zu from the sentiment sets, %zu feed entries; mean "
           "%.0f bytes), repeated to %zu documents, %.1f MB; one core, CPU time of this thread "
           "(the machine is shared and busy: wall time would count others' work)\n",
           t.n, from_tsv, t.n - from_tsv, (double)t.bytes / (double)t.n, c.ndocs,
           (double)c.bytes / 1e6);
    printf("query words: %zu corpus words seen 3..300 times, %zu neighbour pairs for phrases\n",
           v.nw, v.npa);
    if (!getenv("BENCH_LISTEN_SET_ONLY"))
        bench_size(1000, &v, &c, rounds, 2000, 3000);
    bench_size(10000, &v, &c, rounds, 200, 1000);
    for (size_t i = 0; i < t.n; i++)
        free(t.s[i]);
    free(t.s);
    free(t.len);
    return 0;
}
