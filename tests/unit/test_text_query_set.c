/* Unit tests of the query set (text/query.h): the index of many queries
 * against the plain evaluator. The differential test draws thousands of
 * random queries (every operator, field, wildcard, phrase, exact and
 * inflected word) and random documents from one vocabulary of Swedish,
 * Finnish and English words and their inflected forms, and checks that
 * the set finds exactly what query_match_doc finds, query by query. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/query.h"

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Words of the texts: base forms, inflected forms, compounds, names in
 * their cases, diacritics with and without, possessives, hashtags and
 * mentions, numbers, emoji, and words sharing their first letters. */
static const char *const vocab[] = {
    "pension",
    "pensionen",
    "Pensionerna",
    "pensioner",
    "premiepensionen",
    "Pensionsverket",
    "pens",
    "pensel",
    "eläke",
    "eläkkeen",
    "ELÄKKEITÄ",
    "elake",
    "eläkkeet",
    "elämä",
    "leikkaus",
    "leikkauksia",
    "Kela",
    "KELA",
    "Kela's",
    "kela",
    "#kela",
    "@kela",
    "#pension",
    "SAS",
    "sas",
    "Sas",
    "Malmö",
    "malmo",
    "MALMÖ",
    "sänkt",
    "sänks",
    "skatt",
    "skatten",
    "bank",
    "banken",
    "banker",
    "2026",
    "och",
    "inte",
    "the",
    "pensions",
    "pensioners",
    "😡",
    "vero",
    "veroja",
    "verot",
    "hallitus",
    "hallituksen",
    "Svenska",
    "Dagbladet",
    "don't",
    "e-post",
    "premie",
    "lån",
};
#define NVOCAB (sizeof vocab / sizeof *vocab)

/* Terms of the queries: the same words, wildcards, inflected and exact. */
static const char *const terms[] = {
    "pension", "pension~",  "pens*",  "pensio*",  "Pension*",  "=Pension*", "eläke~",    "elake",
    "eläk*",   "leikkaus~", "kela",   "=Kela",    "=KELA",     "#kela",     "@kela",     "sas",
    "=SAS",    "malmö",     "=Malmö", "sänk*",    "skatt~",    "bank",      "bank~",     "ban*",
    "2026",    "och",       "😡",      "vero~",    "hallitus~", "svenska",   "dagbladet", "don't",
    "e-post",  "premie*",   "lån",    "pensions", "the",       "inte",
};
#define NTERMS (sizeof terms / sizeof *terms)

static const char *const fields[] = {"", "", "", "", "title:", "author:", "source:"};
static const char *const langs[] = {"sv", "fi", "en", "de", ""};

static void gen_term(struct buf *b)
{
    int kind = (int)rnd(10);
    if (kind == 0) { /* a phrase */
        buf_printf(b, "%s\"%s %s\"", fields[rnd(7)], terms[rnd(NTERMS)], terms[rnd(NTERMS)]);
        return;
    }
    if (kind == 1) {
        buf_printf(b, "lang:%s", langs[rnd(4)]);
        return;
    }
    buf_printf(b, "%s%s", fields[rnd(7)], terms[rnd(NTERMS)]);
}

static void gen_query(struct buf *b, int depth)
{
    int op = depth > 2 ? 0 : (int)rnd(7);
    switch (op) {
    case 0:
    case 1:
        gen_term(b);
        return;
    case 2: /* AND, written or not */
        buf_putc(b, '(');
        gen_query(b, depth + 1);
        buf_puts(b, rnd(2) ? " AND " : " ");
        gen_query(b, depth + 1);
        buf_putc(b, ')');
        return;
    case 3:
        buf_putc(b, '(');
        gen_query(b, depth + 1);
        buf_puts(b, " OR ");
        gen_query(b, depth + 1);
        buf_putc(b, ')');
        return;
    case 4:
        gen_query(b, depth + 1);
        buf_puts(b, " NOT ");
        gen_query(b, depth + 1);
        return;
    case 5: { /* NEAR of two terms in one field, or across the title and the text */
        const char *f = fields[rnd(7)], *g = f;
        if (!*f || !strcmp(f, "title:"))
            g = rnd(3) ? f : *f ? "" : "title:";
        buf_printf(b, "(%s%s NEAR/%u %s%s)", f, terms[rnd(NTERMS)], rnd(4), g, terms[rnd(NTERMS)]);
        return;
    }
    default: /* a keyword list */
        buf_putc(b, '(');
        for (uint32_t i = 0, n = 2 + rnd(4); i < n; i++) {
            if (i)
                buf_puts(b, " OR ");
            gen_term(b);
        }
        buf_putc(b, ')');
    }
}

/* Two words in three are made-up fillers ("kalomi"), so that queries are
 * sparse in the texts, as real ones are. */
static void gen_text(struct buf *b, uint32_t words)
{
    static const char *const punct[] = {" ", " ", " ", ", ", ". ", "! ", " - ", "\n"};
    static const char *const syl[] = {"ka", "lo", "mi", "sä", "ren", "tu", "ve", "pa", "on", "ek"};
    for (uint32_t i = 0; i < words; i++) {
        if (i)
            buf_puts(b, punct[rnd(8)]);
        if (rnd(3)) {
            for (uint32_t k = 0, n = 2 + rnd(3); k < n; k++)
                buf_puts(b, syl[rnd(10)]);
        } else {
            buf_puts(b, vocab[rnd(NVOCAB)]);
        }
    }
}

struct doc {
    struct buf title, body, author, source, all;
    struct text_tokens t[QFIELD_COUNT];
    struct query_doc d;
};

static void gen_doc(struct doc *x)
{
    buf_reset(&x->title);
    buf_reset(&x->body);
    buf_reset(&x->author);
    buf_reset(&x->source);
    buf_reset(&x->all);
    gen_text(&x->title, rnd(6));
    gen_text(&x->body, 1 + rnd(30));
    gen_text(&x->author, rnd(3));
    gen_text(&x->source, rnd(3));
    buf_printf(&x->all, "%s\n%s", x->title.data ? x->title.data : "",
               x->body.data ? x->body.data : "");
    memset(&x->d, 0, sizeof x->d);
    struct buf *part[QFIELD_COUNT] = {&x->all, &x->title, &x->author, &x->source};
    for (int f = 0; f < QFIELD_COUNT; f++) {
        /* Now and then a document without a title, author or source. */
        if (f && rnd(8) == 0)
            continue;
        text_tokenize(&x->t[f], part[f]->data ? part[f]->data : "", part[f]->len);
        x->d.field[f] = &x->t[f];
    }
    snprintf(x->d.lang, sizeof x->d.lang, "%s", langs[rnd(5)]);
}

static void doc_free(struct doc *x)
{
    buf_free(&x->title);
    buf_free(&x->body);
    buf_free(&x->author);
    buf_free(&x->source);
    buf_free(&x->all);
}

static void test_differential(void **state)
{
    const char *seed = getenv("QUERY_SEED");
    rng_state = seed ? strtoull(seed, NULL, 10) : 20261206;
    if (!rng_state)
        rng_state = 1;
    enum { NQUERIES = 2000, NDOCS = 2000 };
    struct query_set *set = query_set_new();
    struct query **plain = calloc(NQUERIES, sizeof *plain);
    char **src = calloc(NQUERIES, sizeof *src);
    uint32_t nq = 0, refused = 0;
    struct buf b = {0};
    while (nq < NQUERIES) {
        buf_reset(&b);
        gen_query(&b, 0);
        struct error err = {0};
        struct query *q = query_compile(b.data, &err), *again = NULL;
        if (!q) {
            refused++; /* "NOT a" alone, a lone lang: */
            assert_true(err.msg[0] != '\0');
            continue;
        }
        again = query_compile(b.data, &err);
        assert_non_null(again);
        assert_int_equal(query_set_add(set, q), nq);
        plain[nq] = again;
        src[nq++] = strdup(b.data);
    }
    assert_true(refused < NQUERIES / 2); /* most random queries are queries */
    struct doc *x = calloc(1, sizeof *x);
    uint32_t *got = malloc(NQUERIES * sizeof *got);
    uint64_t matches = 0, candidates = 0, docs_matched = 0;
    for (int i = 0; i < NDOCS; i++) {
        gen_doc(x);
        uint32_t n = query_set_match(set, &x->d, got);
        candidates += query_set_candidates(set);
        uint32_t j = 0;
        for (uint32_t k = 0; k < nq; k++) {
            bool want = query_match_doc(plain[k], &x->d);
            bool have = j < n && got[j] == k;
            if (want != have)
                fail_msg("document %d (title '%s', body '%s', author '%s', source '%s', lang "
                         "'%s'): query %u '%s': plain evaluator %d, set %d",
                         i, x->title.data ? x->title.data : "", x->body.data ? x->body.data : "",
                         x->author.data ? x->author.data : "", x->source.data ? x->source.data : "",
                         x->d.lang, k, src[k], want, have);
            j += have;
        }
        matches += n;
        docs_matched += n > 0;
    }
    print_message("differential: %u queries (%u refused), %d documents, %llu matches, %llu "
                  "candidates evaluated (of %llu pairs)\n",
                  nq, refused, NDOCS, (unsigned long long)matches, (unsigned long long)candidates,
                  (unsigned long long)nq * NDOCS);
    /* Not vacuous: many matches, and far fewer evaluations than pairs. */
    assert_true(matches > (uint64_t)NDOCS * 10);
    assert_true(docs_matched > NDOCS * 9 / 10);
    assert_true(candidates < (uint64_t)nq * NDOCS / 4);
    for (uint32_t k = 0; k < nq; k++) {
        query_free(plain[k]);
        free(src[k]);
    }
    free(plain);
    free(src);
    free(got);
    doc_free(x);
    free(x);
    buf_free(&b);
    query_set_free(set);
}

static void test_set_basics(void **state)
{
    struct query_set *set = query_set_new();
    const char *qs[] = {"pension* NOT Pensionsverket", "title:kela", "eläke~ OR vero",
                        "\"sänkt skatt\" lang:sv"};
    struct error err = {0};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(query_set_add(set, query_compile(qs[i], &err)), i);
    assert_int_equal(query_set_size(set), 4);
    static struct text_tokens t, title;
    const char *text = "Kela\nPensionsverket höjer pensionen. Eläkkeen vero; sänkt skatt";
    text_tokenize(&t, text, strlen(text));
    text_tokenize(&title, "Kela", 4);
    struct query_doc d = {.field = {&t, &title}, .lang = "sv"};
    uint32_t got[4];
    assert_int_equal(query_set_match(set, &d, got), 3);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 2);
    assert_int_equal(got[2], 3);
    /* A query added after matching is found from then on. */
    assert_int_equal(query_set_add(set, query_compile("höjer", &err)), 4);
    uint32_t got5[5];
    assert_int_equal(query_set_match(set, &d, got5), 4);
    assert_int_equal(got5[3], 4);
    /* An empty set matches nothing. */
    struct query_set *none = query_set_new();
    assert_int_equal(query_set_match(none, &d, got), 0);
    query_set_free(none);
    query_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_basics),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
